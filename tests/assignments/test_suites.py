"""Every assignment's hidden and public suites, run against submissions whose scores are known.

Each run is a real ``pytest.main`` in this process with
``-p autograder.suite.plugin --submission FILE``, exactly as an instructor runs
a suite by hand (:mod:`tests.assignments.harness`). The submissions are
generated from ``source.py`` by the release pipeline (``solution_source`` /
``stub_source``); the known-wrong ones are the solution with one deliberate
mistake (:mod:`tests.assignments.mistakes`), so they follow the source.

* the solution passes every hidden and public test;
* the stub (every solution region replaced by ``raise NotImplementedError()``)
  fails every hidden and public test;
* each known-wrong submission fails EXACTLY the tests its mistake affects
  (listed by hand: the suite's partial credit is fair only if a mistake costs
  the tests that check it and nothing else);
* every hidden case names a manifest skill, and the skills' points add up to the total.

Every assignment of the course folder (``autograder.assignment.find_course``: the
clone's ``assignments/``, or ``--course``'s folder given as ``AUTOGRADER_COURSE``)
runs the solution, stub, skill and public checks; the known-wrong submissions
run for the assignments ``mistakes.py`` lists, and each one it lists must exist.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.assignment import Assignment, available_assignments, get_assignment
from autograder.release import solution_source, stub_source
from tests.assignments.harness import Recorder, lost_points, run_suite
from tests.assignments.mistakes import MISTAKES

pytestmark = pytest.mark.slow

ASSIGNMENTS = available_assignments()
KNOWN_WRONG = [(assignment, mistake) for assignment in ASSIGNMENTS for mistake in MISTAKES.get(assignment, {})]


class Runs:
    """Each assignment's hidden suite run once per submission, and the submissions written on demand."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.hidden_runs: dict[tuple[str, str], Recorder] = {}

    def submission(self, assignment: Assignment, name: str) -> Path:
        path = self.folder / assignment.id / name / f"{assignment.module}.py"
        if not path.exists():
            solution = solution_source(assignment)
            if name == "solution":
                text = solution
            elif name == "stub":
                text = stub_source(assignment)
            else:
                text = MISTAKES[assignment.id][name].apply(solution)
            path.parent.mkdir(parents=True)
            path.write_text(text, encoding="utf-8")
        return path

    def hidden(self, assignment_id: str, name: str) -> Recorder:
        if (assignment_id, name) not in self.hidden_runs:
            assignment = get_assignment(assignment_id)
            self.hidden_runs[assignment_id, name] = run_suite(
                assignment.hidden_tests, self.submission(assignment, name))
        return self.hidden_runs[assignment_id, name]

    def public(self, assignment_id: str, name: str) -> Recorder:
        assignment = get_assignment(assignment_id)
        return run_suite(assignment.public_tests, self.submission(assignment, name))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    return Runs(tmp_path_factory.mktemp("submissions"))


def test_every_assignment_with_known_mistakes_is_in_the_course() -> None:
    assert ASSIGNMENTS, "the course folder holds no assignment"
    assert set(MISTAKES) <= set(ASSIGNMENTS), f"mistakes.py lists unknown assignments: " \
                                              f"{sorted(set(MISTAKES) - set(ASSIGNMENTS))}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_passes_every_hidden_test(assignment: str, runs: Runs) -> None:
    run = runs.hidden(assignment, "solution")
    assert run.failed == set()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_hidden_case_names_a_skill_and_they_add_up_to_the_manifest(assignment: str, runs: Runs) -> None:
    run = runs.hidden(assignment, "solution")
    unmarked = sorted(name for name, marks in run.points.items() if marks is None)
    assert not unmarked, f"cases without a skill marker: {unmarked}"
    manifest = get_assignment(assignment)
    assert lost_points(run, run.points, manifest) == pytest.approx(manifest.total_points, abs=1e-9)
    assert lost_points(run, (), manifest) == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_stub_fails_every_hidden_test(assignment: str, runs: Runs) -> None:
    run = runs.hidden(assignment, "stub")
    assert run.failed == run.names, f"the stub passes {sorted(run.names - run.failed)}"


@pytest.mark.parametrize(("assignment", "mistake"), KNOWN_WRONG, ids=[f"{a}-{m}" for a, m in KNOWN_WRONG])
def test_known_wrong_submission_fails_exactly_the_affected_tests(assignment: str, mistake: str, runs: Runs) -> None:
    run = runs.hidden(assignment, mistake)
    expected = MISTAKES[assignment][mistake].fails
    unknown = expected - run.names
    assert not unknown, f"the expected failures name tests that do not exist: {sorted(unknown)}"
    assert run.failed == expected, (
        f"{mistake}: unexpectedly failed {sorted(run.failed - expected)}; "
        f"unexpectedly passed {sorted(expected - run.failed)}")
    manifest = get_assignment(assignment)
    assert 0 < lost_points(run, run.failed, manifest) < manifest.total_points


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
@pytest.mark.parametrize("name", ["solution", "stub"])
def test_public_suite(assignment: str, name: str, runs: Runs) -> None:
    run = runs.public(assignment, name)
    assert run.failed == (set() if name == "solution" else run.names)
