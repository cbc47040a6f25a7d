"""Compile SymPy expressions into stable float64 numpy evaluators (see ``reference.numeric``).

Importing this module imports SymPy; ``reference.numeric.compile_expression``
imports it on first use, so the numeric side of the reference stays light.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import sympy as sp

from reference.numeric import NUMPY_NAMESPACE, Evaluator, FloatArray, as_float64


def _plain(expr: sp.Expr, symbols: Sequence[sp.Symbol]) -> Evaluator:
    fn = sp.lambdify(symbols, expr, modules=NUMPY_NAMESPACE)

    def evaluate(*args: Any) -> FloatArray:
        arrays = [as_float64(v) for v in args]
        shape = np.broadcast_shapes(*(v.shape for v in arrays))
        return np.broadcast_to(as_float64(fn(*arrays)), shape).astype(np.float64)

    return evaluate


def _masked_piecewise(expr: sp.Piecewise, symbols: Sequence[sp.Symbol]) -> Evaluator:
    branches = [(_plain(value, symbols), sp.lambdify(symbols, cond, modules="numpy"))
                for value, cond in expr.args]

    def evaluate(*args: Any) -> FloatArray:
        arrays = np.broadcast_arrays(*(as_float64(v) for v in args))
        out = np.zeros(arrays[0].shape, dtype=np.float64)
        undecided = np.ones(arrays[0].shape, dtype=bool)
        for value_fn, cond_fn in branches:
            mask = undecided & np.broadcast_to(np.asarray(cond_fn(*arrays), dtype=bool),
                                               undecided.shape)
            if mask.any():
                out[mask] = value_fn(*(v[mask] for v in arrays))
            undecided &= ~mask
        return out

    return evaluate


def compile_expression(expr: sp.Expr, symbols: Sequence[sp.Symbol]) -> Evaluator:
    """A float64 evaluator of ``expr`` as a function of ``symbols``, broadcasting its inputs."""
    folded = sp.piecewise_fold(expr)
    if isinstance(folded, sp.Piecewise):
        return _masked_piecewise(folded, symbols)
    return _plain(folded, symbols)
