"""The vanishing hidden suite, run against submissions whose scores are known.

Each run is a real ``pytest.main`` in this process with
``-p autograder.suite.plugin --submission FILE``, exactly as an instructor runs
a suite by hand. The submissions are generated from ``source.py`` by the
release pipeline (``solution_source`` / ``stub_source``); the known-wrong ones
are the solution with one deliberate mistake, so they follow the source.

* the solution passes every hidden and public test;
* the stub (every solution region replaced by ``raise NotImplementedError()``)
  fails every hidden and public test;
* each known-wrong submission fails EXACTLY the tests its mistake affects
  (listed by hand below: a mistake must cost the tests that check it and
  nothing else);
* every hidden test carries points, and they add up to the manifest's total.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import pytest

from autograder.assignment import get_assignment
from autograder.release import solution_source, stub_source

pytestmark = pytest.mark.slow

ASSIGNMENT = get_assignment("vanishing")
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu")
DEEP = ("depth=10", "depth=15", "depth=20")

WRONG: dict[str, tuple[str, str, set[str]]] = {
    # sigmoid'(z) = sigmoid(z): every sigmoid gradient, and the sigmoid chain no longer
    # obeys the 1/4 bound. Forward values are untouched.
    "sigmoid_derivative_is_sigmoid": (
        "return e / (1.0 + e) ** 2",
        "return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))",
        {"activate_derivative[sigmoid]"}
        | {f"deep_chain_gradients[sigmoid-depth={d}]" for d in (1, 5, 12)}
        | {f"deep_chain_gradcheck[sigmoid-depth={d}]" for d in (2, 4)}
        | {f"sigmoid_gradient_vanishes[{case}]" for case in DEEP},
    ),
    # g returned last layer first: wrong for every chain deeper than 1 (except the dead relu
    # unit, where every gradient is 0), and the "vanishing" lands on the wrong end. ReLU with
    # positive weights still does not vanish either way.
    "gradients_reversed": (
        "    return grads\n",
        "    return grads[::-1].copy()\n",
        {f"deep_chain_gradients[{act}-depth={d}]" for act in ACTIVATIONS for d in (5, 12)}
        | {f"deep_chain_gradcheck[{act}-depth={d}]" for act in ACTIVATIONS for d in (2, 4)}
        | {"deep_chain_does_not_modify_weights"}
        | {f"sigmoid_gradient_vanishes[{case}]" for case in DEEP},
    ),
    # |w_1| included in the product: only vanishing_bound itself (the property tests use the
    # reference's bound, so they are not charged for it).
    "bound_includes_w1": (
        "np.prod(np.abs(weights[1:]))",
        "np.prod(np.abs(weights))",
        {f"vanishing_bound[depth={d}]" for d in (1, 5, 12, 20)},
    ),
}


class _Recorder:
    """A pytest plugin recording every item's points and whether it passed."""

    def __init__(self) -> None:
        self.points: dict[str, tuple[str, float | None]] = {}
        self.failed: set[str] = set()
        self.ran: set[str] = set()
        self.collect_errors: list[str] = []

    @staticmethod
    def _name(nodeid: str) -> str:
        return nodeid.split("::")[-1].removeprefix("test_")

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collect_errors.append(str(report.longreprtext)[-2000:])

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            marker = item.get_closest_marker("points")
            points = float(marker.args[0]) if marker is not None and marker.args else None
            function = getattr(item, "originalname", item.name)
            self.points[self._name(item.nodeid)] = (function, points)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        name = self._name(report.nodeid)
        if report.failed:
            self.failed.add(name)
        if report.when == "call" or report.failed:
            self.ran.add(name)


def _purge_modules_under(root: Path) -> None:
    """Forget the suite's modules, so the next run imports them afresh (as the grader does)."""
    prefix = str(root.resolve())
    for name, module in list(sys.modules.items()):
        if (getattr(module, "__file__", None) or "").startswith(prefix):
            del sys.modules[name]


def run_suite(suite: Path, submission: Path) -> _Recorder:
    recorder = _Recorder()
    args = ["-p", "autograder.suite.plugin", "--submission", str(submission),
            "-p", "no:cacheprovider", "-p", "no:randomly", "--import-mode=importlib",
            "-o", "addopts=", "--rootdir", str(suite), "-q", "--no-header", str(suite)]
    try:
        code = pytest.main(args, plugins=[recorder])
    finally:
        _purge_modules_under(suite)
    assert not recorder.collect_errors, "\n".join(recorder.collect_errors)
    assert code in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED), f"pytest exited with {code!r}"
    assert recorder.points, f"{suite} collected no tests"
    assert recorder.ran == set(recorder.points), "some tests did not run"
    return recorder


def _mistake(source: str, old: str, new: str) -> str:
    assert source.count(old) == 1, f"the solution no longer contains {old!r} exactly once"
    return source.replace(old, new)


@pytest.fixture(scope="module")
def submissions(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("vanishing_submissions")
    solution = solution_source(ASSIGNMENT)
    sources = {"solution": solution, "stub": stub_source(ASSIGNMENT)}
    sources.update({name: _mistake(solution, old, new) for name, (old, new, _) in WRONG.items()})
    paths = {}
    for name, text in sources.items():
        paths[name] = folder / name / f"{ASSIGNMENT.module}.py"
        paths[name].parent.mkdir()
        paths[name].write_text(text, encoding="utf-8")
    return paths


@pytest.fixture(scope="module")
def hidden_runs(submissions: dict[str, Path]) -> dict[str, _Recorder]:
    return {}


def hidden_run(name: str, submissions: dict[str, Path], cache: dict[str, _Recorder]) -> _Recorder:
    if name not in cache:
        cache[name] = run_suite(ASSIGNMENT.hidden_tests, submissions[name])
    return cache[name]


def _lost_points(recorder: _Recorder, names: Iterable[str]) -> float:
    cases: dict[str, int] = {}
    for function, _ in recorder.points.values():
        cases[function] = cases.get(function, 0) + 1
    total = 0.0
    for name in names:
        function, points = recorder.points[name]
        total += (points or 0.0) / cases[function]
    return total


def test_solution_passes_every_hidden_test(submissions, hidden_runs):
    run = hidden_run("solution", submissions, hidden_runs)
    assert run.failed == set()


def test_every_hidden_test_has_points_adding_up_to_the_manifest(submissions, hidden_runs):
    run = hidden_run("solution", submissions, hidden_runs)
    unpointed = sorted(name for name, (_, points) in run.points.items() if points is None)
    assert not unpointed, f"tests without a points marker: {unpointed}"
    assert _lost_points(run, run.points) == pytest.approx(ASSIGNMENT.total_points, abs=1e-9)


def test_stub_fails_every_hidden_test(submissions, hidden_runs):
    run = hidden_run("stub", submissions, hidden_runs)
    assert run.failed == set(run.points), f"the stub passes {sorted(set(run.points) - run.failed)}"


@pytest.mark.parametrize("mistake", WRONG)
def test_known_wrong_submission_fails_exactly_the_affected_tests(mistake, submissions, hidden_runs):
    run = hidden_run(mistake, submissions, hidden_runs)
    expected = WRONG[mistake][2]
    unknown = expected - set(run.points)
    assert not unknown, f"the expected failures name tests that do not exist: {sorted(unknown)}"
    assert run.failed == expected, (
        f"{mistake}: unexpectedly failed {sorted(run.failed - expected)}; "
        f"unexpectedly passed {sorted(expected - run.failed)}")
    assert 0 < _lost_points(run, run.failed) < ASSIGNMENT.total_points


@pytest.mark.parametrize("name", ["solution", "stub"])
def test_public_suite(name, submissions):
    run = run_suite(ASSIGNMENT.public_tests, submissions[name])
    assert run.failed == (set() if name == "solution" else set(run.points))
