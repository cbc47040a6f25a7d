"""The SymPy symbols every reference expression is written in."""

from __future__ import annotations

import sympy as sp

x = sp.Symbol("x", real=True)
"""The pre-activation input of an elementwise activation."""

alpha = sp.Symbol("alpha", positive=True)
"""Slope (Leaky ReLU) or saturation level (ELU, SELU) of the negative branch."""

a = sp.Symbol("a", real=True)
"""PReLU's learned slope for x <= 0."""
