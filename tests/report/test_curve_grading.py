"""End to end: a wrong sigmoid graded in the real sandbox gets a plot in feedback.html (and none under "names")."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from autograder.assignment import Assignment, get_assignment
from autograder.escaping import markdown_unescape
from autograder.grading.batch import grade_batch
from autograder.grading.feedback import PLOT_NOTE
from autograder.report.charts import BLUE, RED
from tests.grading.builders import GOOD, submission_file, tiny_assignment
from tests.pages import Page, assert_curve_drawn, assert_not_blank, decoded_svg
from tests.report.test_report_in_chromium import CHROMIUM, chromium, images_drawn

RANGE_SUITE = '''\
import numpy as np
import pytest

from autograder.suite import assert_close, derive
from reference.activations import get_activation

X = np.linspace(-6.0, 6.0, 25)


@pytest.mark.skill("sigmoid")
def test_sigmoid(student):
    assert_close(student.sigmoid(X.copy()), derive(get_activation("sigmoid").__call__, X),
                 call="sigmoid(x=<25 points in [-6, 6]>)", inputs=X, hint="sigmoid(x) = 1/(1+e^-x)")


@pytest.mark.skill("relu")
def test_relu(student):
    assert_close(student.relu(X.copy()), derive(get_activation("relu").__call__, X), call="relu(x=<25 points>)",
                 inputs=X)
'''
MIRRORED = GOOD.replace("np.exp(-np.asarray(x, dtype=np.float64))", "np.exp(np.asarray(x, dtype=np.float64))")
"""``sigmoid(x) = 1/(1+exp(x))``: sigmoid(-x), wrong everywhere but at 0."""


def curves_in(document: dict) -> list[dict]:  # type: ignore[type-arg]
    return [c["curve"] for t in document["tests"] for c in t["extra_data"]["cases"] if "curve" in c]


def graded_files(out: Path, student: str) -> tuple[str, str, dict]:  # type: ignore[type-arg]
    folder = out / student
    return ((folder / "feedback.html").read_text(encoding="utf-8"),
            markdown_unescape((folder / "feedback.md").read_text(encoding="utf-8")),
            json.loads((folder / "results.json").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Assignment:
    assert MIRRORED != GOOD
    return tiny_assignment(tmp_path_factory.mktemp("assignment"), hidden={"test_range": RANGE_SUITE})


@pytest.mark.parametrize("feedback", ["full", "names"])
def test_a_wrong_sigmoid_is_plotted_only_when_students_see_full_feedback(
        tmp_path: Path, tiny: Assignment, feedback: str) -> None:
    path = submission_file(tmp_path / "subs", "mirrored.py", MIRRORED)
    grade_batch(replace(tiny, feedback=feedback), [path], tmp_path / "out", jobs=1)
    html, markdown, document = graded_files(tmp_path / "out", "mirrored")
    assert document["extra_data"]["sandbox"] in ("bwrap", "fallback")
    images = Page(html).all("img")
    if feedback == "names":
        assert images == [] and curves_in(document) == [] and PLOT_NOTE not in markdown
        return
    [curve] = curves_in(document)
    x = np.linspace(-6.0, 6.0, 25)
    np.testing.assert_allclose(curve["x"], x, rtol=0)
    np.testing.assert_allclose(curve["got"], 1.0 / (1.0 + np.exp(x)), rtol=1e-12)
    np.testing.assert_allclose(curve["expected"], 1.0 / (1.0 + np.exp(-x)), rtol=1e-12)
    assert curve["wrong"] == [i for i in range(25) if i != 12] and curve["function"] == "sigmoid(x)"
    assert [img["data-figure"] for img in images] == ["curve"]
    assert_curve_drawn(decoded_svg(images[0]["src"]))
    section = html[html.index('id="skill-sigmoid"'):]
    assert section.index("<pre>") < section.index('data-figure="curve"')  # under the failing check's message
    assert PLOT_NOTE in markdown


# -- the bundled activations assignment, its real hidden suite ---------------------------------------------

BUNDLED_MIRRORED_SIGMOID = (get_assignment("activations").root / "samples" / "partial.py").read_text(
    encoding="utf-8").replace(
    "    z = np.exp(-np.abs(x))\n    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))",
    "    return 1 / (1 + np.exp(x))")


@pytest.fixture(scope="module")
def bundled_out(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    assert "1 / (1 + np.exp(x))" in BUNDLED_MIRRORED_SIGMOID
    base = tmp_path_factory.mktemp("bundled")
    path = base / "subs" / "mirrored.py"
    path.parent.mkdir()
    path.write_text(BUNDLED_MIRRORED_SIGMOID, encoding="utf-8")
    assignment = get_assignment("activations")
    outs = {}
    for feedback in ("full", "names"):
        outs[feedback] = base / feedback
        grade_batch(replace(assignment, feedback=feedback), [path], outs[feedback], jobs=1)
    return outs


@pytest.mark.slow
def test_the_real_suite_plots_the_failing_sigmoid_case(bundled_out: dict[str, Path]) -> None:
    html, markdown, document = graded_files(bundled_out["full"], "mirrored")
    sigmoid = next(t for t in document["tests"] if t["name"] == "sigmoid")
    [case] = [c for c in sigmoid["extra_data"]["cases"] if "curve" in c]
    assert case["name"] == "sigmoid[values]" and case["curve"]["function"] == "sigmoid(x)"
    x = np.array(case["curve"]["x"])
    assert np.all(np.diff(x) > 0) and x[0] == pytest.approx(-1000.0) and x[-1] == pytest.approx(1000.0)
    section = html[html.index('id="skill-sigmoid"'):]
    section = section[:section.index("</section>")]
    figures = [img for img in Page(section).all("img") if img.get("data-figure") == "curve"]
    assert len(figures) == 1 and "sigmoid(x)" in figures[0]["alt"]
    assert_curve_drawn(decoded_svg(figures[0]["src"]))
    assert PLOT_NOTE in markdown


@pytest.mark.slow
def test_names_feedback_of_the_real_suite_holds_no_plot(bundled_out: dict[str, Path]) -> None:
    html, markdown, document = graded_files(bundled_out["names"], "mirrored")
    assert curves_in(document) == [] and '"curve"' not in json.dumps(document)
    assert "<img" not in html and "data:image" not in html and PLOT_NOTE not in markdown
    assert any(t["name"] == "sigmoid" and t["status"] == "failed" for t in document["tests"])


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")
def test_chromium_draws_the_plot_of_a_feedback_page(bundled_out: dict[str, Path], tmp_path: Path) -> None:
    page = bundled_out["full"] / "mirrored" / "feedback.html"
    drawn = images_drawn(page, tmp_path)
    text = page.read_text(encoding="utf-8")
    plots = text.count('data-figure="curve"')
    assert plots >= 1 and drawn == {"images": str(plots), "broken": "0", "shown": str(plots)}
    shot = tmp_path / "feedback.png"
    done = chromium(tmp_path, page, f"--screenshot={shot}", "--window-size=1000,1600")
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    assert_not_blank(np.asarray(Image.open(shot).convert("L")))
    # the plot alone, as Chromium draws it: the reference's blue line and the wrong points' red
    [img] = [i for i in Page(text).all("img") if i["data-figure"] == "curve"][:1]
    alone = tmp_path / "plot.html"
    alone.write_text(f'<html><body style="margin:0"><img src="{img["src"]}"></body></html>', encoding="utf-8")
    plot = tmp_path / "plot.png"
    done = chromium(tmp_path, alone, f"--screenshot={plot}", "--window-size=600,400")
    assert done.returncode == 0 and plot.is_file(), done.stderr[-2000:]
    rgb = np.asarray(Image.open(plot).convert("RGB")).astype(int)[:320, :480]
    assert_not_blank(rgb.mean(axis=2))
    for colour in (BLUE, RED):
        near = np.abs(rgb - np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])).sum(axis=2) < 60
        assert near.sum() > 150, colour
