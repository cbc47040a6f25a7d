"""What ``autograder similarity`` and ``autograder grade --similarity`` print."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from autograder.escaping import terminal_plain
from autograder.integrity.run import SimilarityError, check_similarity
from autograder.integrity.settings import Settings


def _say(text: str) -> None:
    import click

    click.echo(terminal_plain(text, one_line=True))


def _listed(content: dict[str, Any]) -> None:
    for row in content["pairs"]:
        rare = [m["id"] for m in row["shared_misconceptions"] if m["rare"]]
        note = f"; both: {', '.join(rare)} (rare)" if rare else ""
        _say(f"  {row['score']:.0%}  {row['a']}  {row['b']}  ({row['matched_tokens']} tokens){note}")


def similarity_with_report(assignment: Any, submissions: Mapping[str, Path] | Sequence[Path], out_dir: Path, *,
                           threshold: float | None = None, against: Path | None = None) -> None:
    """Run the check, print the listed pairs, and write the batch report again when ``out_dir``
    holds this assignment's graded batch (its "needs a look" lists the pairs)."""
    from autograder.views import fail

    settings = Settings() if threshold is None else replace(Settings(), threshold=threshold)
    try:
        written = check_similarity(assignment, submissions, out_dir, settings=settings, archive=against)
    except SimilarityError as err:
        fail(str(err))
    content = written.content
    archived = f" and {content['archived']} archived" if content["archived"] else ""
    _say(f"similarity: {content['compared']} submissions compared{archived}, {len(content['pairs'])} "
         f"pair{'s' if len(content['pairs']) != 1 else ''} at or above {settings.threshold:.0%}")
    _listed(content)
    for unread in content["unread"]:
        _say(f"  not compared: {unread['name']}: {unread['reason']}")
    _say(f"similarity written to {written.html}")
    if any(out_dir.glob("*/results.json")):
        _report_again(assignment, out_dir)


def _report_again(assignment: Any, out_dir: Path) -> None:
    from autograder.report import ReportError, write_report

    try:
        written = write_report(out_dir, assignment=assignment)
    except ReportError:
        return
    _say(f"report written to {written.html}")
