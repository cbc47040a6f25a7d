"""A real batch (the bundled samples, graded in the sandbox) and its report, opened in headless Chromium."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from autograder.assignment import get_assignment
from autograder.cli import main
from tests.pages import Page, assert_chart_drawn, assert_not_blank, decoded_svg

SAMPLES = sorted((get_assignment("activations").root / "samples").iterdir())
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")]

PROBE = """<script>
window.addEventListener("load", () => {
  const images = [...document.images];
  const body = document.body.dataset;
  body.images = images.length;
  body.broken = images.filter(i => !i.complete || i.naturalWidth === 0).length;
  body.shown = images.filter(i => i.naturalWidth > 0 && i.getBoundingClientRect().width > 100).length;
});
</script>"""
"""Added to a copy of the page (whose policy forbids any script) to ask the browser what it drew."""


def chromium(tmp_path: Path, page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={tmp_path / 'chromium-profile'}", *args, page.resolve().as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def images_drawn(page: Path, tmp_path: Path) -> dict[str, str]:
    """What Chromium reports of ``page``'s images (``images``, ``broken``, ``shown``), read from a copy
    of the page with ``PROBE`` added and the Content-Security-Policy taken out (it forbids the probe)."""
    probe = page.with_name(f"{page.stem}-probe.html")
    text = page.read_text(encoding="utf-8")
    probe.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text)
                     .replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dumped = chromium(tmp_path, probe, "--virtual-time-budget=5000", "--dump-dom")
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    body = re.search(r"<body([^>]*)>", dumped.stdout)
    assert body is not None, dumped.stdout[:500]
    return dict(re.findall(r'data-(\w+)="(\d+)"', body.group(1)))


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("batch") / "graded"
    result = CliRunner(env={"COLUMNS": "400"}).invoke(
        main, ["grade", "--assignment", "activations", "--out", str(out), "--jobs", "2", *map(str, SAMPLES)])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_grade_writes_the_report_and_says_where(graded: tuple[Path, str]) -> None:
    out, output = graded
    assert f"report written to {out / 'report.html'}" in output
    assert (out / "report.html").is_file() and (out / "summary.json").is_file()
    for sample in SAMPLES:
        assert (out / sample.stem / "feedback.html").is_file()


def _ids(cell: str) -> list[str]:
    """grades.csv's misconception ids, space-separated; a combined diagnosis ("a + b") is one id."""
    return [m.replace("+", " + ") for m in cell.replace(" + ", "+").split()]


def test_summary_agrees_with_the_gradebook(graded: tuple[Path, str]) -> None:
    out, _ = graded
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    rows = {row["student_id"]: row for row in csv.DictReader(io.StringIO(
        (out / "grades.csv").read_text(encoding="utf-8")))}
    students = {row["student_id"]: row for row in summary["students"]}
    assert set(students) == set(rows) == {s.stem for s in SAMPLES}
    for student, row in rows.items():
        mine = students[student]
        assert row["score"] == f"{mine['score']:g}"  # grades.csv writes 6 significant digits
        assert float(row["max_score"]) == mine["max_score"]
        assert row["status"] == mine["status"]
        assert _ids(row["misconceptions"]) == mine["misconceptions"]
        for skill, points in mine["skills"].items():
            assert row[skill] == f"{points:g}"
    counted = [float(r["score"]) for r in rows.values() if r["status"] != "grader-error"]
    assert summary["scores"]["count"] == len(counted) == sum(summary["scores"]["histogram"]["counts"])
    assert summary["scores"]["mean"] == pytest.approx(np.mean(counted), rel=1e-5)
    assert summary["scores"]["median"] == pytest.approx(np.median(counted), rel=1e-5)
    diagnosed = [m for r in rows.values() for m in _ids(r["misconceptions"])]
    assert {m["id"]: m["submissions"] for m in summary["misconceptions"]} == \
        {m: diagnosed.count(m) for m in set(diagnosed)}
    assert summary["gradebook"]["agrees"]
    # the samples include a function that hangs: it is reported as timed out
    assert [t["student"] for t in summary["troubles"]["timed_out"]] == ["hostile_hang_and_fork"]
    assert summary["sandbox"] in ({"bwrap": len(SAMPLES)}, {"fallback": len(SAMPLES)})


def test_every_embedded_chart_parses(graded: tuple[Path, str]) -> None:
    out, _ = graded
    images = Page((out / "report.html").read_text(encoding="utf-8")).all("img")
    assert {img["data-figure"] for img in images} == {"scores", "skills", "misconceptions"}
    for img in images:
        assert_chart_drawn(decoded_svg(img["src"]))


def test_chromium_draws_every_figure(graded: tuple[Path, str], tmp_path: Path) -> None:
    out, _ = graded
    assert images_drawn(out / "report.html", tmp_path) == {"images": "3", "broken": "0", "shown": "3"}


def test_chromium_screenshot_of_the_report_is_not_blank(graded: tuple[Path, str], tmp_path: Path) -> None:
    out, _ = graded
    shot = tmp_path / "report.png"
    done = chromium(tmp_path, out / "report.html", f"--screenshot={shot}", "--window-size=1200,3000")
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("L"))
    assert pixels.shape == (3000, 1200)
    assert_not_blank(pixels)
    inked_rows = np.flatnonzero((pixels < 200).any(axis=1))
    assert inked_rows.size > 1500  # text, tables and figures all down the page, not a blank or error page


def test_chromium_opens_a_students_feedback_page(graded: tuple[Path, str], tmp_path: Path) -> None:
    out, _ = graded
    shot = tmp_path / "feedback.png"
    done = chromium(tmp_path, out / "wrong_derivatives" / "feedback.html", f"--screenshot={shot}",
                    "--window-size=1000,1400")
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    assert_not_blank(np.asarray(Image.open(shot).convert("L")))
    text = (out / "wrong_derivatives" / "feedback.html").read_text(encoding="utf-8")
    assert "likely mistake: sigmoid-derivative-is-sigmoid" in text
