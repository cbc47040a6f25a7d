"""The measured quality of the similarity check at its default settings: on the corpus, every
disguised copy is listed and no pair of independent solutions is, although they all share the
released stub's structure and the conventional one-liners of these short functions."""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.assignment import get_assignment
from autograder.integrity import check_similarity
from autograder.integrity.settings import Settings
from autograder.release.build import stub_source
from tests.integrity.helpers import copy_pairs, corpus_submissions, honest_pairs

ACTIVATIONS = get_assignment("activations")


@pytest.fixture(scope="module")
def listed(tmp_path_factory: pytest.TempPathFactory) -> dict[frozenset[str], dict[str, object]]:
    out = tmp_path_factory.mktemp("similarity")
    content = check_similarity(ACTIVATIONS, corpus_submissions(), out).content
    assert content["unread"] == [] and content["compared"] == len(corpus_submissions())
    return {frozenset((p["a"], p["b"])): p for p in content["pairs"]}


def test_the_corpus_has_copies_of_every_kind_and_enough_independent_solutions() -> None:
    names = corpus_submissions()
    assert len([n for n in names if n.startswith("honest_")]) >= 8
    assert len(copy_pairs()) >= 6
    kinds = {path.suffix or "folder" for path in names.values()}
    assert kinds == {".py", ".ipynb", ".zip", "folder"}


@pytest.mark.parametrize("pair", sorted(copy_pairs(), key=sorted), ids=lambda p: "~".join(sorted(p)))
def test_every_disguised_copy_is_listed(listed: dict[frozenset[str], dict[str, object]], pair: frozenset[str]) -> None:
    assert pair in listed, f"{sorted(pair)} not listed"
    assert listed[pair]["score"] >= Settings().threshold  # type: ignore[operator]


def test_no_pair_of_independent_solutions_is_listed(listed: dict[frozenset[str], dict[str, object]]) -> None:
    flagged = [sorted(pair) for pair in honest_pairs() if pair in listed]
    assert flagged == []


def test_precision_and_recall_are_one(listed: dict[frozenset[str], dict[str, object]]) -> None:
    found = set(listed)
    true = copy_pairs()
    assert len(found & true) / len(found) == 1.0
    assert len(found & true) / len(true) == 1.0


def test_submitting_the_released_stub_untouched_matches_nothing(tmp_path: Path) -> None:
    stub = stub_source(ACTIVATIONS)
    paths = {}
    for name in ("stub_a", "stub_b"):
        paths[name] = tmp_path / f"{name}.py"
        paths[name].write_text(stub, encoding="utf-8")
    paths["stub_c"] = tmp_path / "stub_c.py"  # reformatted and commented: still only the stub
    paths["stub_c"].write_text(stub.replace("(x)", "( x )").replace("    raise", "    # todo\n    raise"),
                               encoding="utf-8")
    content = check_similarity(ACTIVATIONS, paths, tmp_path / "out").content
    assert content["pairs"] == []
