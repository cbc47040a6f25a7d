"""The similarity corpus: independent solutions of the activations assignment and disguised copies."""

from __future__ import annotations

import itertools
import tomllib
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"


def corpus_submissions() -> dict[str, Path]:
    """Every submission of the corpus by student id (files, a folder, a zip, notebooks)."""
    return {path.stem if path.is_file() else path.name: path for path in sorted(CORPUS.iterdir())
            if path.name != "COPIES.toml"}


def copy_pairs() -> set[frozenset[str]]:
    """The pairs that are copies (COPIES.toml): a copy and its original."""
    copies = tomllib.loads((CORPUS / "COPIES.toml").read_text(encoding="utf-8"))["copies"]
    return {frozenset((copy, original)) for copy, original in copies.items()}


def honest_pairs() -> set[frozenset[str]]:
    """Every other pair of the corpus: written independently."""
    everyone = corpus_submissions()
    return {frozenset(p) for p in itertools.combinations(everyone, 2)} - copy_pairs()
