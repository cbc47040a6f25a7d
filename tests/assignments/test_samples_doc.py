"""``assignments/activations/SAMPLES.md`` quotes each sample's score: the score ``autograder grade`` gives it.

The samples the document scores are graded once, as the README's first command
grades them (``grade_batch``, in the sandbox), and each quoted score must be the
real one to the precision the document shows: a change to the suite, the
credit or a sample that moves a score fails here until the document says so.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from autograder.assignment import get_assignment
from autograder.grading.batch import grade_batch
from autograder.grading.results import GradeResult

pytestmark = pytest.mark.slow

ASSIGNMENT = get_assignment("activations")
SAMPLES = ASSIGNMENT.root / "samples"
DOC = ASSIGNMENT.root / "SAMPLES.md"
ROW = re.compile(r"^\|\s*`(?P<file>[^`]+)`\s*\|.*\|\s*(?P<score>[^|]*?)\s*\|\s*$")
SCORE = re.compile(r"^~?(?P<number>\d+(?:\.(?P<decimals>\d+))?)(?:\s*:|$)")


def documented_rows(text: str) -> dict[str, str]:
    """Each sample file of the document's table and its last column, as written."""
    return {match["file"]: match["score"] for match in map(ROW.match, text.splitlines()) if match}


def quoted_scores(text: str) -> dict[str, tuple[float, int]]:
    """The samples whose last column starts with a score: the score and how many decimals it shows."""
    quoted = {}
    for sample, cell in documented_rows(text).items():
        match = SCORE.match(cell)
        if match:
            quoted[sample] = (float(match["number"]), len(match["decimals"] or ""))
    return quoted


QUOTED = quoted_scores(DOC.read_text(encoding="utf-8"))


def test_the_document_lists_every_sample_and_scores_the_graded_ones() -> None:
    rows = documented_rows(DOC.read_text(encoding="utf-8"))
    assert set(rows) == {path.name for path in SAMPLES.iterdir()}
    assert {"correct.py", "partial.py", "wrong_derivatives.py", "unstable.py", "notebook.ipynb"} <= set(QUOTED)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, GradeResult]:
    """Every sample the document scores, graded as ``autograder grade`` grades it, by student id."""
    report = grade_batch(ASSIGNMENT, [SAMPLES / name for name in sorted(QUOTED)],
                         tmp_path_factory.mktemp("graded"), jobs=2, resume=False)
    return {result.student_id: result for result in report.results}


@pytest.mark.parametrize("sample", sorted(QUOTED))
def test_the_quoted_score_is_the_real_one(sample: str, graded: dict[str, GradeResult]) -> None:
    quoted, decimals = QUOTED[sample]
    result = graded[Path(sample).stem]
    assert result.graded and not result.error, result.error or result.detail
    shown_precision = 0.5 * 10.0 ** -decimals
    assert abs(result.score - quoted) <= shown_precision, (
        f"SAMPLES.md quotes {sample} at {quoted:g}; autograder grade gives it {result.score:g}")
