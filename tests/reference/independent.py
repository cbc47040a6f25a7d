"""Hand-written float64 numpy formulas: the independent side of every reference check.

Nothing here uses SymPy or the reference package. Each formula is written the
textbook way, made overflow-free with the usual tricks (exp of -|x|, expm1,
logaddexp), so that it can be compared with the reference at |x| = 1000.
SELU's constants are typed from Klambauer et al. (2017) on purpose: an
independent check may not take them from the code it checks.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

Array = np.ndarray
Formula = Callable[[Array], Array]

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
LEAKY_ALPHA = 0.01
PRELU_A = 0.25
ELU_ALPHA = 1.0

_erf = np.vectorize(math.erf, otypes=[np.float64])


def sigmoid(x: Array) -> Array:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def d_sigmoid(x: Array) -> Array:
    e = np.exp(-np.abs(x))
    return e / (1.0 + e) ** 2  # sigma(x)(1 - sigma(x)), symmetric in x


def d_tanh(x: Array) -> Array:
    e = np.exp(-2.0 * np.abs(x))
    return 4.0 * e / (1.0 + e) ** 2  # sech^2, without cosh overflowing


def relu(x: Array) -> Array:
    return np.where(x > 0, x, 0.0)


def d_relu(x: Array) -> Array:
    return np.where(x > 0, 1.0, 0.0)


def leaky(slope: float) -> tuple[Formula, Formula, Formula]:
    """f, f' and df/dslope of max(slope x, x) for 0 < slope < 1."""
    return (lambda x: np.where(x > 0, x, slope * x),
            lambda x: np.where(x > 0, 1.0, slope),
            lambda x: np.where(x > 0, 0.0, x))


def elu(x: Array, alpha: float = ELU_ALPHA) -> Array:
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def d_elu(x: Array, alpha: float = ELU_ALPHA) -> Array:
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))


def d_elu_alpha(x: Array) -> Array:
    return np.where(x > 0, 0.0, np.expm1(np.minimum(x, 0.0)))


def softplus(x: Array) -> Array:
    return np.logaddexp(0.0, x)


def silu(x: Array) -> Array:
    return x * sigmoid(x)


def d_silu(x: Array) -> Array:
    s = sigmoid(x)
    return s + x * s * (1.0 - s)


def gelu(x: Array) -> Array:
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def d_gelu(x: Array) -> Array:
    phi = np.exp(-0.5 * np.minimum(x * x, 1400.0)) / math.sqrt(2.0 * math.pi)
    return 0.5 * (1.0 + _erf(x / math.sqrt(2.0))) + x * phi


def selu(x: Array) -> Array:
    return SELU_SCALE * elu(x, SELU_ALPHA)


def d_selu(x: Array) -> Array:
    return SELU_SCALE * d_elu(x, SELU_ALPHA)


_leaky = leaky(LEAKY_ALPHA)
_prelu = leaky(PRELU_A)

FORMULAS: dict[str, tuple[Formula, Formula]] = {
    "sigmoid": (sigmoid, d_sigmoid),
    "tanh": (np.tanh, d_tanh),
    "relu": (relu, d_relu),
    "leaky_relu": (_leaky[0], _leaky[1]),
    "prelu": (_prelu[0], _prelu[1]),
    "elu": (elu, d_elu),
    "softplus": (softplus, sigmoid),
    "silu": (silu, d_silu),
    "gelu": (gelu, d_gelu),
    "selu": (selu, d_selu),
}
"""(f, f') at the registry's default parameters, for every activation."""

PARAM_DERIVATIVES: dict[tuple[str, str], Formula] = {
    ("leaky_relu", "alpha"): _leaky[2],
    ("prelu", "a"): _prelu[2],
    ("elu", "alpha"): d_elu_alpha,
}


def central_difference(f: Callable[[Array], Any], x: Array, h: float = 1e-6) -> Array:
    """(f(x + h) - f(x - h)) / 2h: error ~h^2 |f'''| / 6 + 1e-16 |f| / h."""
    return (np.asarray(f(x + h)) - np.asarray(f(x - h))) / (2.0 * h)


def network_forward(params: dict[str, float], x: Array, f: Formula) -> dict[str, Array]:
    """The lecture network written out by hand."""
    o1 = f(params["w1"] * x + params["b1"])
    o2_1 = f(params["w2"] * o1 + params["b2"])
    o2_2 = f(params["w3"] * o1 + params["b3"])
    o3 = f(params["w4"] * o2_1 + params["w5"] * o2_2 + params["b4"])
    return {"o1": o1, "o2_1": o2_1, "o2_2": o2_2, "o3": o3}


def network_backward(params: dict[str, float], x: Array, y: Array, f: Formula,
                     df: Formula) -> dict[str, float]:
    """Hand-written backpropagation of L = mean((y - o3)^2) through the lecture network."""
    z1 = params["w1"] * x + params["b1"]
    o1 = f(z1)
    z21, z22 = params["w2"] * o1 + params["b2"], params["w3"] * o1 + params["b3"]
    o21, o22 = f(z21), f(z22)
    z3 = params["w4"] * o21 + params["w5"] * o22 + params["b4"]
    d3 = 2.0 * (f(z3) - y) / np.size(x) * df(z3)
    d21, d22 = d3 * params["w4"] * df(z21), d3 * params["w5"] * df(z22)
    d1 = (d21 * params["w2"] + d22 * params["w3"]) * df(z1)
    grads = {"w4": d3 * o21, "w5": d3 * o22, "b4": d3, "w2": d21 * o1, "b2": d21,
             "w3": d22 * o1, "b3": d22, "w1": d1 * x, "b1": d1}
    return {k: float(np.sum(v)) for k, v in grads.items()}


def chain_forward(x: float, weights: Array, f: Formula) -> list[float]:
    """h_0 = x, h_k = f(w_k h_{k-1})."""
    h = [float(x)]
    for w in weights:
        h.append(float(f(np.float64(w * h[-1]))))
    return h


def chain_gradients(x: float, weights: Array, f: Formula, df: Formula) -> Array:
    """d h_n / d w_k by hand: h_{k-1} f'(z_k) prod_{j>k} w_j f'(z_j)."""
    h = chain_forward(x, weights, f)
    slopes = [float(df(np.float64(w * hk))) for w, hk in zip(weights, h[:-1])]
    grads, downstream = [], 1.0
    for k in reversed(range(len(weights))):
        grads.append(downstream * slopes[k] * h[k])
        downstream *= weights[k] * slopes[k]
    return np.array(grads[::-1])
