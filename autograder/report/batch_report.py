"""``DIR/report.html`` and ``DIR/summary.json`` for a folder ``grade --out DIR`` wrote."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder import __version__
from autograder.files import write_atomically
from autograder.grading.batch import GRADEBOOK
from autograder.integrity.run import read_similarity
from autograder.report import figures
from autograder.report.render import render
from autograder.report.summary import assignment_info, read_batch, summarize

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
    drawn: dict[str, str] = {}
    if summary["scores"].get("count"):
        drawn["scores"] = figures.data_uri(figures.score_histogram(summary))
    if summary["tests_ran"]:
        drawn["skills"] = figures.data_uri(figures.skill_pass_rates(summary))
    if summary["misconceptions"]:
        drawn["misconceptions"] = figures.data_uri(figures.misconception_counts(summary))
    return drawn


def render_report(summary: dict[str, Any], *, generated: str | None = None) -> str:
    """The self-contained HTML report of ``summary``."""
    stamp = generated or datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return render("report.html", s=summary, figures=batch_figures(summary), generated=stamp,
                  version=__version__, checks_shown=CHECKS_SHOWN)


def write_report(folder: Path, *, assignment_id: str | None = None, assignment: Any = None) -> WrittenReport:
    """Read the graded ``folder``, write ``report.html`` and ``summary.json`` into it.

    ``assignment`` (an ``Assignment``) gives titles, the catalog and the time
    budget; without it the bundled assignment of the results' id is used, if any.
    Raises ``ReportError`` when the folder holds no results (or several
    assignments and no ``assignment_id``).
    """
    folder = Path(folder)
    batch = read_batch(folder)
    wanted = assignment.id if assignment is not None else assignment_id
    chosen, results = batch.pick(wanted)
    gradebook_path = folder / GRADEBOOK
    gradebook = gradebook_path.read_text(encoding="utf-8") if gradebook_path.is_file() else None
    summary = summarize(results, assignment_info(chosen, assignment), gradebook=gradebook,
                        unreadable=batch.unreadable)
    similarity = read_similarity(folder)
    if similarity is not None and similarity.get("assignment") == chosen:
        summary["similarity"] = similarity
    write_atomically(folder / SUMMARY, json.dumps(summary, indent=2, allow_nan=False) + "\n")
    write_atomically(folder / REPORT, render_report(summary))
    return WrittenReport(folder / REPORT, folder / SUMMARY, summary)
