"""reference.activations against hand-written numpy formulas and central differences."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from autograder.tolerances import VALUES
from reference.activations import ACTIVATIONS, LECTURE_ACTIVATIONS, get_activation
from reference.analysis import branches
from reference.numeric import elementary, expm1
from reference.symbols import a, alpha, x
from tests.reference import independent as ind

NAMES = tuple(ACTIVATIONS)
POINTS = np.array([-1000.0, -30.0, -5.0, -1.0, -1e-9, 1e-9, 0.5, 1.0, 5.0, 30.0, 1000.0])
# Central differences straddle no kink: every point is >= 0.2 from 0 (h = 1e-6).
SMOOTH_POINTS = np.array([-30.0, -5.0, -1.5, -0.3, 0.2, 1.0, 4.0, 30.0])
# Two evaluations of one formula agree to a few ulps; the absolute part covers
# values whose exact size is below 1e-13, where a (correct) formula loses
# relative precision to cancellation, e.g. log(1 + e^x) at x = -30.
RTOL, ATOL = 1e-12, 1e-14
GRAD_RTOL, GRAD_ATOL = 1e-6, 1e-8  # central difference, h = 1e-6: error ~1e-10
KINKED = tuple(n for n in NAMES if ACTIVATIONS[n].kinks)
STRESS = np.concatenate([np.linspace(-1000.0, 1000.0, 2001), POINTS, [0.0, -0.0, 709.0, -745.0]])


@pytest.mark.parametrize("name", NAMES)
def test_values_match_independent_formula(name):
    f, _ = ind.FORMULAS[name]
    np.testing.assert_allclose(ACTIVATIONS[name](POINTS), f(POINTS), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_independent_formula(name):
    _, df = ind.FORMULAS[name]
    np.testing.assert_allclose(ACTIVATIONS[name].grad(POINTS), df(POINTS), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("point", SMOOTH_POINTS, ids=lambda v: f"x={v:g}")
def test_derivative_matches_central_difference(name, point):
    act = ACTIVATIONS[name]
    numeric = ind.central_difference(act, np.float64(point))
    np.testing.assert_allclose(act.grad(point), numeric, rtol=GRAD_RTOL, atol=GRAD_ATOL)


@pytest.mark.parametrize(("name", "param"), sorted(ind.PARAM_DERIVATIVES))
def test_parameter_derivative(name, param):
    act = ACTIVATIONS[name]
    want = ind.PARAM_DERIVATIVES[(name, param)](POINTS)
    np.testing.assert_allclose(act.grad_param(param, POINTS), want, rtol=RTOL, atol=ATOL)
    value = float(act.defaults[param])
    numeric = ind.central_difference(lambda v: act(SMOOTH_POINTS, **{param: v}), np.float64(value))
    np.testing.assert_allclose(act.grad_param(param, SMOOTH_POINTS), numeric,
                               rtol=GRAD_RTOL, atol=GRAD_ATOL)


@pytest.mark.parametrize("slope", [0.2, 0.5], ids=lambda v: f"alpha={v:g}")
def test_non_default_parameter(slope):
    f, df, _ = ind.leaky(slope)
    act = ACTIVATIONS["leaky_relu"]
    np.testing.assert_allclose(act(POINTS, alpha=slope), f(POINTS), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(act.grad(POINTS, alpha=slope), df(POINTS), rtol=RTOL, atol=ATOL)


def test_unknown_parameter_is_rejected():
    with pytest.raises(TypeError, match="takes no parameter"):
        ACTIVATIONS["relu"](POINTS, alpha=0.1)


STABLE_FORMS = [(name, which) for name in NAMES if ACTIVATIONS[name].stable is not None
                for which in ACTIVATIONS[name].numeric_forms]


def _equal_on(numeric: sp.Expr, defining: sp.Expr) -> list[str]:
    """Branches of ``numeric`` that differ from ``defining`` where both hold (empty: proved equal)."""
    failures = []
    for branch, interval in branches(numeric):
        for reference, reference_interval in branches(defining):
            if interval.intersect(reference_interval) == sp.S.EmptySet:
                continue
            # expm1, log1p, normal_cdf are rewritten to their definitions; tanh to exp.
            difference = (elementary(branch) - reference).rewrite(sp.exp)
            if sp.simplify(difference) != 0:
                failures.append(f"on {interval.intersect(reference_interval)}: {branch} != {reference}")
    return failures


@pytest.mark.parametrize(("name", "which"), STABLE_FORMS, ids=[f"{n}-{w}" for n, w in STABLE_FORMS])
def test_stable_form_equals_expr_branch_by_branch(name, which):
    """What each evaluator computes (the stable form, its sympy.diff in x and in each
    parameter) is the defining expression (its sympy.diff), branch by branch."""
    act = ACTIVATIONS[name]
    assert _equal_on(act.numeric_forms[which], act.defining_forms[which]) == []


def test_stable_form_proof_rejects_a_wrong_form():
    """The branch-by-branch proof sees a difference confined to one branch."""
    wrong = sp.Piecewise((expm1(x) + sp.Rational(1, 10**12), x <= 0), (x, True))
    assert len(_equal_on(wrong, ACTIVATIONS["elu"].bind(ACTIVATIONS["elu"].expr))) == 1


def test_every_evaluator_has_a_numeric_and_a_defining_form():
    for act in ACTIVATIONS.values():
        assert set(act.numeric_forms) == set(act.defining_forms) == {"f", "df", *(f"d{p}" for p in act.params)}


@pytest.mark.parametrize("name", NAMES)
def test_no_max_or_heaviside_in_the_registry(name):
    act = ACTIVATIONS[name]
    for expr in (act.expr, act.derivative, act.stable if act.stable is not None else act.expr):
        assert not expr.has(sp.Max, sp.Heaviside, sp.Min)


def test_max_would_leak_heaviside_half_at_zero():
    """Why the registry avoids Max: d/dx Max(0, x) is Heaviside(x), and Heaviside(0) = 1/2."""
    derivative = sp.diff(sp.Max(0, x), x)
    assert derivative.has(sp.Heaviside)
    assert derivative.subs(x, 0) == sp.S.Half


@pytest.mark.parametrize(("name", "slope_symbol"),
                         [("relu", sp.S.Zero), ("leaky_relu", alpha), ("prelu", a), ("elu", alpha)])
def test_kink_convention_symbolic(name, slope_symbol):
    act = ACTIVATIONS[name]
    at_zero = act.derivative.subs(x, 0)
    assert sp.simplify(at_zero - slope_symbol) == 0
    assert sp.simplify(act.bind(at_zero) - sp.S.Half) != 0


@pytest.mark.parametrize("name", KINKED)
def test_kink_convention_numeric(name):
    """f'(0) is the x <= 0 branch's slope (a left derivative), never the Heaviside 1/2."""
    act = ACTIVATIONS[name]
    left_slope = float(act.grad(-1e-300))  # e^(-1e-300) rounds to 1: exact slope at 0-
    assert float(act.grad(0.0)) == pytest.approx(left_slope, rel=1e-15, abs=0.0)
    assert float(act.grad(0.0)) != pytest.approx(0.5, abs=1e-3)
    if name == "relu":
        assert float(act.grad(0.0)) == pytest.approx(0.0, abs=0.0)


@pytest.mark.parametrize("name", NAMES)
def test_every_evaluator_is_finite_and_warning_free(name):
    act = ACTIVATIONS[name]
    with np.errstate(all="raise"):
        outputs = [act(STRESS), act.grad(STRESS)]
        outputs += [act.grad_param(p, STRESS) for p in act.params]
    for out in outputs:
        assert out.dtype == np.float64
        assert np.all(np.isfinite(out))


@pytest.mark.parametrize("name", NAMES)
def test_shape_and_dtype_are_kept(name):
    act = ACTIVATIONS[name]
    values = np.arange(-3, 3).reshape(2, 3)  # integers on purpose
    assert act(values).shape == (2, 3) and act(values).dtype == np.float64
    assert act.grad(values.tolist()).shape == (2, 3)
    assert np.ndim(act(1.5)) == 0


def test_get_activation_lists_known_names():
    assert get_activation("tanh") is ACTIVATIONS["tanh"]
    with pytest.raises(KeyError, match="sigmoid"):
        get_activation("swishy")


def test_lecture_activations_are_registered():
    assert set(LECTURE_ACTIVATIONS) <= set(ACTIVATIONS)


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_the_derivative_as_a_function_of_the_output_is_derived(name: str) -> None:
    """sigmoid' = s (1 - s) and tanh' = 1 - t^2, found by SymPy and equal to the reference's derivative."""
    act = get_activation(name)
    x = np.linspace(-6.0, 6.0, 25)
    assert np.all(VALUES.close(act.grad_from_output(act(x)), act.grad(x)))


def test_a_kinked_activation_has_no_output_identity() -> None:
    assert get_activation("relu").output_derivative is None
