"""Scores the instructor flags in the manifest (``needs_look_scores``): each flagged under needs a
look with the instructor's reason, in summary.json and the grade table; a malformed entry is one
``error:`` line from ``validate``, exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from autograder.assignment import ManifestError, ScoreFlag, load_manifest
from autograder.cli import main
from tests.grading.builders import GOOD, tiny_assignment

REASON = "full marks: worth a glance"


def run(*args: str) -> Result:
    return CliRunner(env={"COLUMNS": "400"}).invoke(main, list(args), catch_exceptions=False)


def _with_flags(course: Path, flags: str) -> Path:
    manifest = course / "activations" / "manifest.toml"
    kept = [line for line in manifest.read_text(encoding="utf-8").splitlines()
            if not line.startswith("needs_look_scores")]  # the shipped manifest says none
    manifest.write_text(f"needs_look_scores = {flags}\n" + "\n".join(kept) + "\n", encoding="utf-8")
    return manifest


def test_flags_are_read_into_the_typed_config(tmp_path: Path) -> None:
    assignment = tiny_assignment(tmp_path / "course")
    _with_flags(tmp_path / "course", f'[{{ at_least = {assignment.total_points}, reason = "{REASON}" }}, '
                                     '{ at_most = 0, reason = "nothing at all" }]')
    flags = load_manifest(assignment.root).needs_look_scores
    assert flags == (ScoreFlag(REASON, at_least=assignment.total_points), ScoreFlag("nothing at all", at_most=0.0))
    assert flags[0].matches(assignment.total_points) and not flags[0].matches(assignment.total_points / 2)


@pytest.mark.parametrize("flags", ['[{ at_least = 100 }]', '[{ reason = "no bound" }]',
                                   '[{ at_least = "high", reason = "x" }]', '[{ at_least = 1, reason = "" }]',
                                   '[{ at_least = 1, reason = "x", colour = "red" }]', '[100]', '"100"'])
def test_validate_rejects_a_malformed_entry_in_one_line(tmp_path: Path, flags: str) -> None:
    assignment = tiny_assignment(tmp_path / "course")
    _with_flags(tmp_path / "course", flags)
    with pytest.raises(ManifestError):
        load_manifest(assignment.root)
    result = run("--course", str(tmp_path / "course"), "validate", "--assignment", "activations", "--quick")
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "needs_look_scores" in lines[0], result.output


@pytest.mark.slow
def test_a_flagged_score_needs_a_look_with_the_instructors_reason(tmp_path: Path) -> None:
    assignment = tiny_assignment(tmp_path / "course")
    _with_flags(tmp_path / "course", f'[{{ at_least = {assignment.total_points}, reason = "{REASON}" }}]')
    (tmp_path / "honest.py").write_text(GOOD, encoding="utf-8")
    result = run("--course", str(tmp_path / "course"), "grade", "--assignment", "activations",
                 "--out", str(tmp_path / "out"), str(tmp_path / "honest.py"))
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    [row] = summary["needs_look"]
    assert row["student"] == "honest" and row["score"] == pytest.approx(assignment.total_points)
    assert any(r.endswith(REASON) for r in row["reasons"]), row["reasons"]
    assert REASON in result.output
