"""Diagnosis: a failing case's logged calls matched against the catalog's chaffs."""

from __future__ import annotations

import numpy as np

from autograder.catalog import Catalog, Misconception
from autograder.grading.diagnose import MAX_LOGGED_BYTES, CallLog, Diagnoser, LoggedCall, same_value

SOLUTION = '''
import numpy as np

def relu_derivative(x):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x > 0, 1.0, 0.0)

def shift(x):
    return np.asarray(x, dtype=np.float64) - 1.0
'''
ONE_AT_ZERO = Misconception("relu-derivative-one-at-zero", "relu_derivative", "relu'(0) = 0.", "tests",
                            "def relu_derivative(x):\n    return np.where(np.asarray(x) >= 0, 1.0, 0.0)\n")
IN_PLACE = Misconception("shift-in-place", "shift", "Build a new array.", "tests",
                         "def shift(x):\n    x -= 1.0\n    return x\n")
DIAGNOSER = Diagnoser(SOLUTION, Catalog((ONE_AT_ZERO, IN_PLACE)))
X = np.array([-1.0, 0.0, 2.0])


def call(function: str, result: object = None, raised: str = "", readonly: bool = False) -> LoggedCall:
    return LoggedCall(function, (X.copy(),), {}, readonly, False, result, raised)


def test_values_that_match_a_chaff_name_it() -> None:
    assert DIAGNOSER.diagnose([call("relu_derivative", np.array([0.0, 1.0, 1.0]))]) is ONE_AT_ZERO


def test_values_that_match_no_chaff_name_nothing() -> None:
    assert DIAGNOSER.diagnose([call("relu_derivative", np.array([5.0, 5.0, 5.0]))]) is None


def test_right_values_are_no_evidence_of_a_mistake() -> None:
    """At inputs where the chaff and the solution agree, a right answer diagnoses nothing."""
    positive = LoggedCall("relu_derivative", (np.array([2.0, 3.0]),), {}, False, False, np.array([1.0, 1.0]))
    assert DIAGNOSER.diagnose([positive]) is None


def test_every_logged_call_of_the_function_must_match() -> None:
    calls = [call("relu_derivative", np.array([0.0, 1.0, 1.0])), call("relu_derivative", np.array([9.0, 9.0, 9.0]))]
    assert DIAGNOSER.diagnose(calls) is None


def test_a_changed_input_matches_an_in_place_chaff() -> None:
    assert DIAGNOSER.diagnose([call("shift", raised="InputChanged", readonly=True)]) is IN_PLACE


def test_the_log_keeps_a_bounded_amount_and_clears_per_case() -> None:
    log = CallLog()
    big = np.zeros(MAX_LOGGED_BYTES // 8 // 2 + 1)
    for _ in range(3):
        log.record(LoggedCall("f", (), {}, False, False, big))
    assert len(log.calls) == 1 and log.logged_bytes <= MAX_LOGGED_BYTES
    log.begin_case()
    assert log.calls == [] and log.logged_bytes == 0


def test_same_value_compares_structure_and_values_within_tolerance() -> None:
    assert same_value({"a": np.array([1.0]), "b": (1.0, "x")}, {"a": np.array([1.0 + 1e-12]), "b": (1.0, "x")})
    assert not same_value({"a": 1.0}, {"a": 1.0, "b": 2.0})
    assert not same_value(np.array([1.0, 2.0]), np.array([1.0]))
    assert not same_value("sigmoid", "relu")
    assert same_value(np.array([np.nan, 1.0]), np.array([np.nan, 1.0]))  # the same NaN is the same mistake
    assert not same_value(np.array([np.nan, 1.0]), np.array([0.5, 1.0]))


def test_an_int_or_bool_array_where_floats_belong_differs() -> None:
    assert not same_value(np.array([0, 1]), np.array([0.0, 1.0]))
    assert not same_value(np.array([False, True]), np.array([0.0, 1.0]))
    assert same_value(1.0, np.float64(1.0))


def test_a_shared_overflow_alone_names_no_mistake() -> None:
    overflow = LoggedCall("relu_derivative", (X.copy(),), {}, False, True, None, "FloatingPointError")
    overflowing = Misconception("overflows", "relu_derivative", "", "tests",
                                "def relu_derivative(x):\n    return np.exp(np.asarray(x) * 1000.0)\n")
    assert Diagnoser(SOLUTION, Catalog((overflowing,))).diagnose([overflow]) is None


def test_a_stubs_calls_are_a_crash_and_no_candidate_could_have_reproduced_them() -> None:
    """mutant_of skips a group whose every call raised NotImplementedError (what the released stub's
    functions raise): no derived candidate raises it on the inputs the suite uses."""
    from autograder.assignment import get_assignment
    from autograder.grading.diagnose import _run, derived_mistake
    from autograder.mutants import mutant_of
    from autograder.mutants.candidates import candidates

    inputs = (np.array([-3.0, -0.5, 0.0, 0.5, 3.0]), np.array([[1.0, -2.0], [0.0, 4.0]]), 0.7, [1.0, -1.0])
    for function in get_assignment("activations").functions:
        calls = [LoggedCall(function, (x,), {}, False, False, None, "NotImplementedError") for x in inputs]
        assert mutant_of(function, calls) is None
        crash = derived_mistake(function, calls)
        assert crash is not None and crash.id == f"{function}~crash"
        for candidate in candidates(function, calls[0].args, calls[0].kwargs):
            assert all(_run(candidate.function, c)[1] != "NotImplementedError" for c in calls), candidate.tag


# ---------------------------------------------------------------- families beyond the catalog

def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def test_a_write_into_a_read_only_input_is_named_in_place_without_any_chaff() -> None:
    from autograder.grading.diagnose import derived_mistake

    named = derived_mistake("leaky_relu", [call("leaky_relu", raised="InputChanged", readonly=True)])
    assert named is not None and named.id == "leaky_relu~in-place"
    assert derived_mistake("leaky_relu", [call("leaky_relu", raised="InputChanged", readonly=False)]) is None


def test_right_values_of_the_wrong_type_are_named_by_type() -> None:
    right = [1.0, 0.0, 0.0]
    as_list = LoggedCall("relu_derivative", (np.array([2.0, -1.0, -3.0]),), {}, False, False, right)
    named = DIAGNOSER.diagnose([as_list])
    assert named is not None and named.id == "relu_derivative~type" and "a Python list" in named.explanation
    as_array = LoggedCall("relu_derivative", (np.array([2.0, -1.0, -3.0]),), {}, False, False,
                          np.array([1.0, 0.0, 0.0]))
    assert DIAGNOSER.diagnose([as_array]) is None


def test_an_overflow_is_named_by_its_twin_without_errstate() -> None:
    """Right values without errstate: the overflow itself; wrong ones: what they show, never "overflow"."""
    solution = SOLUTION + "\ndef sigmoid(x):\n    x = np.asarray(x, dtype=np.float64)\n" \
        "    return np.exp(-np.logaddexp(0.0, -x))\n"
    diagnoser = Diagnoser(solution, Catalog((ONE_AT_ZERO,)))
    large = np.array([-1000.0, -50.0, 0.5, 50.0, 1000.0])
    raised = LoggedCall("sigmoid", (large.copy(),), {}, False, True, None, "FloatingPointError")
    with np.errstate(all="ignore"):
        right, flipped = _sigmoid(large), _sigmoid(-large)
    log = CallLog()
    log.record(LoggedCall("sigmoid", (large.copy(),), {}, False, False, right))
    named = diagnoser.diagnose([raised], log.history)
    assert named is not None and named.id == "sigmoid~overflow"
    log.record(LoggedCall("sigmoid", (large.copy(),), {}, False, False, flipped))
    named = diagnoser.diagnose([raised], log.history)
    assert named is None or "overflow" not in named.id


def test_the_history_is_bounded_and_keeps_only_small_calls_without_errstate() -> None:
    from autograder.grading.diagnose import MAX_HISTORY_CALL_BYTES, MAX_HISTORY_CALLS

    log = CallLog()
    for k in range(MAX_HISTORY_CALLS + 10):
        log.record(LoggedCall("f", (np.array([float(k)]),), {}, False, False, np.array([1.0])))
    log.record(LoggedCall("f", (np.zeros(MAX_HISTORY_CALL_BYTES // 8 + 1),), {}, False, False, 1.0))
    log.record(LoggedCall("f", (np.array([-1.0]),), {}, False, True, np.array([1.0])))
    assert len(log.history) == MAX_HISTORY_CALLS
    log.begin_case()
    assert len(log.history) == MAX_HISTORY_CALLS and not log.calls


def test_a_case_not_run_adds_the_calls_a_known_run_made_of_it_to_the_history_in_its_place() -> None:
    """A run keeps, per case, the calls of it the history took; a later run that takes a case's outcome
    without running it adds those calls where the case would have run: the history is the same."""
    def call(k: float, errstate: bool = False) -> LoggedCall:
        return LoggedCall("f", (np.array([k]),), {}, False, errstate, np.array([2 * k]))

    cases = {"a": [call(1.0), call(2.0, errstate=True)], "b": [call(3.0)], "c": [call(1.0), call(4.0)]}
    known = CallLog()
    known.keep_cases()
    for case, calls in cases.items():
        known.case_begins(case)
        for logged in calls:
            known.record(logged)
    assert known.cases == {"a": [cases["a"][0]], "b": cases["b"], "c": cases["c"]}  # errstate: not history
    later = CallLog()
    later.record(cases["a"][0])  # case a ran
    later.took_history_of(tuple(known.cases["b"]))  # case b did not
    for logged in cases["c"]:
        later.record(logged)
    assert list(later.history) == list(known.history) and later.cases is None


def test_a_name_must_fit_the_functions_other_calls_of_the_setting() -> None:
    """A one-element softmax cannot tell an extra 1 in the denominator from a factor 2 there; its other
    calls in the submission can."""
    from autograder.mutants import mutant_of

    def plus_one(z: np.ndarray) -> np.ndarray:
        e = np.exp(z - np.max(z, axis=-1, keepdims=True))
        return e / (1.0 + np.sum(e, axis=-1, keepdims=True))

    one = np.array([-7.0])
    single = LoggedCall("softmax", (one,), {}, False, False, plus_one(one))
    wide = np.array([0.5, -1.0, 2.0, 0.0])
    other = LoggedCall("softmax", (wide,), {}, False, False, plus_one(wide))
    named = mutant_of("softmax", [single], [other])
    assert named is not None and named.id == "softmax~extra-term"
    assert mutant_of("softmax", [single]) is None  # alone, two different mistakes fit


def test_derived_softmax_and_jacobian_mistakes_are_named() -> None:
    from autograder.mutants import mutant_of
    from reference.softmax import jacobian, softmax

    z = np.array([[0.3, -1.2, 2.0], [1.0, 0.0, -0.5]])
    e = np.exp(z - z.max(axis=0, keepdims=True))
    axis0 = LoggedCall("softmax", (z,), {}, False, False, e / e.sum(axis=0, keepdims=True))
    named = mutant_of("softmax", [axis0])
    assert named is not None and named.id == "softmax~axis"
    v = np.array([0.2, -1.0, 1.5, 0.0])
    flipped = LoggedCall("softmax_jacobian", (v,), {}, False, False, -jacobian(v))
    named = mutant_of("softmax_jacobian", [flipped])
    assert named is not None and named.id == "softmax_jacobian~sign"
    right = LoggedCall("softmax", (z,), {}, False, False, softmax(z))
    assert mutant_of("softmax", [right]) is None


def test_a_derivative_evaluated_at_the_functions_output_is_named() -> None:
    from autograder.mutants import mutant_of

    x = np.linspace(-4.0, 4.0, 9)
    s = _sigmoid(_sigmoid(x))
    named = mutant_of("sigmoid_derivative", [LoggedCall("sigmoid_derivative", (x,), {}, False, False, s * (1 - s))])
    assert named is not None and named.id == "sigmoid_derivative~input"


def test_wrong_values_of_the_wrong_type_are_not_named_by_type() -> None:
    """A NaN where an array belongs is not "the values are right"."""
    nan = LoggedCall("relu_derivative", (np.array([2.0, -1.0, -3.0]),), {}, False, False, float("nan"))
    named = DIAGNOSER.diagnose([nan])
    assert named is None or "type" not in named.id


def test_zeros_everywhere_name_no_derived_mistake() -> None:
    """A derivative that returns 0 everywhere is no formula's slip: naming one would be a guess."""
    solution = SOLUTION + "\ndef tanh_derivative(x):\n    return 1.0 - np.tanh(np.asarray(x, dtype=np.float64)) ** 2\n"
    diagnoser = Diagnoser(solution, Catalog((ONE_AT_ZERO, IN_PLACE)))
    x = np.array([-1.5, -0.5, 0.25, 1.0])
    zeros = LoggedCall("tanh_derivative", (x.copy(),), {}, False, False, np.zeros_like(x))
    assert diagnoser.diagnose([zeros]) is None
    doubled = LoggedCall("tanh_derivative", (x.copy(),), {}, False, False, 2.0 * (1.0 - np.tanh(x) ** 2))
    named = diagnoser.diagnose([doubled])
    assert named is not None and named.id.startswith("tanh_derivative~")


def test_a_chaff_redefines_what_the_solutions_own_functions_call() -> None:
    """A chaff runs after the solution in one namespace, as the solution's text with the chaff
    appended would: a solution function that calls the redefined one gets the chaff's."""
    solution = SOLUTION + "\ndef relu_grad_sum(x):\n    return float(np.sum(relu_derivative(x)))\n"
    via_helper = Misconception("helper-sees-chaff", "relu_grad_sum", "relu'(0) = 0.", "tests",
                               ONE_AT_ZERO.chaff)
    diagnoser = Diagnoser(solution, Catalog((via_helper,)))
    at_zero = LoggedCall("relu_grad_sum", (X.copy(),), {}, False, False, 2.0)  # the chaff's sum: 0, 1, 1
    assert diagnoser.diagnose([at_zero]) is via_helper
    right = LoggedCall("relu_grad_sum", (X.copy(),), {}, False, False, 1.0)
    assert diagnoser.diagnose([right]) is None


def test_a_chaff_compiles_with_the_solutions_future_features() -> None:
    """With ``from __future__ import annotations`` in the solution, a chaff's annotations are never
    evaluated, as in the solution's text with the chaff appended: a name only a type checker knows
    does not keep the chaff from being defined."""
    solution = "from __future__ import annotations\n" + SOLUTION
    chaff = ("def relu_derivative(x: ArrayLike) -> NDArray:\n"
             "    return np.where(np.asarray(x) >= 0, 1.0, 0.0)\n")
    annotated = Misconception("annotated-chaff", "relu_derivative", "relu'(0) = 0.", "tests", chaff)
    diagnoser = Diagnoser(solution, Catalog((annotated,)))
    assert diagnoser.diagnose([call("relu_derivative", np.array([0.0, 1.0, 1.0]))]) is annotated
