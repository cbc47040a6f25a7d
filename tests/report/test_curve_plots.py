"""A failing value check drawn in feedback.html: the student's values against the reference."""

from __future__ import annotations

import json
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from autograder.curves import Curve, curve_of
from autograder.escaping import markdown_unescape
from autograder.grading.batch import write_student
from autograder.grading.feedback import MAX_PLOTS, PLOT_NOTE, render_feedback
from autograder.grading.outcomes import CaseOutcome
from autograder.grading.results import GradeResult, from_gradescope, results_json
from autograder.report import render_feedback_html
from autograder.report.charts import data_uri
from autograder.report.curve_plot import CURVE_SIZE_PX, _symlog_ticks, curve_svg
from autograder.suite import assert_close, derive
from reference.activations import get_activation
from tests.grading.builders import BUNDLED, outcome, result
from tests.pages import Page, assert_curve_drawn, chart_texts, decoded_svg

EDGE = np.array([0.0, 1e-9, -1e-9, 30.0, -30.0, 1000.0, -1000.0])
VALUE_X = np.concatenate([EDGE, np.random.default_rng(3).uniform(-20.0, 20.0, 60)])


def sigmoid_curve(got_of: object = None, x: np.ndarray = VALUE_X) -> tuple[Curve, str]:
    """The curve and message of a sigmoid written ``1/(1+exp(x))`` (or ``got_of(x)``) at ``x``."""
    with np.errstate(over="ignore", invalid="ignore"):
        got = got_of(x) if callable(got_of) else 1.0 / (1.0 + np.exp(x))
    try:
        assert_close(got, derive(get_activation("sigmoid").__call__, x),
                     call=f"sigmoid(x=<float64 array of shape {x.shape}>)", inputs=x)
    except AssertionError as error:
        curve = curve_of(error)
        assert curve is not None
        return curve, str(error)
    raise AssertionError("the check passed")


def wrong_sigmoid(curve: Curve, message: str, name: str = "sigmoid[values]") -> CaseOutcome:
    return replace(outcome(name, "sigmoid", 2.0, passed=False, message=message), curve=curve)


def drawn(curve: Curve) -> ET.Element:
    root = decoded_svg(data_uri(curve_svg(curve)))
    assert (int(root.attrib["width"]), int(root.attrib["height"])) == CURVE_SIZE_PX
    assert_curve_drawn(root)
    return root


def counted(texts: list[str]) -> int:
    """The points the legend accounts for: right, wrong, and each kind marked at an edge."""
    total = 0
    for text in texts:
        found = re.fullmatch(r"yours, (?:right|wrong): (\d+) of \d+|yours: .*, (\d+)", text)
        if found:
            total += int(found.group(1) or found.group(2))
    return total


@pytest.mark.parametrize(("got_of", "edge"), [
    (None, None),                                                              # mirrored: all but 0 wrong
    (lambda x: np.exp(x) / (1.0 + np.exp(x)), "yours: NaN, 1"),                # NaN at x = 1000
    (lambda x: np.where(x > 25.0, np.inf, 1.0 / (1.0 + np.exp(-x))), "yours: above the plot (or inf), 2"),
    (lambda x: 1e6 * x, "yours: below the plot (or -inf), 32"),                # off the scale both ways
], ids=["mirrored", "nan", "inf", "off-scale"])
def test_the_plot_shows_the_reference_and_accounts_for_every_point(got_of: object, edge: str | None) -> None:
    curve = sigmoid_curve(got_of)[0]
    texts = chart_texts(drawn(curve))
    assert "reference" in texts and counted(texts) == len(curve.x)
    assert edge is None or edge in texts
    assert "x   (linear within ±20, log scale in the shaded parts)" in texts  # x = +-1000 among +-20


def test_a_narrow_range_and_a_constant_reference_draw_too() -> None:
    x = np.linspace(-3.0, 3.0, 13)
    texts = chart_texts(drawn(sigmoid_curve(x=x)[0]))
    assert "x" in texts and counted(texts) == 13
    flat = Curve(x=tuple(x), got=tuple(x), expected=(0.0,) * 13, wrong=(True,) * 6 + (False,) + (True,) * 6)
    assert counted(chart_texts(drawn(flat))) == 13


def test_symlog_ticks_are_round_numbers_on_both_sides() -> None:
    ticks = _symlog_ticks(-1300.0, 1300.0, 20.0)
    np.testing.assert_allclose(ticks, [-1000, -20, -10, 0, 10, 20, 1000], rtol=0)
    np.testing.assert_allclose(_symlog_ticks(-296.0, 1096.0, 20.0), [-200, -20, -10, 0, 10, 20, 1000], rtol=0)


def test_feedback_html_draws_the_failing_check_under_its_message() -> None:
    curve, message = sigmoid_curve()
    graded = result(wrong_sigmoid(curve, message), outcome("relu[values]", "relu", 1.0))
    page = Page(render_feedback_html(graded, "Activations"))
    images = page.all("img")
    assert [img["data-figure"] for img in images] == ["curve"]
    assert_curve_drawn(decoded_svg(images[0]["src"]))
    assert "sigmoid(x)" in images[0]["alt"] and f"the {curve.wrong_count} wrong ones in red" in images[0]["alt"]
    assert (images[0]["width"], images[0]["height"]) == tuple(str(v) for v in CURVE_SIZE_PX)


def test_names_feedback_draws_nothing_and_writes_no_curve(tmp_path: Path) -> None:
    curve, message = sigmoid_curve()
    graded = result(wrong_sigmoid(curve, message), outcome("relu[values]", "relu", 1.0), student_id="bob")
    write_student(graded, tmp_path, replace(BUNDLED, feedback="names"))
    html = (tmp_path / "bob" / "feedback.html").read_text(encoding="utf-8")
    markdown = (tmp_path / "bob" / "feedback.md").read_text(encoding="utf-8")
    document = (tmp_path / "bob" / "results.json").read_text(encoding="utf-8")
    assert "<img" not in html and "data:image" not in html
    assert PLOT_NOTE not in markdown_unescape(markdown)
    assert '"curve"' not in document and "1000.0" not in document


def test_full_feedback_writes_the_curve_and_reads_it_back(tmp_path: Path) -> None:
    curve, message = sigmoid_curve(lambda x: np.exp(x) / (1.0 + np.exp(x)))  # NaN at 1000: JSON has none
    graded = result(wrong_sigmoid(curve, message), student_id="carol")
    write_student(graded, tmp_path, BUNDLED)
    text = (tmp_path / "carol" / "results.json").read_text(encoding="utf-8")
    document = json.loads(text)
    case = document["tests"][0]["extra_data"]["cases"][0]
    assert case["curve"]["got"][-1] == "nan" and case["curve"]["x_name"] == "x"
    again = from_gradescope(document).tests[0].curve
    assert again is not None and math.isnan(again.got[-1]) and again.wrong == curve.wrong
    np.testing.assert_allclose(again.x, curve.x, rtol=0)
    markdown = markdown_unescape((tmp_path / "carol" / "feedback.md").read_text(encoding="utf-8"))
    assert PLOT_NOTE in markdown


def test_a_passing_case_never_writes_a_curve() -> None:
    curve, _ = sigmoid_curve()
    graded = result(replace(outcome("sigmoid[values]", "sigmoid", 2.0), curve=curve))
    assert '"curve"' not in results_json(graded)


def test_a_page_draws_at_most_max_plots_and_the_markdown_agrees() -> None:
    curve, message = sigmoid_curve(x=np.linspace(-4.0, 4.0, 9))
    cases = [wrong_sigmoid(curve, message, f"sigmoid[setting-{i}]") for i in range(MAX_PLOTS + 3)]
    graded: GradeResult = result(*cases)
    assert len(Page(render_feedback_html(graded)).all("img")) == MAX_PLOTS
    assert markdown_unescape(render_feedback(graded)).count(PLOT_NOTE) == min(MAX_PLOTS, 5)  # md shows 5 a skill


def test_the_labels_are_escaped_in_the_page() -> None:
    curve, message = sigmoid_curve(x=np.linspace(-4.0, 4.0, 9))
    hostile = replace(curve, function="<script>alert(1)</script>", x_name="<b>x</b>")
    text = render_feedback_html(result(wrong_sigmoid(hostile, message)))
    assert "<script>" not in text and "<b>x</b>" not in text and "&lt;script&gt;" in text
