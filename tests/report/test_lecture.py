"""The lecture figures: their numbers come from the reference, and the PNGs are real pictures."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from click.testing import CliRunner
from PIL import Image

from autograder.cli import main
from autograder.report import lecture
from reference.network import deep_chain_gradients


def test_vanishing_numbers_are_the_references_and_obey_the_bound() -> None:
    depth = 8
    data = lecture.vanishing_data(depth)
    assert data["bound"] == [0.25 ** n for n in range(1, depth + 1)]  # |x| (1/4)^n prod |w_k| with x = w = 1
    assert all(0 < g <= b for g, b in zip(data["sigmoid"], data["bound"], strict=True))
    assert all(later < earlier for earlier, later in zip(data["sigmoid"], data["sigmoid"][1:]))
    for name in ("relu", "leaky_relu", "elu"):
        assert data[name] == [1.0] * depth
    assert all(s < t < 1 for s, t in zip(data["sigmoid"], data["tanh"], strict=True))
    assert data["tanh"][-1] == abs(float(deep_chain_gradients(1.0, np.ones(depth), "tanh")[0]))


def test_the_marked_sigmoid_bound_is_derived() -> None:
    assert lecture._sigmoid_sup() == (sp.Rational(1, 4), sp.S.Zero)


def test_shown_figures_are_the_known_names_the_markdown_shows() -> None:
    markdown = ["Text ![Activations](activations.png) and ![a photo](photo.png)", "no image here"]
    shown = lecture.shown_figures(markdown)
    assert list(shown) == ["activations.png"]
    assert shown["activations.png"] == lecture.figure_png("activations")


def test_the_activations_figure_is_a_readable_png() -> None:
    image = Image.open(io.BytesIO(lecture.figure_png("activations")))
    assert image.format == "PNG" and image.size[0] >= 1200 and image.size[1] >= 900
    pixels = np.asarray(image.convert("RGB")).astype(int)
    red = (pixels[..., 0] > 180) & (pixels[..., 1] < 90) & (pixels[..., 2] < 90)
    blue = (pixels[..., 2] > 150) & (pixels[..., 0] < 80)
    assert red.mean() > 0.002 and blue.mean() > 0.002  # the derivatives and the activations are drawn


def test_plot_refuses_an_unknown_format(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["reference", "plot", "vanishing", "--out", str(tmp_path / "v.txt")])
    assert result.exit_code == 2 and "should end in .png, .svg or .pdf" in result.output
    assert not (tmp_path / "v.txt").exists()


@pytest.mark.slow
@pytest.mark.parametrize(("figure", "suffix"), [("vanishing", ".png"), ("activations", ".svg")])
def test_reference_plot_writes_the_figure(tmp_path: Path, figure: str, suffix: str) -> None:
    out = tmp_path / f"{figure}{suffix}"
    result = CliRunner().invoke(main, ["reference", "plot", figure, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    if suffix == ".png":
        image = Image.open(out)
        assert image.format == "PNG" and image.size == (990, 660)
        assert np.asarray(image.convert("L")).std() > 10
    else:
        assert out.read_text(encoding="utf-8").lstrip().startswith("<?xml")
