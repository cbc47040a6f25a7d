"""What the CLI shows of a batch: the grade table's status column."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from autograder.grading.batch import write_student
from autograder.views import STATUS_WIDTH, results_table
from tests.grading.builders import BUNDLED, outcome, result

LONG_ERROR = ("the submission could not be loaded: " + "ModuleNotFoundError: No module named 'tensorflow' "
              "(the sandbox has numpy and the standard library only; remove the import and use numpy) " * 3).strip()


def _status_cell(rendered: str, student: str) -> str:
    row = next(line for line in rendered.splitlines() if line.lstrip("│ ").startswith(student))
    return row.split("│")[4].strip()


def test_a_long_status_is_shortened_at_a_word_and_results_json_keeps_it_whole(tmp_path: Path) -> None:
    long_one = result(student_id="alice", max_score=4.0, error=LONG_ERROR, error_kind="submission")
    console = Console(width=10_000, record=True, file=io.StringIO())
    console.print(results_table((long_one,), "Activations: 1 submission"))
    status = _status_cell(console.export_text(), "alice")
    assert len(LONG_ERROR) > STATUS_WIDTH
    assert len(status) <= STATUS_WIDTH and status.endswith("…")
    kept = status.removesuffix("…")
    assert LONG_ERROR.startswith(kept) and LONG_ERROR[len(kept)] == " "  # a whole word, not half of one
    write_student(long_one, tmp_path, BUNDLED)
    written = json.loads((tmp_path / "alice" / "results.json").read_text(encoding="utf-8"))
    assert written["extra_data"]["error"] == LONG_ERROR


def test_a_short_status_is_shown_whole_and_counts_in_good_grammar() -> None:
    one_failure = result(outcome("sigmoid[values]", "sigmoid", 2.0, passed=False, kind="grader"),
                         outcome("relu[values]", "relu", 1.0))
    console = Console(width=10_000, record=True, file=io.StringIO())
    console.print(results_table((one_failure,), "Activations: 1 submission"))
    status = _status_cell(console.export_text(), "alice")
    assert status.startswith("1/2 skills full marks; 1 test could not run (see results.json)")
    assert "…" not in status
