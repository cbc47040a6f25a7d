"""Benchmark: the similarity check's precision and recall at its default threshold. Prints figures;
asserts nothing (``tests/integrity/test_corpus.py`` asserts).

Run from the repository root::

    python benchmarks/similarity_quality.py

1. The corpus (``tests/integrity/corpus``, ``COPIES.toml`` says which is a copy of which):
   independent solutions of the activations assignment in different styles, two of them the
   released stub and notebook filled in, and copies disguised by renaming, reordering,
   comments, splitting functions, a notebook made from a ``.py``, a folder and a zip.
   Every pair is scored; printed: precision and recall at the default threshold, the
   highest-scoring independent pair and the lowest-scoring copy (the margin on each side).
2. The corpus with the bundled samples (``assignments/activations/samples``) added: the pairs
   the samples form at the default threshold (several samples are ``correct.py`` with a few
   lines changed or a hostile prelude added: copies by construction), and the highest score of
   a sample with a corpus solution (all written independently).
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder.assignment import get_assignment  # noqa: E402
from autograder.integrity import Settings, check_similarity  # noqa: E402
from tests.integrity.helpers import copy_pairs, corpus_submissions  # noqa: E402

ACTIVATIONS = get_assignment("activations")
SAMPLES = {p.stem: p for p in sorted((ACTIVATIONS.root / "samples").iterdir())}


def scores(submissions: dict[str, Path]) -> dict[frozenset[str], tuple[float, int]]:
    """Every pair sharing any fingerprint: its score and matched tokens."""
    everything = replace(Settings(), threshold=0.0, min_matched_tokens=0)
    with tempfile.TemporaryDirectory() as out:
        content = check_similarity(ACTIVATIONS, submissions, Path(out), settings=everything).content
    return {frozenset((p["a"], p["b"])): (p["score"], p["matched_tokens"]) for p in content["pairs"]}


def listed(found: dict[frozenset[str], tuple[float, int]]) -> set[frozenset[str]]:
    default = Settings()
    return {pair for pair, (score, tokens) in found.items()
            if score >= default.threshold and tokens >= default.min_matched_tokens}


def corpus_figures() -> None:
    found = scores(corpus_submissions())
    flagged, copies = listed(found), copy_pairs()
    true = flagged & copies
    precision = len(true) / len(flagged) if flagged else 1.0
    print(f"corpus: {len(corpus_submissions())} submissions, {len(copies)} copies; threshold {Settings().threshold}")
    print(f"  precision {precision:.2f} ({len(true)}/{len(flagged)} listed pairs are copies)")
    print(f"  recall    {len(true) / len(copies):.2f} ({len(true)}/{len(copies)} copies listed)")
    honest = sorted(((found.get(p, (0.0, 0)), sorted(p)) for p in _all_pairs() - copies), reverse=True)[:3]
    weakest = sorted((found.get(p, (0.0, 0)), sorted(p)) for p in copies)[:3]
    for (score, tokens), names in honest:
        print(f"  independent pair  {score:.2f} ({tokens} tokens)  {' ~ '.join(names)}")
    for (score, tokens), names in weakest:
        print(f"  copy              {score:.2f} ({tokens} tokens)  {' ~ '.join(names)}")


def _all_pairs() -> set[frozenset[str]]:
    names = list(corpus_submissions())
    return {frozenset((a, b)) for i, a in enumerate(names) for b in names[i + 1:]}


def sample_figures() -> None:
    found = scores({**corpus_submissions(), **SAMPLES})
    among_samples = sorted((found[p][0], sorted(p)) for p in listed(found) if p <= set(SAMPLES))
    print(f"samples: {len(among_samples)} pairs of bundled samples listed (derived from correct.py):")
    for score, names in reversed(among_samples):
        print(f"  {score:.2f}  {' ~ '.join(names)}")
    crossed = [(score, sorted(p)) for p, (score, _) in found.items() if len(p & set(SAMPLES)) == 1]
    score, names = max(crossed)
    print(f"  highest sample ~ corpus pair (independent): {score:.2f}  {' ~ '.join(names)}")


if __name__ == "__main__":
    corpus_figures()
    sample_figures()
