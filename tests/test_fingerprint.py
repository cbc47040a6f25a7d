"""The content hash that tells ``--resume`` whether a submission changed."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from autograder.fingerprint import content_sha256, source_files


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


def _tree(root: Path) -> None:
    """Code, bytecode, a skipped folder, links to a file and to a folder, a broken link, a fifo, a
    file named ``__pycache__``, and names whose path order is not their text's order."""
    for name in ("a/x.py", "a/y.pyc", "a/__pycache__/x.cpython-311.pyc", "samples/s.py", "b-c/1", "b/2",
                 ".hidden/h", "top.toml"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(name, encoding="utf-8")
    (root / "__pycache__").write_text("", encoding="utf-8")
    (root / "to_folder").symlink_to(root / "a")
    (root / "to_file").symlink_to(root / "a" / "x.py")
    (root / "broken").symlink_to(root / "nowhere")
    os.mkfifo(root / "fifo")


def test_source_files_are_the_code_below_a_folder_in_path_order(tmp_path: Path) -> None:
    _tree(tmp_path)
    listed = [p.relative_to(tmp_path).as_posix() for p in source_files(tmp_path, ("samples",))]
    assert listed == [".hidden/h", "a/x.py", "b/2", "b-c/1", "to_file", "top.toml"]
    assert "samples/s.py" in [p.relative_to(tmp_path).as_posix() for p in source_files(tmp_path)]


def test_a_folder_that_cannot_be_listed_is_passed_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _tree(tmp_path)
    real = os.scandir

    def scandir(path: str) -> object:
        if os.path.basename(path) == "b":
            raise PermissionError(13, "Permission denied", path)
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    listed = [p.relative_to(tmp_path).as_posix() for p in source_files(tmp_path)]
    assert "b/2" not in listed and "b-c/1" in listed and "a/x.py" in listed
