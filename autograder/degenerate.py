"""Submissions that do nothing: the floor every suite must hold.

Built from an assignment's own function list, so every function keeps its
signature and the structure of its answer (an array of the right shape, a
dict with the right keys, a pair) while its content means nothing: all zeros,
all ones, a constant, seeded noise, NaN, the first argument returned as is,
and the released stub with each ``raise NotImplementedError()`` turned into
``return <first parameter>``. ``autograder validate`` requires each to score
under ``FLOOR`` of the total.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from autograder.assignment import Assignment

FLOOR = 0.05
"""The largest share of the points a submission that does nothing may score."""

_FILLS = {
    "zeros": "numpy.zeros_like(array)",
    "ones": "numpy.ones_like(array)",
    "constant": "numpy.full_like(array, 0.5)",
    "noise": "_degenerate_rng.uniform(-1.0, 1.0, size=array.shape)",
    "nan": "numpy.full_like(array, numpy.nan)",
}

_WRAPPER = '''

# --- every function below keeps the solution's answer structure and nothing else ---
import numpy
_degenerate_rng = numpy.random.default_rng(0)


def _degenerate(value):
    if isinstance(value, dict):
        return {{key: _degenerate(item) for key, item in value.items()}}
    if isinstance(value, (list, tuple)):
        return type(value)(_degenerate(item) for item in value)
    if isinstance(value, str):
        return ""
    array = numpy.asarray(value, dtype=numpy.float64)
    return {fill}


def _degenerate_wrapping(function):
    def wrapped(*args, **kwargs):
        return _degenerate(function(*args, **kwargs))
    return wrapped
'''


@dataclass(frozen=True)
class Degenerate:
    name: str
    source: str


def _wrapped(solution: str, functions: tuple[str, ...], fill: str) -> str:
    rebinds = "\n".join(f"{name} = _degenerate_wrapping({name})" for name in functions)
    return solution + _WRAPPER.format(fill=fill) + "\n" + rebinds + "\n"


def _first_argument(solution: str, functions: tuple[str, ...]) -> str:
    definitions = "\n".join(f"def {name}(first, *args, **kwargs):\n    return first\n" for name in functions)
    return solution + "\n\n# --- every function returns its first argument ---\n" + definitions


_STUB_BODY = re.compile(r"^def (?P<name>\w+)\((?P<first>\w+)(?P<rest>[^)]*)\):(?P<body>.*?)"
                        r"raise NotImplementedError\(\)", re.MULTILINE | re.DOTALL)


def _stub_returning_input(stub: str) -> str:
    return _STUB_BODY.sub(lambda m: f"def {m['name']}({m['first']}{m['rest']}):{m['body']}return {m['first']}",
                          stub)


def degenerate_submissions(assignment: Assignment, solution: str, stub: str) -> tuple[Degenerate, ...]:
    """Every degenerate submission of ``assignment`` (see the module doc)."""
    made = [Degenerate(name, _wrapped(solution, assignment.functions, fill)) for name, fill in _FILLS.items()]
    made.append(Degenerate("first-argument", _first_argument(solution, assignment.functions)))
    made.append(Degenerate("stub-return-x", _stub_returning_input(stub)))
    return tuple(made)
