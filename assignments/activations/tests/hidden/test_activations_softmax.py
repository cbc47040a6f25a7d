"""Hidden suite, part 2: ``softmax(z, axis=-1)`` and ``softmax_jacobian(z)``.

Expected values come from ``reference.softmax`` (``softmax`` and ``jacobian``,
the latter proved equal to SymPy's Jacobian of the symbolic softmax) at fixed
or seeded logits. Checks, each its own pointed test:

Value checks (skills ``softmax`` and ``softmax_jacobian``):

* ``softmax[...]``: values for 1-D logits (random, huge, equal, one class) and
  a (4, 6) batch along the default axis;
* ``softmax_axis``: shapes (2, 3) and (3, 2) along axis 0, 1 and -1, and the
  default axis;
* ``softmax_jacobian``: against the reference, or, while the student's softmax
  is wrong and not degenerate, against central differences of that softmax
  (2 n calls on 1-D logits z +- eps e_j), or against the lecture's identity
  diag(s) - s s^T on that softmax's own values s (derived by SymPy from the
  reference, ``reference.softmax.output_jacobian``): a softmax mistake is
  charged once.

A Jacobian that fails a value or contract check only because the student's
softmax raises or overflows inside it is judged again with that softmax's
values substituted by the reference's (``judged_again_with``).

Contract checks (earning only as far as the values are right):
``softmax_sums_to_one`` (the outputs add up to 1 along ``axis``; a constant
1/n would pass it alone), int input, float64 arrays of the right shape,
read-only input (see the elementwise module), finite and free of
floating-point errors for |z| up to 1000.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from autograder.gradcheck import compare_gradients
from autograder.suite import (
    as_float_array,
    assert_close,
    assert_float_array_like,
    derive,
    fail,
)
from autograder.suite.activation_upstreams import FORWARDS
from autograder.suite.consistency import credit_consistency, degenerate_reason
from autograder.suite.substitution import Upstream, judged_again_with
from autograder.tolerances import GRADCHECK, GRADCHECK_EPS, VALUES
from reference.softmax import jacobian as reference_jacobian
from reference.softmax import jacobian_from_output
from reference.softmax import softmax as reference_softmax

SOFTMAX_HINT = ("softmax(z)_i = e^z_i / sum_j e^z_j along the given axis; subtract the max along "
                "that axis first (keepdims=True) so exp never overflows")
JACOBIAN_HINT = "J[i, j] = d s_i / d z_j = s_i (delta_ij - s_j), i.e. np.diag(s) - np.outer(s, s)"

_rng = np.random.default_rng(20240612)
LOGITS = {
    "random": _rng.normal(0.0, 3.0, size=5),
    "huge": np.array([1000.0, -1000.0, 0.0, 999.5]),
    "equal": np.full(4, 2.5),
    "one-class": np.array([-7.0]),
    "batch(4,6)": _rng.normal(0.0, 5.0, size=(4, 6)),
    # rows 2000 apart: one max over the whole array (not per row) underflows a whole row to 0/0
    "batch-far-apart": np.array([[1000.0, 999.0, 998.0], [-1000.0, -999.0, -998.0]]),
}
AXIS_CASES = [((2, 3), 0), ((2, 3), -1), ((2, 3), 1), ((3, 2), 0), ((3, 2), -1), ((3, 2), None)]
AXIS_LOGITS = {shape: _rng.normal(0.0, 4.0, size=shape) for shape in ((2, 3), (3, 2))}
SUM_LOGITS = {shape: _rng.normal(0.0, 50.0, size=shape) for shape in ((2, 3), (3, 2))}
JACOBIAN_LOGITS = {
    "n=3": _rng.normal(0.0, 2.0, size=3),
    "n=5": _rng.normal(0.0, 2.0, size=5),
    "n=1": np.array([0.3]),
    "huge": np.array([1000.0, -1000.0, 999.0]),
}
GRADCHECK_LOGITS = {"n=4": _rng.normal(0.0, 2.0, size=4), "n=6": _rng.normal(0.0, 1.0, size=6)}
LARGE = np.array([1000.0, -1000.0, 0.0, 999.0, -999.0, 30.0])
INT_LOGITS = np.array([3, -1, 0, 2], dtype=np.int64)
MUTATION_LOGITS = _rng.normal(0.0, 3.0, size=(3, 4))
SHAPE_LOGITS = {shape: _rng.normal(0.0, 3.0, size=shape) for shape in ((5,), (2, 3))}


SOFTMAX_SKILLS = [pytest.param(name, id=name, marks=pytest.mark.skill(name))
                  for name in ("softmax", "softmax_jacobian")]


def _short(values: np.ndarray) -> str:
    return np.array2string(values, precision=6, threshold=8, separator=", ")


def describe(name: str, z: Any, axis: int | None = None) -> str:
    array = np.asarray(z)
    shown = f"z=<{array.dtype} array of shape {array.shape}>"
    return f"{name}({shown}" + (f", axis={axis})" if axis is not None else ")")


def call_softmax(student: Any, z: np.ndarray, axis: int | None = None) -> Any:
    """``student.softmax(z)`` or ``student.softmax(z, axis=axis)`` (None: rely on the default)."""
    return student.softmax(z) if axis is None else student.softmax(z, axis=axis)


# --------------------------------------------------------------------------
# softmax


@pytest.mark.skill("softmax")
@pytest.mark.parametrize("name", list(LOGITS))
def test_softmax(student: Any, name: str) -> None:
    """softmax along the default (last) axis, against the reference."""
    z = LOGITS[name]
    want = derive(reference_softmax, z)
    assert_close(call_softmax(student, z.copy()), want, call=describe("softmax", z), hint=SOFTMAX_HINT)


@pytest.mark.skill("softmax")
@pytest.mark.parametrize(("shape", "axis"), AXIS_CASES,
                         ids=[f"shape=({r},{c})-axis={'default' if a is None else a}"
                              for (r, c), a in AXIS_CASES])
def test_softmax_axis(student: Any, shape: tuple[int, int], axis: int | None) -> None:
    """softmax of a non-square batch along the given axis (or the default, -1)."""
    z = AXIS_LOGITS[shape]
    want = derive(reference_softmax, z) if axis is None else derive(reference_softmax, z, axis=axis)
    assert_close(call_softmax(student, z.copy(), axis), want, call=describe("softmax", z, axis),
                 hint="normalise along `axis` only: np.max and np.sum with axis=axis, keepdims=True")


@pytest.mark.skill("softmax")
@pytest.mark.contract
@pytest.mark.rule("softmax-sums-to-one")
@pytest.mark.parametrize(("shape", "axis"), [((2, 3), 0), ((2, 3), -1), ((3, 2), 0), ((3, 2), -1)],
                         ids=lambda v: f"shape=({v[0]},{v[1]})" if isinstance(v, tuple) else f"axis={v}")
def test_softmax_sums_to_one(student: Any, shape: tuple[int, int], axis: int) -> None:
    """The outputs add up to 1 along ``axis`` (to what the reference's outputs add up to)."""
    z = SUM_LOGITS[shape]
    reference = derive(reference_softmax, z, axis=axis)
    want = reference.map(lambda value: np.sum(value, axis=axis), f"sum over axis {axis}")
    text = describe("softmax", z, axis)
    got = as_float_array(call_softmax(student, z.copy(), axis), call=text, hint=SOFTMAX_HINT)
    if got.shape != z.shape:
        fail(text, f"got shape {got.shape}, should be {z.shape}", SOFTMAX_HINT)
    assert_close(np.sum(got, axis=axis), want, call=f"sum of {text} over axis {axis}", hint=SOFTMAX_HINT)


@pytest.mark.skill("softmax")
@pytest.mark.parametrize("name", list(JACOBIAN_LOGITS))
def test_softmax_at_jacobian_logits(student: Any, name: str) -> None:
    """softmax where its Jacobian is checked: the Jacobian earns consistency credit at these logits
    only when this case fails (per setting: a softmax failing elsewhere buys nothing here)."""
    z = JACOBIAN_LOGITS[name]
    assert_close(call_softmax(student, z.copy()), derive(reference_softmax, z), call=describe("softmax", z),
                 hint=SOFTMAX_HINT)


# --------------------------------------------------------------------------
# softmax_jacobian


@pytest.mark.skill("softmax_jacobian")
@pytest.mark.parametrize("name", list(JACOBIAN_LOGITS))
@judged_again_with(FORWARDS["softmax"])
def test_softmax_jacobian(student: Any, name: str, record_property: Any) -> None:
    """The (n, n) Jacobian diag(s) - s s^T, against the reference or the student's own wrong softmax."""
    z = JACOBIAN_LOGITS[name]
    text = describe("softmax_jacobian", z)
    got = student.softmax_jacobian(z.copy())
    try:
        assert_close(got, derive(reference_jacobian, z), call=text, hint=JACOBIAN_HINT)
        return
    except AssertionError as wrong:
        if not (jacobian_of_own_softmax_agrees(student, z, got) or identity_of_own_softmax_agrees(student, z, got)):
            raise wrong
    credit_consistency(record_property, "softmax", on=f"softmax_at_jacobian_logits[{name}]")


def own_softmax_reason(student: Any, z: np.ndarray) -> str:
    """Why the student's softmax at 1-D ``z`` cannot earn consistency credit ("" when it can)."""
    own = as_float_array(call_softmax(student, z.copy()), call=describe("softmax", z), hint=SOFTMAX_HINT)
    reason = degenerate_reason(z, own)
    if not reason and np.all(VALUES.close(own, derive(reference_softmax, z).value)):
        return "your softmax is right"
    return reason


def identity_of_own_softmax_agrees(student: Any, z: np.ndarray, got: Any) -> bool:
    """``got`` is the lecture's identity diag(s) - s s^T on the student's own softmax values s at ``z``
    (that softmax wrong but not degenerate): the Jacobian's own formula is right."""
    n = z.size
    if own_softmax_reason(student, z) or type(got) is not np.ndarray or got.shape != (n, n):
        return False
    own = as_float_array(call_softmax(student, z.copy()), call=describe("softmax", z), hint=SOFTMAX_HINT)
    analytic = as_float_array(got, call=describe("softmax_jacobian", z), hint=JACOBIAN_HINT)
    return own.shape == (n,) and bool(np.all(VALUES.close(analytic, jacobian_from_output(own))))


def of_softmax(fixtures: dict[str, Any]) -> tuple[Upstream, ...]:
    """A Jacobian's failing contract case is judged again with the softmax substituted; softmax's own is not."""
    return (FORWARDS["softmax"],) if fixtures["name"] == "softmax_jacobian" else ()


def jacobian_of_own_softmax_agrees(student: Any, z: np.ndarray, got: Any) -> bool:
    """``got`` is the Jacobian of the student's own softmax at ``z`` (by central differences),
    and that softmax is wrong but not degenerate; probed, it gives at ``z`` what its own check got,
    and its steps ahead and behind agree (a softmax that answers probes differently gains nothing)."""
    n = z.size
    if own_softmax_reason(student, z) or type(got) is not np.ndarray or got.shape != (n, n):
        return False
    analytic = as_float_array(got, call=describe("softmax_jacobian", z), hint=JACOBIAN_HINT)
    own = as_float_array(call_softmax(student, z.copy()), call=describe("softmax", z), hint=SOFTMAX_HINT)
    rows = []
    for shifted in np.concatenate([z + GRADCHECK_EPS * np.eye(n), z - GRADCHECK_EPS * np.eye(n), z[None, :]]):
        out = as_float_array(call_softmax(student, shifted), call=describe("softmax", shifted), hint=SOFTMAX_HINT)
        if out.shape != (n,):
            return False
        rows.append(out)
    moved = np.array(rows)  # row j: softmax(z + eps e_j); row n + j: softmax(z - eps e_j); row 2n: at z
    ahead, behind, at = moved[:n], moved[n:2 * n], moved[2 * n]
    if not np.all(VALUES.close(at, own)) or not np.all(
            GRADCHECK.close((at - behind) / GRADCHECK_EPS, (ahead - at) / GRADCHECK_EPS)):
        return False
    numeric = ((ahead - behind) / (2.0 * GRADCHECK_EPS)).T  # [i, j] = d s_i / d z_j
    labels = [f"d s_{i} / d z_{j}" for i in range(n) for j in range(n)]
    return compare_gradients(analytic, numeric, labels).passed


# --------------------------------------------------------------------------
# The contract


@pytest.mark.contract
@pytest.mark.rule("accepts-int-input")
@pytest.mark.parametrize("name", SOFTMAX_SKILLS)
@judged_again_with(choose=of_softmax)
def test_softmax_accepts_int_input(student: Any, name: str) -> None:
    """Integer logits give float64 results with the values of the same logits as floats."""
    text = describe(name, INT_LOGITS)
    hint = "convert first: z = np.asarray(z, dtype=np.float64)"
    got = getattr(student, name)(INT_LOGITS.copy())
    n = INT_LOGITS.size
    assert_float_array_like(got, call=text, shape=(n,) if name == "softmax" else (n, n), hint=hint)
    floats = INT_LOGITS.astype(np.float64)
    own = as_float_array(getattr(student, name)(floats), call=describe(name, floats))
    if own.shape != got.shape or not np.all(VALUES.close(got, own)):
        fail(text, f"got {_short(got)}, but {_short(own)} for the same logits as floats", hint)


@pytest.mark.contract
@pytest.mark.rule("returns-float64-array")
@pytest.mark.parametrize(("name", "shape"), [
    pytest.param("softmax", (5,), id="softmax-shape=(5,)", marks=pytest.mark.skill("softmax")),
    pytest.param("softmax", (2, 3), id="softmax-shape=(2,3)", marks=pytest.mark.skill("softmax")),
    pytest.param("softmax_jacobian", (5,), id="softmax_jacobian-n=5", marks=pytest.mark.skill("softmax_jacobian"))])
@judged_again_with(choose=of_softmax)
def test_softmax_returns_float_array(student: Any, name: str, shape: tuple[int, ...]) -> None:
    """A float64 ndarray: softmax keeps the input's shape, the Jacobian is (n, n)."""
    z = SHAPE_LOGITS[shape].copy()
    out_shape = shape if name == "softmax" else (shape[0], shape[0])
    assert_float_array_like(getattr(student, name)(z), call=describe(name, z), shape=out_shape)


@pytest.mark.contract
@pytest.mark.rule("no-input-mutation")
@pytest.mark.parametrize(("name", "axis"), [
    pytest.param("softmax", None, id="softmax", marks=pytest.mark.skill("softmax")),
    pytest.param("softmax", 0, id="softmax-axis=0", marks=pytest.mark.skill("softmax")),
    pytest.param("softmax_jacobian", None, id="softmax_jacobian", marks=pytest.mark.skill("softmax_jacobian"))])
@judged_again_with(choose=of_softmax)
def test_softmax_does_not_modify_input(student: Any, name: str, axis: int | None) -> None:
    """The logits come back unchanged after the call (watched inputs, see the elementwise module)."""
    z = MUTATION_LOGITS[0].copy() if name == "softmax_jacobian" else MUTATION_LOGITS.copy()
    z.setflags(write=False)
    before = z.copy()
    text = describe(name, z, axis)
    frozen = student.with_options(readonly_inputs=True)
    got = call_softmax(frozen, z, axis) if name == "softmax" else frozen.softmax_jacobian(z)
    if not np.array_equal(z, before):
        fail(text, "changed its input array", "build new arrays (z - z.max(...)) instead of writing into z")
    if got is z:
        fail(text, "returned its input array itself", "return a new array")


@pytest.mark.contract
@pytest.mark.rule("finite-for-abs-x-le-1000")
@pytest.mark.parametrize("name", SOFTMAX_SKILLS)
@judged_again_with(choose=of_softmax)
def test_softmax_finite_at_large_inputs(student: Any, name: str) -> None:
    """No NaN or inf for logits up to +-1000."""
    n = LARGE.size
    shape = (n,) if name == "softmax" else (n, n)
    assert_float_array_like(getattr(student, name)(LARGE.copy()), call=describe(name, LARGE), shape=shape,
                            hint=SOFTMAX_HINT)


@pytest.mark.contract
@pytest.mark.rule("no-floating-point-errors")
@pytest.mark.parametrize("name", SOFTMAX_SKILLS)
@judged_again_with(choose=of_softmax)
def test_softmax_no_floating_point_errors(strict_student: Any, name: str) -> None:
    """No overflow, invalid operation or division by zero for logits up to +-1000 (underflow is fine)."""
    n = LARGE.size
    shape = (n,) if name == "softmax" else (n, n)
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        got = getattr(strict_student, name)(LARGE.copy())
    assert_float_array_like(got, call=describe(name, LARGE) + " under np.errstate(...='raise')",
                            shape=shape, hint=SOFTMAX_HINT)
