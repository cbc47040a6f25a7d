"""``grade_submission``: one submission in, a ``GradeResult`` out, never an exception."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import nbformat
import pytest

from autograder.assignment import Assignment
from autograder.grading.grade import GRADER_ERROR, grade_loaded, grade_submission
from autograder.grading.student import sandbox_session
from autograder.sandbox import sandbox_kind
from autograder.submission import Submission
from tests.grading.builders import (
    GOOD,
    TINY_POINTS,
    WRONG_RELU,
    submission_file,
    tiny_assignment,
    write_suite,
)


def test_a_correct_submission_scores_every_point(tmp_path: Path, assignment: Assignment) -> None:
    result = grade_submission(assignment, submission_file(tmp_path, "alice.py", GOOD))
    assert (result.error, result.error_kind) == ("", "")
    assert result.graded
    assert result.student_id == "alice" and result.assignment_id == "activations"
    assert result.score == pytest.approx(TINY_POINTS) and result.max_score == pytest.approx(TINY_POINTS)
    assert [t.name for t in result.tests] == ["sigmoid[x=-2]", "sigmoid[x=3]", "relu"]
    assert result.sandbox == str(sandbox_kind())
    assert result.execution_time > 0


def test_a_wrong_function_loses_only_its_points(tmp_path: Path, assignment: Assignment) -> None:
    result = grade_submission(assignment, submission_file(tmp_path, "bob.py", WRONG_RELU))
    assert result.score == pytest.approx(2.0)
    failed = [t for t in result.tests if not t.passed]
    assert [t.name for t in failed] == ["relu"]
    assert failed[0].message.startswith("relu(x=[-1, 2]): got [-1.,  2.], should be [0., 2.]")


def test_student_output_is_kept_with_the_result(tmp_path: Path, assignment: Assignment) -> None:
    result = grade_submission(assignment, submission_file(tmp_path, "carol.py", 'print("debugging!")\n' + GOOD))
    assert "debugging!" in result.student_output
    assert result.score == pytest.approx(TINY_POINTS)


def test_notebook_warnings_reach_the_result(tmp_path: Path, assignment: Assignment) -> None:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("%matplotlib inline\n" + GOOD)])
    path = tmp_path / "dave.ipynb"
    nbformat.write(notebook, str(path))
    result = grade_submission(assignment, path)
    assert result.score == pytest.approx(TINY_POINTS)
    assert len(result.warnings) == 1 and "%matplotlib inline" in result.warnings[0]


@pytest.mark.parametrize(("name", "text", "reason"), [
    ("syntax.py", "def sigmoid(x:\n    return x\n", "SyntaxError: '(' was never closed (syntax.py, line 1)"),
    ("dies.py", "import os\nos._exit(3)\n" + GOOD, "WorkerDied: the worker exited with status 3 while "
     "running line 2 (`os._exit(3)`)"),
], ids=["syntax-error", "worker-dies-at-import"])
def test_a_submission_that_cannot_load_scores_zero_with_the_reason(
        tmp_path: Path, assignment: Assignment, name: str, text: str, reason: str) -> None:
    result = grade_submission(assignment, submission_file(tmp_path, name, text))
    assert result.score == pytest.approx(0.0) and result.tests == ()
    assert result.error_kind == "submission" and result.graded
    assert result.error.startswith("the submission could not be loaded: ")
    assert reason in result.error
    assert result.max_score == pytest.approx(TINY_POINTS)


def test_a_statement_that_raises_at_import_costs_only_itself(tmp_path: Path, assignment: Assignment) -> None:
    text = "import sys\nraise RuntimeError('no GPU found')\n" + GOOD + "\nsys.exit(3)\nsigmoid(undefined)\n"
    result = grade_submission(assignment, submission_file(tmp_path, "crash.py", text))
    assert result.score == pytest.approx(TINY_POINTS) and not result.error
    last = len(text.splitlines())
    assert result.warnings == (
        "line 2: `raise RuntimeError('no GPU found')` raised RuntimeError: no GPU found; "
        "the rest of the file still ran",
        f"line {last - 1}: `sys.exit(3)` raised SystemExit: 3; the rest of the file still ran",
        f"line {last}: `sigmoid(undefined)` raised NameError: name 'undefined' is not defined; "
        "the rest of the file still ran")


def test_a_submission_defining_none_of_the_functions_says_so(tmp_path: Path, assignment: Assignment) -> None:
    result = grade_submission(assignment, submission_file(tmp_path, "notes.py", "x = 1\nraise SystemExit\n"))
    assert result.score == 0 and result.error_kind == "submission" and result.tests == ()
    assert result.error.startswith("notes.py defines none of the functions activations grades (sigmoid, ")
    assert result.warnings == ("line 2: `raise SystemExit` raised SystemExit; the rest of the file still ran",)


def test_a_missing_file_scores_zero_without_a_sandbox(tmp_path: Path, assignment: Assignment) -> None:
    result = grade_submission(assignment, tmp_path / "ghost.py")
    assert (result.student_id, result.error_kind, result.sandbox) == ("ghost", "submission", "none")
    assert result.score == pytest.approx(0.0)
    assert "does not exist" in result.error


def test_an_unreadable_file_scores_zero_with_the_reason(tmp_path: Path, assignment: Assignment) -> None:
    path = tmp_path / "erin.py"
    path.write_bytes(b"x = '\xff'\n")
    result = grade_submission(assignment, path)
    assert result.score == pytest.approx(0.0) and result.error_kind == "submission"
    assert "not UTF-8 text (bad byte at offset 5)" in result.error


def test_a_broken_suite_fails_closed_as_a_grader_error(tmp_path: Path, assignment: Assignment) -> None:
    suite = write_suite(tmp_path / "suite", test_s='''
        import pytest

        @pytest.mark.skill("sigmoid")
        def test_scored(student):
            pass

        def test_unscored(student):
            pass
    ''')
    result = grade_submission(assignment, submission_file(tmp_path, "frank.py", GOOD), suite=suite)
    assert result.error_kind == "grader" and not result.graded
    assert result.error == GRADER_ERROR  # the student is told it is not their fault ...
    assert "unscored has no valid skill marker" in result.detail  # ... the instructor sees why
    assert result.score == pytest.approx(0.0)  # even though a test passed


def test_a_missing_suite_is_a_grader_error_not_an_exception(tmp_path: Path, assignment: Assignment) -> None:
    result = grade_submission(assignment, submission_file(tmp_path, "gina.py", GOOD), suite=tmp_path / "nope")
    assert result.error_kind == "grader" and result.score == pytest.approx(0.0)
    assert result.error == GRADER_ERROR and "does not exist" in result.detail


def test_grade_loaded_against_another_suite_totals_the_skills_it_checks(assignment: Assignment) -> None:
    result = grade_loaded(assignment, Submission("hugo", GOOD, Path("hugo.py")), suite=assignment.public_tests)
    assert result.max_score == pytest.approx(2.0) and result.score == pytest.approx(2.0)  # sigmoid only


@pytest.mark.parametrize("text", [
    GOOD, WRONG_RELU, "def sigmoid(x:\n", "x = 1\nraise SystemExit\n",
    "import sys\nraise RuntimeError('no GPU found')\n" + GOOD,
], ids=["good", "wrong-relu", "syntax-error", "defines-none", "raises-at-import"])
def test_a_sandbox_spawned_beforehand_grades_as_one_started_after(assignment: Assignment, text: str) -> None:
    submission = Submission("judy", text, Path("judy.py"))
    sandbox = sandbox_session(submission, assignment.limits)
    sandbox.spawn()  # pytest configures itself and collects while this worker loads
    early = grade_loaded(assignment, submission, sandbox=sandbox)
    after = grade_loaded(assignment, submission)
    assert dataclasses.replace(early, execution_time=0.0) == dataclasses.replace(after, execution_time=0.0)
    assert sandbox.leftover_pids() == []


def test_a_case_naming_an_unknown_skill_fails_closed(tmp_path: Path, assignment: Assignment) -> None:
    suite = write_suite(tmp_path / "suite", test_s='''
        import pytest

        @pytest.mark.skill("sigmoid_typo")
        def test_scored(student):
            pass
    ''')
    result = grade_submission(assignment, submission_file(tmp_path, "ivan.py", GOOD), suite=suite)
    assert result.error_kind == "grader" and result.score == pytest.approx(0.0)
    assert "sigmoid_typo" in result.detail


@pytest.mark.slow
def test_grading_stops_at_the_submission_timeout(tmp_path: Path, assignment: Assignment) -> None:
    limited = dataclasses.replace(assignment, limits=dataclasses.replace(assignment.limits, submission_timeout_s=1.0))
    suite = write_suite(tmp_path / "suite", test_slow='''
        import pytest

        @pytest.mark.skill("sigmoid")
        @pytest.mark.parametrize("case", range(6))
        def test_slow(student, case):
            student.slow()
    ''')
    slow = submission_file(tmp_path, "sloth.py", "import time\n\ndef slow():\n    time.sleep(0.7)\n")
    result = grade_submission(limited, slow, suite=suite)
    assert result.execution_time < 2.5
    assert "time budget exhausted" in result.tests[-1].message  # the checks it did not reach fail, saying why


@pytest.mark.slow
def test_a_slow_submission_gets_a_budget_relative_to_the_solution(tmp_path: Path, assignment: Assignment) -> None:
    """Tried as an attacker would: 0.9 s in every call, under the call limit, cannot hold a slot for long."""
    from autograder.grading.budget import BUDGET_FLOOR_S, record_solution_seconds

    record_solution_seconds(assignment, 0.1)  # the floor applies: 30 s, not the manifest's 300 s
    suite = write_suite(tmp_path / "suite", test_slow='''
        import pytest

        @pytest.mark.skill("sigmoid")
        @pytest.mark.parametrize("case", range(60))
        def test_slow(student, case):
            student.slow()
    ''')
    slow = submission_file(tmp_path, "sloth.py", "import time\n\ndef slow():\n    time.sleep(0.9)\n")
    result = grade_submission(assignment, slow, suite=suite)
    assert result.execution_time < BUDGET_FLOOR_S + 5
    assert "time budget exhausted" in result.tests[-1].message


TANH_SUITE = '''\
"""tanh: its values, and its float64 contract (the contract share of its 4 points)."""

import numpy as np
import pytest

from autograder.suite import assert_close, assert_float_array_like, derive
from reference.activations import get_activation

TANH = get_activation("tanh")
X = np.array([-2.0, 0.0, 0.5, 3.0])


@pytest.mark.skill("tanh")
def test_tanh(student):
    assert_close(student.tanh(X.copy()), derive(TANH.__call__, X), call="tanh(x)")


@pytest.mark.skill("tanh")
@pytest.mark.contract
def test_tanh_returns_float_array(student):
    assert_float_array_like(student.tanh(X.copy()), call="tanh(x)", shape=X.shape)
'''

TANH_FORMS = {
    "numpy alias": "import numpy as np\ntanh = np.tanh\n",
    "from numpy import": "from numpy import tanh\n",
    "scipy-style alias": "import numpy as np\n\nclass special:\n    expit = np.tanh\n\ntanh = special.expit\n",
    "partial": "import functools\nimport numpy as np\ntanh = functools.partial(np.tanh, dtype=np.float64)\n",
    "lambda": "import numpy as np\ntanh = lambda x: np.tanh(np.asarray(x, dtype=np.float64))\n",
    "callable object": "import numpy as np\n\nclass Tanh:\n    def __call__(self, x):\n"
                       "        return np.tanh(np.asarray(x, dtype=np.float64))\n\ntanh = Tanh()\n",
    "np.vectorize": "import math\nimport numpy as np\ntanh = np.vectorize(math.tanh, otypes=[np.float64])\n",
    "np.frompyfunc": "import math\nimport numpy as np\ntanh = np.frompyfunc(math.tanh, 1, 1)\n",
}


@pytest.fixture(scope="module")
def tanh_assignment(tmp_path_factory: pytest.TempPathFactory) -> Assignment:
    return tiny_assignment(tmp_path_factory.mktemp("tanh"), hidden={"test_tanh": TANH_SUITE}, skills={"tanh": 4.0})


@pytest.mark.parametrize("text", TANH_FORMS.values(), ids=TANH_FORMS.keys())
def test_a_function_bound_in_any_way_earns_full_marks(tmp_path: Path, tanh_assignment: Assignment,
                                                      text: str) -> None:
    """However the name is bound, right values earn the skill, and nothing says the function is missing."""
    result = grade_submission(tanh_assignment, submission_file(tmp_path, "alice.py", text))
    assert (result.error, result.score) == ("", pytest.approx(4.0))
    assert all(t.passed for t in result.tests) and len(result.tests) == 2
    assert not any("does not define" in t.message for t in result.tests)


def test_right_values_in_a_list_lose_only_the_contract_share(tmp_path: Path, tanh_assignment: Assignment) -> None:
    """A list with the right values fails the float64 contract, not the values."""
    text = "import numpy as np\n\ndef tanh(x):\n    return np.tanh(np.asarray(x, dtype=np.float64)).tolist()\n"
    result = grade_submission(tanh_assignment, submission_file(tmp_path, "bob.py", text))
    by_name = {t.name: t for t in result.tests}
    assert by_name["tanh"].passed and not by_name["tanh_returns_float_array"].passed
    share = tanh_assignment.credit.contract_share * 4.0
    assert result.score == pytest.approx(4.0 - share) and share > 0


def test_the_fallback_sandbox_refuses_to_grade_beside_a_course_it_could_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without bubblewrap the worker runs as uid 65534 (as root) or as the grader's own user: a course
    folder that uid can read would hand it the hidden tests, so nothing runs and the reason is named."""
    import os
    import shutil
    import tempfile

    from autograder.sandbox.limits import KIND_ENV

    monkeypatch.setenv(KIND_ENV, "fallback")
    public = Path(tempfile.mkdtemp(prefix="readable-course-", dir="/tmp"))
    try:
        public.chmod(0o755)
        assignment = tiny_assignment(public / "course")
        for path in (public, *public.rglob("*")):
            path.chmod(0o755 if path.is_dir() else 0o644)
        submission = submission_file(tmp_path, "alice.py", GOOD)
        refused = grade_submission(assignment, submission)
        assert (refused.error_kind, refused.score, refused.tests) == ("grader", 0.0, ())
        assert "could read" in refused.detail and "chmod -R go-rwx" in refused.detail
        (public / "course").chmod(0o700 if os.geteuid() == 0 else 0o000)
        if os.geteuid() == 0:  # sealed: grading goes on (when the fallback can start at all)
            graded = grade_submission(assignment, submission)
            assert "could read" not in graded.detail
            assert graded.graded or "cannot read" in graded.detail, graded.detail
    finally:
        (public / "course").chmod(0o700)
        shutil.rmtree(public, ignore_errors=True)
