"""The activations hidden suite against the demo samples in ``assignments/activations/samples``.

Each sample is run as an instructor runs it
(``pytest -p autograder.suite.plugin --submission FILE assignments/activations/tests/hidden``,
in-process, through :func:`tests.assignments.harness.run_suite`) and must score as
``SAMPLES.md`` documents. The checks every assignment shares (solution, stub,
known-wrong submissions, points) are in ``test_suites.py``.
"""

from __future__ import annotations

import pytest

from autograder.assignment import get_assignment
from tests.assignments.harness import Recorder, run_suite

pytestmark = pytest.mark.slow

ASSIGNMENT = get_assignment("activations")
SAMPLES = ASSIGNMENT.root / "samples"


@pytest.fixture(scope="module")
def sample_runs() -> dict[str, Recorder]:
    return {}


def sample_run(sample: str, cache: dict[str, Recorder]) -> Recorder:
    if sample not in cache:
        cache[sample] = run_suite(ASSIGNMENT.hidden_tests, SAMPLES / sample)
    return cache[sample]


@pytest.mark.parametrize(("sample", "expect"), [
    ("correct.py", "all"),
    ("notebook.ipynb", "some"),
    ("wrong_derivatives.py", "some"),
    ("unstable.py", "some"),
    ("partial.py", "some"),
])
def test_the_demo_samples_score_as_documented(sample: str, expect: str, sample_runs) -> None:
    result = sample_run(sample, sample_runs)
    if expect == "all":
        assert result.failed == set()
    else:
        assert result.failed and result.failed != result.names, f"{sample}: should pass some tests and fail some"


def function_of(name: str) -> str:
    """The student function a readable test name is about: ``accepts_int_input[elu-array]`` -> ``elu``."""
    prefix, _, rest = name.partition("[")
    if prefix in ASSIGNMENT.functions:
        return prefix
    token = rest.rstrip("]").split("-")[0]
    if token in ASSIGNMENT.functions:
        return token
    return "softmax_jacobian" if prefix.startswith("softmax_jacobian") else "softmax"


def test_the_partial_sample_loses_only_what_it_lacks(sample_runs) -> None:
    result = sample_run("partial.py", sample_runs)
    missing = {"leaky_relu_derivative", "prelu", "prelu_derivative", "prelu_grad_a", "elu",
               "elu_derivative", "softmax", "softmax_jacobian"}
    assert {function_of(n) for n in result.failed} == missing
    assert not {function_of(n) for n in result.names - result.failed} & missing


def test_every_function_has_a_value_test_with_readable_ids(sample_runs) -> None:
    """Readable ids (their uniqueness is checked on every run), and a value test named after each function."""
    names = sample_run("correct.py", sample_runs).names
    assert "sigmoid_derivative[values]" in names and "softmax_axis[shape=(2,3)-axis=0]" in names
    assert "leaky_relu[values-alpha=0.2]" in names
    covered = {name.split("[")[0] for name in names}
    assert set(ASSIGNMENT.functions) <= covered, "a student function without its own value test"
