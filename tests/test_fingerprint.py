"""The content hash that tells ``--resume`` whether a submission changed."""

from __future__ import annotations

import hashlib
from pathlib import Path

from autograder.fingerprint import content_sha256


def test_a_file_hashes_to_the_sha256_of_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "alice.ipynb"
    path.write_bytes(b'{"cells": []}')
    assert content_sha256(path) == hashlib.sha256(b'{"cells": []}').hexdigest()


def test_a_folder_changes_its_hash_with_any_file_in_it(tmp_path: Path) -> None:
    folder = tmp_path / "bob"
    (folder / "data").mkdir(parents=True)
    (folder / "activations.py").write_text("x = 1\n", encoding="utf-8")
    first = content_sha256(folder)
    assert first == content_sha256(folder)
    (folder / "data" / "notes.txt").write_text("n", encoding="utf-8")
    second = content_sha256(folder)
    (folder / "data" / "notes.txt").rename(folder / "data" / "other.txt")
    third = content_sha256(folder)
    (folder / "link").symlink_to("/etc/passwd")
    fourth = content_sha256(folder)
    assert len({first, second, third, fourth}) == 4


def test_an_unreadable_submission_has_no_hash(tmp_path: Path) -> None:
    assert content_sha256(tmp_path / "ghost.py") == ""
