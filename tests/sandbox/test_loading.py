"""The load report as the grader reads it: strict about what the worker sends, clear to the student."""

from __future__ import annotations

from typing import Any

import pytest

from autograder.sandbox import ProtocolError
from autograder.sandbox.loading import (
    LoadReport,
    Location,
    StatementFailure,
    in_running_order,
    parse_load_report,
    running_location,
)

FAILURE = {"cell": 3, "line": 2, "code": "f(x)", "type": "NameError", "message": "name 'f' is not defined",
           "origin": None, "scope": "statement"}


def report(**fields: Any) -> dict[str, Any]:
    return {"ok": True, "functions": ["g"], "failures": [FAILURE], "more_failures": 0, "inputs": [], **fields}


def test_a_well_formed_report_is_read_whole() -> None:
    loaded = parse_load_report(report(inputs=[{"cell": 2, "line": 1, "code": "input()"}]))
    assert loaded.functions == ("g",)
    assert loaded.failures == (StatementFailure(Location(3, 2, "f(x)"), "NameError", "name 'f' is not defined"),)
    assert loaded.inputs == (Location(2, 1, "input()"),)
    assert loaded.warnings()[0].startswith("cell 2, line 1 (`input()`): input() was answered")


@pytest.mark.parametrize("fields", [
    {"failures": "many"},
    {"failures": [dict(FAILURE, cell=0)]},
    {"failures": [dict(FAILURE, line="2")]},
    {"failures": [dict(FAILURE, message=None)]},
    {"failures": [dict(FAILURE, origin=[1])]},
    {"failures": [FAILURE] * 201},
    {"more_failures": -1},
    {"inputs": [{"cell": True, "line": 1}]},
], ids=["not-a-list", "cell-zero", "line-text", "message-none", "origin-list", "too-many", "negative-count",
        "bool-cell"])
def test_a_malformed_report_is_a_protocol_error(fields: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError):
        parse_load_report(report(**fields))


def test_long_texts_are_clipped() -> None:
    loaded = parse_load_report(report(failures=[dict(FAILURE, code="x" * 500, message="m" * 10_000)]))
    assert len(loaded.failures[0].where.code) < 130 and len(loaded.failures[0].message) < 4100


def test_running_frames_are_told_apart_from_the_report() -> None:
    assert running_location({"running": {"cell": None, "line": 4, "code": "train()"}}) == Location(None, 4, "train()")
    assert running_location(report()) is None


def test_a_failed_load_without_a_message_has_no_dangling_colon() -> None:
    assert LoadReport.failed("NotImplementedError", "").describe() == (
        "the submission could not be loaded: NotImplementedError")


def test_notes_are_put_in_the_order_the_code_ran() -> None:
    notes = ("cell 12, line 1: skipped IPython-only line '!ls'", "cell 3, line 4: `f()` raised ...",
             "cell 12: skipped a %%bash cell (not Python)", "... and 3 more statements failed",
             "cell 3, line 1 (`input()`): input() was answered")
    assert in_running_order(notes) == (notes[4], notes[1], notes[2], notes[0], notes[3])
    assert in_running_order(("line 9: b", "line 10: c", "line 2: a")) == ("line 2: a", "line 9: b", "line 10: c")
