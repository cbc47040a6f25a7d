"""``DIR/report.html`` and ``DIR/summary.json`` for a folder ``grade --out DIR`` wrote."""

from __future__ import annotations

import datetime
import json
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder import __version__
from autograder.files import write_chunks_atomically
from autograder.grading.batch import GRADEBOOK
from autograder.integrity.run import read_similarity
from autograder.report import charts
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
    """The report's charts as ``data:`` URIs of SVG documents (only those with something to draw)."""
    drawn: dict[str, str] = {}
    if summary["scores"].get("count"):
        drawn["scores"] = charts.score_histogram(summary)
    if summary["tests_ran"]:
        drawn["skills"] = charts.skill_pass_rates(summary)
    if summary["misconceptions"]:
        drawn["misconceptions"] = charts.misconception_counts(summary)
    return {name: charts.data_uri(svg) for name, svg in drawn.items()}


def render_report(summary: dict[str, Any], *, generated: str | None = None) -> str:
    """The self-contained HTML report of ``summary``."""
    return "".join(report_chunks(summary, generated=generated))


def report_chunks(summary: dict[str, Any], *, generated: str | None = None) -> Iterator[str]:
    """``render_report``'s page, piece by piece (its table of students as the rows are read)."""
    stamp = generated or datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return render_chunks("report.html", s=summary, figures=batch_figures(summary), generated=stamp,
                         version=__version__, checks_shown=CHECKS_SHOWN)


def summary_json_chunks(summary: dict[str, Any]) -> Iterator[str]:
    """``json.dumps(summary, indent=2)`` and a newline, with its ``SPOOLED`` lists (any iterables of
    rows, such as rows spooled to disk) written one row at a time."""
    marked = {**summary, **{key: _marker(key) for key in SPOOLED}}
    text = json.dumps(marked, indent=2, allow_nan=False)
    for key in sorted(SPOOLED, key=lambda spooled: text.index(json.dumps(_marker(spooled)))):
        head, text = text.split(json.dumps(_marker(key)))
        yield head
        opening = "[\n"
        for row in summary[key]:
            yield opening + textwrap.indent(json.dumps(row, indent=2, allow_nan=False), "    ")
            opening = ",\n"
        yield "[]" if opening == "[\n" else "\n  ]"
    yield text + "\n"


SPOOLED = ("needs_look", "students")
"""The summary's lists with a row per student (all of them, or those to look at): written one row
at a time, never whole in memory."""


def _marker(key: str) -> str:
    """Where ``summary_json_chunks`` writes ``key``'s rows (no summary holds this string: it is
    escaped in JSON)."""
    return f"\0{key}\0"


def write_report(folder: Path, *, assignment_id: str | None = None, assignment: Any = None) -> WrittenReport:
    """Read the graded ``folder``, write ``report.html`` and ``summary.json`` into it.

    ``assignment`` (an ``Assignment``) gives titles, the catalog and the time
    budget; without it the bundled assignment of the results' id is used, if any.
    Raises ``ReportError`` when the folder holds no results (or several
    assignments and no ``assignment_id``). The results are read one at a time and the students'
    rows kept on disk meanwhile (``summary.tallied_batch``): the returned ``summary`` holds every
    figure but those rows (``SPOOLED``), which are in ``summary.json``.
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
    summary = {key: value for key, value in summary.items() if key not in SPOOLED}
    return WrittenReport(folder / REPORT, folder / SUMMARY, summary)
