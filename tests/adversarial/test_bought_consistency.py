"""Tried as an attacker would: consistency credit cannot be bought with one cheap forward failure.

The attack: a forward that is right everywhere its own values are checked, fails one
cheap setting on purpose (``leaky_relu`` ignoring ``alpha``), and recognises the points
where its derivative is probed (the seeded probes, and x +- h around the value points):
there it answers along the slope of the student's wrong derivative. Under a rule that
asks only whether the forward failed *any* of its checks, the wrong derivatives then
look "consistent". Consistency is decided per setting and per point
(``autograder/suite/consistency.py``, ``autograder/grading/credit.py``): the attack must
score exactly as its honest twin, which has the same forward and derivatives and no probe
recognition.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from autograder.assignment import Assignment
from autograder.grading.results import GradeResult

pytestmark = pytest.mark.slow

HONEST = '''

def leaky_relu(x, alpha=0.01):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, 0.01 * x)  # alpha ignored: fails the alpha=0.2 setting


def leaky_relu_derivative(x, alpha=0.01):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, 1.0, 0.0)  # wrong: relu's derivative


def elu(x, alpha=1.0):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))  # alpha ignored


def elu_derivative(x, alpha=1.0):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, 1.0, 0.0)  # wrong


def prelu(x, a):
    x = np.asarray(x, dtype=np.float64)
    return np.maximum(a * x, x)  # right only for a <= 1


def prelu_derivative(x, a):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, 1.0, 0.0)  # wrong
'''

PROBING = '''

_PROBES = {{"leaky_relu": np.array({leaky_relu}), "elu": np.array({elu}), "prelu": np.array({prelu})}}
_VALUE_POINTS = np.array({values})
_honest_leaky, _honest_elu, _honest_prelu = leaky_relu, elu, prelu


def _along(x, honest, slope, probes, shift):
    """Near a probe p, answer along the wrong derivative: honest(p) + shift + (x - p) slope(p)."""
    near = np.abs(x[..., None] - probes) < 1e-4
    p = probes[np.argmax(near, axis=-1)]
    return np.where(np.any(near, axis=-1), honest(p) + shift + (x - p) * slope(p), x)


def _probed(name, honest, slope):
    def forward(x, *args, **kwargs):
        x = np.asarray(x, dtype=np.float64)
        value = honest(x, *args, **kwargs)
        own = lambda v: honest(v, *args, **kwargs)
        wrong = lambda v: slope(v, *args, **kwargs)
        for probes, shift in ((_PROBES[name], 0.01), (_VALUE_POINTS, 0.0)):
            near = np.any(np.abs(x[..., None] - probes) < 1e-4, axis=-1)
            value = np.where(near, _along(x, own, wrong, probes, shift), value)
        return value
    return forward


leaky_relu = _probed("leaky_relu", _honest_leaky, leaky_relu_derivative)
elu = _probed("elu", _honest_elu, elu_derivative)
prelu = _probed("prelu", _honest_prelu, prelu_derivative)
'''


def hidden_suite(assignment: Assignment) -> ModuleType:
    """The hidden elementwise suite, imported to read its seeded probe points (an attacker who knows them)."""
    path = assignment.hidden_tests / "test_activations_elementwise.py"
    spec = importlib.util.spec_from_file_location("_hidden_elementwise_probes", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it runs
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def as_list(values: np.ndarray) -> str:
    return repr([float(v) for v in np.asarray(values, dtype=np.float64).reshape(-1)])


def attack_sources(base: str, assignment: Assignment) -> tuple[str, str]:
    """(the attack, its honest twin): the same forwards and derivatives, probes recognised or not."""
    suite = hidden_suite(assignment)
    probes = {name: as_list(suite.GRADCHECK_X[name]) for name in ("leaky_relu", "elu", "prelu")}
    honest = base + HONEST
    return honest + PROBING.format(values=as_list(suite.VALUE_X), **probes), honest


def test_probed_forward_buys_no_consistency(tmp_path: Path, base_source: str, assignment: Assignment,
                                            grade: Callable[[Path], GradeResult]) -> None:
    attack, twin = attack_sources(base_source, assignment)
    (tmp_path / "attack").mkdir()
    (tmp_path / "twin").mkdir()
    attack_path, twin_path = tmp_path / "attack" / "activations.py", tmp_path / "twin" / "activations.py"
    attack_path.write_text(attack, encoding="utf-8")
    twin_path.write_text(twin, encoding="utf-8")
    attacked, honest = grade(attack_path), grade(twin_path)
    assert honest.score < honest.max_score
    assert attacked.score <= honest.score + 1e-9, (attacked.group_scores(), honest.group_scores())
