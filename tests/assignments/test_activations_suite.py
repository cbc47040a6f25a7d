"""The hidden activations suite, run the way an instructor runs it.

``pytest -p autograder.suite.plugin --submission FILE assignments/activations/tests/hidden``
is called in-process (``pytest.main``) against the instructor's solution (every
test passes), the generated stub (every test fails) and known-wrong
implementations, each of which must fail EXACTLY the tests listed for it:
no fewer (the suite would miss the error) and no more (partial credit would
be unfair). A wrong implementation is the solution with one function redefined
at the end of the file.
"""

from __future__ import annotations

import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from autograder.assignment import get_assignment
from autograder.release import solution_source, stub_source

pytestmark = pytest.mark.slow

ASSIGNMENT = get_assignment("activations")
HIDDEN = ASSIGNMENT.hidden_tests
SAMPLES = ASSIGNMENT.root / "samples"


class _Recorder:
    """Records each collected test and whether it passed (all phases)."""

    def __init__(self) -> None:
        self.items: list[pytest.Item] = []
        self.failed: set[str] = set()
        self.collect_errors: list[str] = []

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collect_errors.append(f"{report.nodeid}: {report.longreprtext[-500:]}")

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.items = list(session.items)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed or report.skipped:
            self.failed.add(report.nodeid)

    def names(self, nodeids: set[str] | None = None) -> set[str]:
        """Readable names (``sigmoid_derivative[x=0]``) of the items, or of those ``nodeids``."""
        return {item.name.removeprefix("test_") for item in self.items
                if nodeids is None or item.nodeid in nodeids}


def _purge_suite_modules() -> None:
    root = str(HIDDEN.resolve())
    for name, module in list(sys.modules.items()):
        if (getattr(module, "__file__", None) or "").startswith(root):
            del sys.modules[name]


def run_hidden(source: str, tmp_path: Path, name: str = "activations.py") -> _Recorder:
    """Run the hidden suite against ``source``; return what passed and failed."""
    submission = tmp_path / name
    submission.write_text(source, encoding="utf-8")
    return run_hidden_on(submission)


def run_hidden_on(submission: Path) -> _Recorder:
    recorder = _Recorder()
    args = ["-p", "autograder.suite.plugin", "--submission", str(submission),
            "-p", "no:cacheprovider", "--import-mode=importlib", "-o", "addopts=",
            "--rootdir", str(HIDDEN), "-q", "--no-header", str(HIDDEN)]
    try:
        pytest.main(args, plugins=[recorder])
    finally:
        _purge_suite_modules()
    assert not recorder.collect_errors, recorder.collect_errors
    assert recorder.items, "the hidden suite collected nothing"
    return recorder


def failing(recorder: _Recorder) -> set[str]:
    return recorder.names(recorder.failed)


def _override(body: str) -> str:
    return solution_source(ASSIGNMENT) + "\n\n# --- the wrong part ---\n" + textwrap.dedent(body)


SIGMOID_DERIVATIVE_IS_SIGMOID = _override("""
    def sigmoid_derivative(x):
        return sigmoid(x)
    """)
RELU_DERIVATIVE_ONE_AT_ZERO = _override("""
    def relu_derivative(x):
        x = np.asarray(x, dtype=np.float64)
        return np.where(x >= 0, 1.0, 0.0)
    """)
SIGMOID_OVERFLOWS = _override("""
    def sigmoid(x):
        x = np.asarray(x, dtype=np.float64)
        return 1.0 / (1.0 + np.exp(-x))
    """)
ELU_DERIVATIVE_WHERE_OVERFLOWS = _override("""
    def elu_derivative(x, alpha=1.0):
        x = np.asarray(x, dtype=np.float64)
        return np.where(x > 0, 1.0, alpha * np.exp(x))
    """)
SOFTMAX_IGNORES_AXIS = _override("""
    def softmax(z, axis=-1):
        z = np.asarray(z, dtype=np.float64)
        e = np.exp(z - np.max(z))
        return e / np.sum(e, axis=0, keepdims=True)
    """)

WRONG = {
    # sigmoid(x) and sigmoid(x) (1 - sigmoid(x)) agree within tolerance only for very negative x
    # (x = -30, -1000: both ~ e^x), so those two edge cases still pass.
    "sigmoid_derivative_is_sigmoid": (SIGMOID_DERIVATIVE_IS_SIGMOID, {
        "sigmoid_derivative[x=0]", "sigmoid_derivative[x=1e-09]", "sigmoid_derivative[x=-1e-09]",
        "sigmoid_derivative[x=30]", "sigmoid_derivative[x=1000]", "sigmoid_derivative[random]",
        "derivative_matches_own_forward[sigmoid_derivative]",
        "accepts_int_input[sigmoid_derivative-array]", "accepts_int_input[sigmoid_derivative-scalar]",
    }),
    # relu'(0) = 1: only the point 0 and the kink test see it.
    "relu_derivative_one_at_zero": (RELU_DERIVATIVE_ONE_AT_ZERO, {
        "relu_derivative[x=0]", "kink_convention[relu_derivative]",
    }),
    # 1/(1+exp(-x)) gives right values (exp(1000) = inf, 1/inf = 0) but overflows:
    # only the errstate tests see it, for sigmoid and the derivative built on it.
    "sigmoid_overflows": (SIGMOID_OVERFLOWS, {
        "no_floating_point_errors[sigmoid]", "no_floating_point_errors[sigmoid_derivative]",
    }),
    "elu_derivative_where_overflows": (ELU_DERIVATIVE_WHERE_OVERFLOWS, {
        "no_floating_point_errors[elu_derivative]",
    }),
    # Normalising over axis 0 is right for 1-D logits and for axis=0 only.
    "softmax_ignores_axis": (SOFTMAX_IGNORES_AXIS, {
        "softmax[batch(4,6)]", "softmax_axis[shape=(2,3)-axis=-1]", "softmax_axis[shape=(2,3)-axis=1]",
        "softmax_axis[shape=(3,2)-axis=-1]", "softmax_axis[shape=(3,2)-axis=default]",
        "softmax_sums_to_one[shape=(2,3)-axis=-1]", "softmax_sums_to_one[shape=(3,2)-axis=-1]",
    }),
}


@pytest.fixture(scope="module")
def solution_run(tmp_path_factory: pytest.TempPathFactory) -> _Recorder:
    return run_hidden(solution_source(ASSIGNMENT), tmp_path_factory.mktemp("solution"))


def test_the_solution_passes_every_test(solution_run: _Recorder) -> None:
    assert failing(solution_run) == set()


def test_the_stub_fails_every_test(tmp_path: Path) -> None:
    result = run_hidden(stub_source(ASSIGNMENT), tmp_path)
    assert result.names() - failing(result) == set()


@pytest.mark.parametrize("name", list(WRONG))
def test_a_wrong_implementation_fails_exactly_the_affected_tests(tmp_path: Path, name: str) -> None:
    source, expected = WRONG[name]
    result = run_hidden(source, tmp_path)
    assert expected <= result.names(), f"unknown test names: {sorted(expected - result.names())}"
    got = failing(result)
    assert got == expected, (f"missed: {sorted(expected - got)}; unexpected: {sorted(got - expected)}")


def test_the_suite_is_sound(solution_run: _Recorder) -> None:
    """Every test has points, ids are readable and unique, and the points add up to the manifest's."""
    result = solution_run
    per_function: Counter[tuple[str, str]] = Counter()
    points: dict[tuple[str, str], float] = {}
    for item in result.items:
        marker = item.get_closest_marker("points")
        assert marker is not None and marker.args, f"{item.nodeid} has no points"
        key = (str(item.path), getattr(item, "originalname", item.name))
        per_function[key] += 1
        points[key] = float(marker.args[0])
    assert sum(points.values()) == pytest.approx(ASSIGNMENT.total_points)
    names = [item.name.removeprefix("test_") for item in result.items]
    assert len(names) == len(set(names)), "two tests share a readable name"
    assert "sigmoid_derivative[x=-1000]" in names and "softmax_axis[shape=(2,3)-axis=0]" in names
    covered = {name.split("[")[0] for name in names}
    assert set(ASSIGNMENT.functions) <= covered, "a student function without its own value test"


@pytest.mark.parametrize(("sample", "expect"), [
    ("correct.py", "all"),
    ("notebook.ipynb", "some"),
    ("wrong_derivatives.py", "some"),
    ("unstable.py", "some"),
    ("partial.py", "some"),
])
def test_the_demo_samples_score_as_documented(sample: str, expect: str) -> None:
    result = run_hidden_on(SAMPLES / sample)
    failed = failing(result)
    if expect == "all":
        assert failed == set()
    else:
        assert failed and failed != result.names(), f"{sample}: should pass some tests and fail some"


def function_of(name: str) -> str:
    """The student function a readable test name is about: ``accepts_int_input[elu-array]`` -> ``elu``."""
    prefix, _, rest = name.partition("[")
    if prefix in ASSIGNMENT.functions:
        return prefix
    token = rest.rstrip("]").split("-")[0]
    if token in ASSIGNMENT.functions:
        return token
    return "softmax_jacobian" if prefix.startswith("softmax_jacobian") else "softmax"


def test_the_partial_sample_loses_only_what_it_lacks() -> None:
    result = run_hidden_on(SAMPLES / "partial.py")
    missing = {"leaky_relu_derivative", "prelu", "prelu_derivative", "prelu_grad_a", "elu",
               "elu_derivative", "softmax", "softmax_jacobian"}
    failed = failing(result)
    assert {function_of(n) for n in failed} == missing
    assert not {function_of(n) for n in result.names() - failed} & missing
