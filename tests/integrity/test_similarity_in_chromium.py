"""grade --similarity on a real batch (the bundled samples and two corpus solutions, one copied
into a notebook), then similarity.html and the report opened in headless Chromium."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from autograder.assignment import get_assignment
from autograder.cli import main
from tests.integrity.helpers import CORPUS
from tests.pages import assert_not_blank
from tests.report.test_report_in_chromium import CHROMIUM, chromium

SAMPLES = sorted((get_assignment("activations").root / "samples").iterdir())

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")]


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("batch") / "graded"
    subs = [*SAMPLES, CORPUS / "honest_loops.py", CORPUS / "copy_notebook.ipynb"]
    result = CliRunner(env={"COLUMNS": "400"}).invoke(
        main, ["grade", "--assignment", "activations", "--out", str(out), "--jobs", "2", "--similarity",
               *map(str, subs)])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_grade_similarity_writes_the_page_and_lists_the_pairs_in_the_report(graded: tuple[Path, str]) -> None:
    out, output = graded
    assert f"similarity written to {out / 'similarity.html'}" in output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    pairs = {frozenset((p["a"], p["b"])) for p in summary["similarity"]["pairs"]}
    assert frozenset(("honest_loops", "copy_notebook")) in pairs
    assert frozenset(("correct", "wrong_derivatives")) in pairs  # the sample is correct.py with two lines changed
    assert summary["similarity"]["graded"] == len(SAMPLES) + 2 - len(summary["troubles"]["not_loaded"])
    report = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="similar-pairs"' in report and "similarity.html#pair-1" in report


def test_chromium_draws_the_similarity_page(graded: tuple[Path, str], tmp_path: Path) -> None:
    out, _ = graded
    shot = tmp_path / "similarity.png"
    done = chromium(tmp_path, out / "similarity.html", f"--screenshot={shot}", "--window-size=1300,2400")
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    rgb = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert_not_blank(np.asarray(Image.open(shot).convert("L")))
    left, right = rgb[:, :650], rgb[:, 650:]
    for side in (left, right):  # highlighted regions (coloured, not grey) on both halves of the page
        colourful = (side.max(axis=2) - side.min(axis=2)) > 40
        assert colourful.mean() > 0.01


def test_chromium_dumps_the_page_with_both_sides_of_every_pair(graded: tuple[Path, str], tmp_path: Path) -> None:
    out, _ = graded
    page = tmp_path / "similarity.html"
    shutil.copy(out / "similarity.html", page)
    dumped = chromium(tmp_path, page, "--dump-dom")
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    pairs = json.loads((out / "similarity.json").read_text(encoding="utf-8"))["pairs"]
    assert dumped.stdout.count('class="side"') == 2 * len(pairs)
    assert "<script" not in dumped.stdout
