"""A hostile neighbour changes nothing: batch scores equal solo scores."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from autograder.assignment import Assignment
from autograder.grading.batch import grade_batch, written_result
from autograder.grading.results import GradeResult

from .conftest import pass_vector, processes_mentioning
from .corpus import CASES, WRONG_SIGMOID, write_submission

pytestmark = pytest.mark.slow

BATCH_SIZE = 50
HONEST_VARIANTS = {
    "correct": "",
    "wrong_sigmoid": WRONG_SIGMOID,
    "relu_kink": "\ndef relu_derivative(x):\n    return (np.asarray(x, dtype=np.float64) >= 0).astype(np.float64)\n",
    "no_softmax": "\ndel softmax\n",
}
HOSTILE = {case.name: case for case in CASES if case.name in ("infinite_loop", "memory_bomb")}


def _batch(folder: Path, base: str) -> tuple[list[Path], dict[str, str]]:
    """50 submissions: the two hostile ones and 48 honest ones cycling through the variants."""
    variant_of: dict[str, str] = {}
    paths = [write_submission(folder, f"zz_{name}", case.source(base)) for name, case in HOSTILE.items()]
    names = list(HONEST_VARIANTS)
    for i in range(BATCH_SIZE - len(paths)):
        variant = names[i % len(names)]
        student = f"student{i:02d}_{variant}"
        variant_of[student] = variant
        paths.append(write_submission(folder, student, base + HONEST_VARIANTS[variant]))
    return paths, variant_of


def test_fifty_submissions_with_a_hang_and_a_memory_bomb(
        tmp_path: Path, base_source: str, assignment: Assignment,
        grade: Callable[[Path], GradeResult]) -> None:
    (tmp_path / "in").mkdir()
    paths, variant_of = _batch(tmp_path / "in", base_source)
    solo = {variant: grade(write_submission(tmp_path, f"solo_{variant}", base_source + extra))
            for variant, extra in HONEST_VARIANTS.items()}

    started = time.monotonic()
    report = grade_batch(assignment, paths, tmp_path / "graded", jobs=2)
    elapsed = time.monotonic() - started
    print(f"\n50-submission batch graded in {elapsed:.1f} s with 2 jobs")

    assert len(report.results) == BATCH_SIZE and report.all_graded
    written = {r.student_id: written_result(tmp_path / "graded", r.student_id, assignment) for r in report.results}
    results = {student: result for student, result in written.items() if result is not None}
    assert len(results) == BATCH_SIZE, "every student's results.json is written"
    for student, variant in variant_of.items():
        assert results[student].score == pytest.approx(solo[variant].score, abs=1e-9), student
        assert pass_vector(results[student]) == pass_vector(solo[variant]), student
    for name in HOSTILE:
        assert results[f"zz_{name}"].score < results["student00_correct"].score
    rows = (tmp_path / "graded" / "grades.csv").read_text().splitlines()
    assert len(rows) == BATCH_SIZE + 1
    assert processes_mentioning(str(tmp_path)) == []
    assert all(processes_mentioning(student) == [] for student in results)
