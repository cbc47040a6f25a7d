"""The lecture's figures, every number derived by the SymPy reference.

* ``vanishing``: the gradient reaching layer 1 of a deep chain
  (``reference.network.deep_chain_gradients``), by depth, on a log scale, for
  sigmoid, tanh, ReLU, Leaky ReLU and ELU chains, with the sigmoid bound
  ``|x| (1/4)^n prod |w_k|`` (``reference.network.vanishing_bound``, whose 1/4
  is sup sigma' as ``reference.properties`` derives it);
* ``activations``: each activation of the lecture beside its derivative
  (``reference.activations``), the derivatives on one shared scale, with
  sigma' <= 1/4 marked where ``reference.properties`` says it is attained.

``autograder reference plot NAME --out FILE`` writes one; the release puts the
PNG next to the notebook whose markdown shows it (``RELEASE_FIGURES``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import sympy as sp
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from autograder.report.charts import BLUE, GREEN, GREY, ORANGE, RED
from autograder.report.figures import figure, png_bytes

VANISHING_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu")
PLOTTED_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu")
CHAIN_INPUT = 1.0
CHAIN_WEIGHT = 1.0
MAX_DEPTH = 30
X_RANGE = (-5.0, 5.0)
DPI = 110

_LABELS = {"sigmoid": "sigmoid σ", "tanh": "tanh", "relu": "ReLU", "leaky_relu": "Leaky ReLU",
           "prelu": "PReLU", "elu": "ELU"}
_STYLES = {"sigmoid": dict(color=RED, marker="o", markersize=3.5, linewidth=2),
           "tanh": dict(color=ORANGE, marker="s", markersize=3.5, linewidth=2),
           "relu": dict(color=BLUE, linewidth=4, alpha=0.45),
           "leaky_relu": dict(color=GREEN, linewidth=2, linestyle="--"),
           "elu": dict(color="#9467bd", linewidth=2, linestyle=":")}


def _parameters(name: str) -> str:
    from reference.activations import get_activation

    defaults = get_activation(name).defaults
    return ", ".join(f"{'α' if key == 'alpha' else key} = {float(value):g}" for key, value in defaults.items())


def _label(name: str) -> str:
    parameters = _parameters(name)
    return f"{_LABELS[name]} ({parameters})" if parameters else _LABELS[name]


@functools.cache
def vanishing_data(max_depth: int = MAX_DEPTH) -> dict[str, list[float]]:
    """|d h_n / d w_1| for n = 1..max_depth per activation, and the sigmoid bound (key ``bound``)."""
    from reference.network import deep_chain_gradients, vanishing_bound

    data: dict[str, list[float]] = {}
    for name in VANISHING_ACTIVATIONS:
        data[name] = [abs(float(deep_chain_gradients(CHAIN_INPUT, [CHAIN_WEIGHT] * n, name)[0]))
                      for n in range(1, max_depth + 1)]
    data["bound"] = [float(vanishing_bound(CHAIN_INPUT, [CHAIN_WEIGHT] * n, "sigmoid"))
                     for n in range(1, max_depth + 1)]
    return data


def _sigmoid_sup() -> tuple[sp.Expr, sp.Expr]:
    """sup sigma' and where it is attained, as ``reference.properties`` derives them."""
    from reference.properties import derive_properties

    props = derive_properties("sigmoid")
    at = props.derivative_max_at
    where = at.args[0] if isinstance(at, sp.FiniteSet) and len(at) == 1 else sp.nan
    return props.derivative_max, where


def draw_vanishing(fig: Figure, max_depth: int = MAX_DEPTH) -> None:
    from reference.chain_bound import chain_derivative_bound

    data = vanishing_data(max_depth)
    depths = np.arange(1, max_depth + 1)
    factor = chain_derivative_bound("sigmoid", 1).factor_bound
    ax = fig.add_subplot()
    ax.plot(depths, data["bound"], color="black", linewidth=1.5, linestyle=(0, (6, 3)),
            label=f"sigmoid bound $|x|\\,({factor})^n\\,\\Pi_{{k \\geq 2}}|w_k|$ = $({factor})^n$ here, "
                  f"as σ' ≤ {factor}")
    for name in VANISHING_ACTIVATIONS:
        ax.plot(depths, data[name], label=_label(name), **_STYLES[name])  # type: ignore[arg-type]
    ax.set_yscale("log")
    ax.set_xlim(0.5, max_depth + 0.5)
    low = min(min(data["bound"]), min(data["sigmoid"]))
    ax.set_ylim(low / 10, 20)
    ax.set_xlabel("depth $n$ (layers in the chain)")
    ax.set_ylabel("gradient reaching layer 1, $|\\partial h_n / \\partial w_1|$ (log scale)")
    fig.suptitle("Vanishing gradients: what reaches the first layer of a deep chain", fontsize=13)
    ax.set_title(f"chain $h_k = f(w_k\\,h_{{k-1}})$, input $x = h_0 = {CHAIN_INPUT:g}$, every weight "
                 f"$w_k = {CHAIN_WEIGHT:g}$; values derived by the SymPy reference", fontsize=9, color=GREY)
    ax.grid(True, which="major", axis="y", color="#dddddd", linewidth=0.8)
    ax.grid(True, which="major", axis="x", color="#eeeeee", linewidth=0.6)
    ax.annotate("ReLU, Leaky ReLU and ELU: f'(z) = 1 for z > 0,\nso the gradient stays 1 at every depth",
                xy=(max_depth * 0.75, 1.0), xytext=(max_depth * 0.5, 1e-5), fontsize=9,
                arrowprops=dict(arrowstyle="->", color=GREY), color="#333333")
    ax.annotate("tanh: f'(0) = 1, but it saturates;\nthe gradient shrinks more slowly",
                xy=(max_depth * 0.9, data["tanh"][int(max_depth * 0.9) - 1]),
                xytext=(max_depth * 0.72, 1e-9), fontsize=9, color=ORANGE,
                arrowprops=dict(arrowstyle="->", color=ORANGE))
    last = data["sigmoid"][-1]
    ax.annotate(f"sigmoid: {last:.1e} at depth {max_depth}", xy=(max_depth, last),
                xytext=(max_depth * 0.6, last / 3), fontsize=9, color=RED, va="center",
                arrowprops=dict(arrowstyle="->", color=RED))
    ax.legend(loc="lower left", frameon=True, framealpha=0.95)


def _segments(name: str, xs: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(x, f, f') on each side of a kink, so no line joins the two sides of a jump in f'."""
    from reference.activations import get_activation

    act = get_activation(name)
    cuts = sorted(act.kinks)
    pieces = np.split(xs, np.searchsorted(xs, cuts)) if cuts else [xs]
    return [(p, act(p), act.grad(p)) for p in pieces if p.size]


def draw_activations(fig: Figure) -> None:
    from reference.activations import get_activation

    xs = np.linspace(*X_RANGE, 801)
    xs = xs[xs != 0.0]
    sup, where = _sigmoid_sup()
    grid = fig.add_gridspec(3, 5, width_ratios=(1, 1, 0.12, 1, 1))  # a gap between the two pairs
    derivative_axes: list[Axes] = []
    for index, name in enumerate(PLOTTED_ACTIVATIONS):
        row, col = divmod(index, 2)
        f_ax = fig.add_subplot(grid[row, 3 * col])
        d_ax = fig.add_subplot(grid[row, 3 * col + 1], sharey=derivative_axes[0] if derivative_axes else None)
        derivative_axes.append(d_ax)
        act = get_activation(name)
        for part_x, values, slopes in _segments(name, xs):
            f_ax.plot(part_x, values, color=BLUE, linewidth=2)
            d_ax.plot(part_x, slopes, color=RED, linewidth=2)
        for kink in act.kinks:
            at, right = float(act.grad(kink)), float(act.grad(np.nextafter(kink, np.inf)))
            if at != right:
                d_ax.plot([kink], [at], "o", color=RED, markersize=5)
                d_ax.plot([kink], [right], "o", markerfacecolor="white", color=RED, markersize=5)
        parameters = _parameters(name)
        f_ax.set_title(f"{name}(x)" + (f", {parameters}" if parameters else ""), fontsize=10)
        d_ax.set_title(f"its derivative {name}'(x)", fontsize=10)
        for ax in (f_ax, d_ax):
            ax.axhline(0, color="#bbbbbb", linewidth=0.8)
            ax.axvline(0, color="#bbbbbb", linewidth=0.8)
            ax.set_xlim(*X_RANGE)
            ax.grid(True, color="#eeeeee", linewidth=0.6)
            if row == 2:
                ax.set_xlabel("x")
        if name == "sigmoid":
            d_ax.axhline(float(sup), color="black", linestyle="--", linewidth=1.2)
            d_ax.annotate(f"σ'(x) ≤ {sup}, attained at x = {where}", xy=(float(where), float(sup)),
                          xytext=(0.04, 0.7), textcoords="axes fraction", fontsize=9, va="top",
                          arrowprops=dict(arrowstyle="->", color="black"))
    derivative_axes[0].set_ylim(-0.12, 1.22)
    fig.suptitle("Activations of the lecture (blue) beside their derivatives (red, all on one scale)",
                 fontsize=13)
    fig.supxlabel("At a kink the filled dot is the derivative the course uses there (the x ≤ 0 side, "
                  "as in PyTorch and JAX), the open one the limit from the right. Curves from the SymPy reference.",
                  fontsize=9, color=GREY)


FIGURES: dict[str, tuple[Callable[[Figure], None], tuple[float, float]]] = {
    "vanishing": (draw_vanishing, (9.0, 6.0)),
    "activations": (draw_activations, (13.0, 9.5)),
}
"""Each lecture figure: how it is drawn and its size in inches."""

RELEASE_FIGURES = {"vanishing_gradient.png": "vanishing", "activations.png": "activations"}
"""File names a notebook's markdown may show (``![...](vanishing_gradient.png)``), and their figure."""


def save_figure(name: str, path: Path) -> Path:
    """Draw figure ``name`` into ``path`` (PNG, SVG or PDF, by its suffix)."""
    draw, size = FIGURES[name]
    with figure(size[1], width_in=size[0], math=True) as fig:
        draw(fig)
        fig.savefig(path, dpi=DPI, metadata={"Software": None} if path.suffix.lower() == ".png" else None)
    return path


@functools.cache
def figure_png(name: str) -> bytes:
    """Figure ``name`` as PNG bytes (cached: a release draws each once per process)."""
    draw, size = FIGURES[name]
    with figure(size[1], width_in=size[0], math=True) as fig:
        draw(fig)
        return png_bytes(fig, DPI)


_IMAGE = re.compile(r"!\[[^\]]*\]\((?P<name>[\w.-]+)\)")


def shown_figures(markdown: Iterable[str]) -> dict[str, bytes]:
    """The lecture figures the markdown shows by file name (``![...](vanishing_gradient.png)``), as PNG."""
    names = {m.group("name") for text in markdown for m in _IMAGE.finditer(text)}
    return {name: figure_png(RELEASE_FIGURES[name]) for name in sorted(names) if name in RELEASE_FIGURES}
