"""``DIR/report.html`` and ``DIR/summary.json`` for a folder ``grade --out DIR`` wrote."""

from __future__ import annotations

import datetime
import json
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder import __version__
from autograder.files import write_chunks_atomically
from autograder.grading.batch import GRADEBOOK
from autograder.grading.forked import ForkFailed, can_fork, run_in_fork
from autograder.integrity.run import read_similarity
from autograder.report import figures
from autograder.report.render import render_chunks
from autograder.report.summary import assignment_info, summary_of, tallied_batch

REPORT = "report.html"
SUMMARY = "summary.json"
CHECKS_SHOWN = 15
"""Rows of the "checks failed most often" table (summary.json has them all)."""


@dataclass(frozen=True)
class WrittenReport:
    html: Path
    json: Path
    summary: dict[str, Any]


def batch_figures(summary: dict[str, Any]) -> dict[str, str]:
    """The report's figures as ``data:`` URIs (only those with something to draw)."""
    wanted: dict[str, Callable[[dict[str, Any]], bytes]] = {}
    if summary["misconceptions"]:
        wanted["misconceptions"] = figures.misconception_counts
    if summary["scores"].get("count"):
        wanted["scores"] = figures.score_histogram
    if summary["tests_ran"]:
        wanted["skills"] = figures.skill_pass_rates
    drawn = _drawn_two_at_a_time(wanted, summary)
    return {name: figures.data_uri(drawn[name]) for name in ("scores", "skills", "misconceptions") if name in drawn}


FIGURE_TIMEOUT_S = 120.0
"""The most a forked process may take to draw one figure (it takes a fraction of a second)."""


def _drawn_two_at_a_time(wanted: dict[str, Callable[[dict[str, Any]], bytes]],
                         summary: dict[str, Any]) -> dict[str, bytes]:
    """Each of ``wanted`` drawn from ``summary``: the first in a fork of this process while this one
    draws the others (the report is written once grading is done, when both cores are free: 0.3 s
    sooner), or all here when this process may not fork (other threads run, no POSIX fork) or the
    fork fails."""
    names = list(wanted)
    if len(names) < 2 or not can_fork():
        return {name: wanted[name](summary) for name in names}
    drawn: dict[str, bytes] = {}
    errors: list[BaseException] = []

    def the_others() -> None:
        try:
            drawn.update({name: wanted[name](summary) for name in names[1:]})
        except Exception as err:  # noqa: BLE001 - raised below, in this process, as it would unforked
            errors.append(err)

    try:
        drawn[names[0]] = run_in_fork(lambda: wanted[names[0]](summary), timeout_s=FIGURE_TIMEOUT_S,
                                      meanwhile=the_others)
    except ForkFailed:
        drawn[names[0]] = wanted[names[0]](summary)
    if errors:
        raise errors[0]
    return drawn


def render_report(summary: dict[str, Any], *, generated: str | None = None) -> str:
    """The self-contained HTML report of ``summary``."""
    return "".join(report_chunks(summary, generated=generated))


def report_chunks(summary: dict[str, Any], *, generated: str | None = None) -> Iterator[str]:
    """``render_report``'s page, piece by piece (its table of students as the rows are read)."""
    stamp = generated or datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return render_chunks("report.html", s=summary, figures=batch_figures(summary), generated=stamp,
                         version=__version__, checks_shown=CHECKS_SHOWN)


def summary_json_chunks(summary: dict[str, Any]) -> Iterator[str]:
    """``json.dumps(summary, indent=2)`` and a newline, with its ``students`` (any iterable of rows,
    such as rows spooled to disk) written one row at a time."""
    head, tail = json.dumps({**summary, "students": _ROWS}, indent=2, allow_nan=False).split(json.dumps(_ROWS))
    yield head
    opening = "[\n"
    for row in summary["students"]:
        yield opening + textwrap.indent(json.dumps(row, indent=2, allow_nan=False), "    ")
        opening = ",\n"
    yield "[]" if opening == "[\n" else "\n  ]"
    yield tail + "\n"


_ROWS = "\0students\0"
"""Where ``summary_json_chunks`` writes the rows (no summary holds this string: it is escaped in JSON)."""


def write_report(folder: Path, *, assignment_id: str | None = None, assignment: Any = None) -> WrittenReport:
    """Read the graded ``folder``, write ``report.html`` and ``summary.json`` into it.

    ``assignment`` (an ``Assignment``) gives titles, the catalog and the time
    budget; without it the bundled assignment of the results' id is used, if any.
    Raises ``ReportError`` when the folder holds no results (or several
    assignments and no ``assignment_id``). The results are read one at a time and the students'
    rows kept on disk meanwhile (``summary.tallied_batch``): the returned ``summary`` holds every
    figure but those rows, which are in ``summary.json``.
    """
    folder = Path(folder)
    wanted = assignment.id if assignment is not None else assignment_id
    gradebook_path = folder / GRADEBOOK
    gradebook = gradebook_path.read_text(encoding="utf-8") if gradebook_path.is_file() else None
    with tallied_batch(folder, wanted, gradebook) as (chosen, counted, unreadable):
        summary = summary_of(counted, assignment_info(chosen, assignment), unreadable)
        similarity = read_similarity(folder)
        if similarity is not None and similarity.get("assignment") == chosen:
            summary["similarity"] = similarity
        write_chunks_atomically(folder / SUMMARY, summary_json_chunks(summary))
        write_chunks_atomically(folder / REPORT, report_chunks(summary))
    summary = {key: value for key, value in summary.items() if key != "students"}
    return WrittenReport(folder / REPORT, folder / SUMMARY, summary)
