"""``run_suite``: a pytest suite run in this process against one sandboxed submission.

Each test writes a tiny suite to a temporary folder; the ``student`` they talk
to is one real ``SandboxSession`` (``grading_session`` in conftest).
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pytest

from autograder.grading.outcomes import SuiteRun
from autograder.grading.run import GRADER_FAILURE, run_suite
from autograder.grading.student import GradingSession
from tests.grading.builders import write_suite


def no_student() -> nullcontext[object]:
    """The factory for suites that never call the student."""
    return nullcontext(object())


def by_name(run: SuiteRun) -> dict[str, object]:
    return {o.name: o for o in run.outcomes}


def test_cases_carry_their_skill_weight_and_role(tmp_path: Path, grading_session: GradingSession) -> None:
    suite = write_suite(tmp_path / "suite", test_double='''
        import pytest

        @pytest.mark.skill("double")
        @pytest.mark.parametrize("x", [1.0, 2.0], ids=lambda x: f"x={x:g}")
        def test_double(student, x):
            assert student.double(x) == 2 * x

        @pytest.mark.skill("double", weight=0.5)
        @pytest.mark.contract
        def test_double_zero(student):
            assert abs(student.double(0.0)) < 1e-12

        @pytest.mark.parametrize("name", [pytest.param("a", marks=pytest.mark.skill("other"))])
        def test_skill_on_a_parameter(name):
            pass
    ''')
    run = run_suite(suite, grading_session.factory)
    assert run.ok and run.errors == ()
    assert [(o.name, o.group, o.weight, o.contract) for o in run.outcomes] == [
        ("double[x=1]", "double", 1.0, False), ("double[x=2]", "double", 1.0, False),
        ("double_zero", "double", 0.5, True), ("skill_on_a_parameter[a]", "other", 1.0, False)]
    assert all(o.passed for o in run.outcomes)
    assert all(o.max_score == 0.0 for o in run.outcomes)  # priced later, by the credit model


def test_module_level_skill_marker_counts(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "suite", test_m='''
        import pytest
        pytestmark = pytest.mark.skill("s", weight=4)

        @pytest.mark.parametrize("x", [1, 2])
        def test_a(x):
            pass
    ''')
    run = run_suite(suite, no_student)
    assert run.ok
    assert [(o.group, o.weight) for o in run.outcomes] == [("s", 4.0), ("s", 4.0)]


def test_a_test_without_a_skill_makes_the_run_an_error(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "suite", test_np='''
        import pytest

        @pytest.mark.skill("s")
        def test_with_skill():
            pass

        def test_forgotten():
            pass
    ''')
    run = run_suite(suite, no_student)
    assert not run.ok
    assert run.errors == ("forgotten has no valid skill marker (exactly one skill(name, weight=w > 0))",)


@pytest.mark.parametrize("files", [{}, {"helpers": "X = 1\n"}, {"test_empty": "import pytest\n"}],
                         ids=["empty-folder", "no-test-files", "no-tests-in-file"])
def test_an_empty_suite_is_an_error(tmp_path: Path, files: dict[str, str]) -> None:
    suite = write_suite(tmp_path / "suite", **files)
    run = run_suite(suite, no_student)
    assert not run.ok and run.outcomes == ()
    assert run.errors == (f"the suite in {suite} collected no tests",)


def test_a_missing_suite_folder_is_an_error(tmp_path: Path) -> None:
    run = run_suite(tmp_path / "nowhere", no_student)
    assert not run.ok and "does not exist" in run.errors[0]


def test_a_suite_that_cannot_be_collected_is_an_error(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "suite", test_ok='''
        import pytest

        @pytest.mark.skill("s", weight=1)
        def test_ok():
            pass
    ''', test_broken="import not_a_module_anywhere\n")
    run = run_suite(suite, no_student)
    assert not run.ok
    assert any("could not collect" in e and "test_broken.py" in e for e in run.errors)


def test_module_level_state_is_fresh_on_every_run(tmp_path: Path, grading_session: GradingSession) -> None:
    suite = write_suite(tmp_path / "suite", test_state='''
        import numpy as np
        import pytest

        RNG = np.random.default_rng(0)
        CALLS = []

        @pytest.mark.skill("s", weight=1)
        def test_imported_once():
            CALLS.append(1)
            assert len(CALLS) == 1, f"module reused: {len(CALLS)} calls"

        @pytest.mark.skill("s", weight=1)
        def test_draw(student):
            draw = RNG.uniform()
            assert student.double(draw) == 3 * draw, f"draw {draw!r}"
    ''')
    first = run_suite(suite, grading_session.factory)
    second = run_suite(suite, grading_session.factory)
    assert [(o.name, o.passed, o.message, o.kind) for o in first.outcomes] == \
           [(o.name, o.passed, o.message, o.kind) for o in second.outcomes]
    assert by_name(second)["imported_once"].passed  # type: ignore[attr-defined]
    assert by_name(second)["draw"].message.startswith("draw 0.63")  # type: ignore[attr-defined]


def test_failure_kinds_tell_student_errors_from_wrong_answers_and_grader_bugs(
        tmp_path: Path, grading_session: GradingSession) -> None:
    suite = write_suite(tmp_path / "suite", test_kinds='''
        import numpy as np
        import pytest

        from autograder.suite import assert_close, derive
        from reference.activations import get_activation

        @pytest.mark.skill("s", weight=1)
        def test_raises(student):
            student.boom(3)

        @pytest.mark.skill("s", weight=1)
        def test_missing_function(student):
            student.softmax(np.zeros(3))

        @pytest.mark.skill("s", weight=1)
        def test_wrong_answer(student):
            x = np.array([1.0])
            assert_close(student.double(x), derive(get_activation("relu").__call__, x),
                         call="double(x=1)", hint="relu, not double")

        @pytest.mark.skill("s", weight=1)
        def test_grader_bug(student):
            {}["missing"]

        @pytest.fixture
        def broken_fixture():
            raise RuntimeError("fixture is broken")

        @pytest.mark.skill("s", weight=1)
        def test_fixture_bug(student, broken_fixture):
            pass

        @pytest.mark.skill("s", weight=1)
        def test_skipped(student):
            pytest.skip("not today")
    ''')
    run = run_suite(suite, grading_session.factory)
    outcomes = by_name(run)
    assert not any(o.passed for o in run.outcomes)
    kinds = {name: o.kind for name, o in outcomes.items()}  # type: ignore[attr-defined]
    assert kinds == {"raises": "student", "missing_function": "student", "wrong_answer": "assertion",
                     "grader_bug": "grader", "fixture_bug": "grader", "skipped": "grader"}
    messages = {name: o.message for name, o in outcomes.items()}  # type: ignore[attr-defined]
    assert messages["raises"].splitlines() == [  # the student's own file and line, none of the kit's frames
        "ValueError: kaboom at 3", "raised at:", '  File "alice.py", line 17, in boom',
        '    raise ValueError(f"kaboom at {x}")']
    assert "softmax" in messages["missing_function"]
    assert messages["wrong_answer"] == ("double(x=1): got [2.], should be [1.]\nfirst wrong at index 0: "
                                        "got 2, should be 1\nHint: relu, not double")
    grader_kinds = ("grader_bug", "fixture_bug", "skipped")
    assert {messages[name] for name in grader_kinds} == {GRADER_FAILURE}  # nothing of the suite leaks
    details = {name: o.detail for name, o in outcomes.items()}  # type: ignore[attr-defined]
    assert "KeyError: 'missing'" in details["grader_bug"]  # ... but the instructor sees why
    assert "fixture is broken" in details["fixture_bug"]
    assert details["skipped"] == "the test was skipped"
    assert run.ok  # failures are outcomes, not errors of the run


def test_keyword_selects_tests(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "suite", test_k='''
        import pytest

        @pytest.mark.skill("s", weight=2)
        @pytest.mark.parametrize("x", [1, 2])
        def test_alpha(x):
            pass

        @pytest.mark.skill("s", weight=5)
        def test_beta():
            pass
    ''')
    run = run_suite(suite, no_student, keyword="alpha")
    assert [o.name for o in run.outcomes] == ["alpha[1]", "alpha[2]"]


def test_the_suite_output_does_not_reach_the_caller(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    suite = write_suite(tmp_path / "suite", test_loud='''
        import pytest

        @pytest.mark.skill("s", weight=1)
        def test_loud():
            print("LOUD OUTPUT")
            assert False
    ''')
    run_suite(suite, no_student)
    captured = capsys.readouterr()
    assert "LOUD OUTPUT" not in captured.out + captured.err


def test_same_method_name_in_two_classes_keeps_each_test(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "suite", test_cls='''
        import pytest

        class TestSigmoid:
            @pytest.mark.skill("s", weight=2)
            def test_values(self):
                pass

        class TestTanh:
            @pytest.mark.skill("s", weight=2)
            def test_values(self):
                pass
    ''')
    run = run_suite(suite, no_student)
    assert run.ok and [o.name for o in run.outcomes] == ["values", "values"]


def test_a_malformed_skill_marker_is_a_run_error(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "suite", test_bad='''
        import pytest

        @pytest.mark.skill("s", weight="two")
        def test_bad():
            pass
    ''')
    run = run_suite(suite, no_student)
    assert not run.ok and "skill marker" in " ".join(run.errors)


def test_a_failing_value_check_over_a_range_keeps_its_curve(tmp_path: Path, grading_session: GradingSession) -> None:
    # the session's double(x) = 2x against the reference relu: right for x <= 0 only where 2x = x = 0
    suite = write_suite(tmp_path / "suite", test_curve='''
        import numpy as np
        import pytest

        from autograder.suite import assert_close, derive
        from reference.activations import get_activation

        X = np.linspace(-2.0, 2.0, 9)

        @pytest.mark.skill("double")
        def test_range(student):
            assert_close(student.double(X.copy()), derive(get_activation("relu").__call__, X),
                         call="double(x=<9 points>)", inputs=X)

        @pytest.mark.skill("double")
        def test_one_point(student):
            x = np.array([3.0])
            assert_close(student.double(x), derive(get_activation("relu").__call__, x), call="double(x=3)",
                         inputs=x)

        @pytest.mark.skill("double")
        def test_raises(student):
            student.boom(1.0)
    ''')
    run = run_suite(suite, grading_session.factory)
    cases = {o.name: o for o in run.outcomes}
    curve = cases["range"].curve
    assert curve is not None and not cases["range"].passed
    np.testing.assert_allclose(curve.x, np.linspace(-2.0, 2.0, 9), rtol=0)
    np.testing.assert_allclose(curve.got, 2 * np.linspace(-2.0, 2.0, 9), rtol=0)
    np.testing.assert_allclose(curve.expected, np.maximum(np.linspace(-2.0, 2.0, 9), 0.0), rtol=0)
    assert curve.wrong == (True,) * 4 + (False,) + (True,) * 4
    assert curve.function == "double(x)"
    assert cases["one_point"].curve is None and cases["raises"].curve is None


@pytest.mark.parametrize("answer", [True, False])
def test_ready_is_asked_once_the_suite_is_collected_and_decides_whether_it_runs(tmp_path: Path,
                                                                             answer: bool) -> None:
    imported = tmp_path / "imported"
    suite = write_suite(tmp_path / "suite", test_r='''
        from pathlib import Path

        import pytest

        Path(IMPORTED).touch()

        @pytest.mark.skill("s")
        @pytest.mark.parametrize("x", [1, 2])
        def test_r(student, x):
            pass
    '''.replace("IMPORTED", repr(str(imported))))
    asked: list[bool] = []
    factories: list[bool] = []

    def ready() -> bool:
        asked.append(imported.exists())
        return answer

    def factory() -> nullcontext[object]:
        factories.append(True)
        return nullcontext(object())

    run = run_suite(suite, factory, ready=ready)
    assert asked == [True]  # once, after the suite's module was imported
    assert [o.name for o in run.outcomes] == ["r[1]", "r[2]"]
    assert [o.passed for o in run.outcomes] == [answer, answer]
    assert factories == ([True] if answer else [])
    if not answer:
        assert {o.detail for o in run.outcomes} == {"the test did not run"}


def test_ready_is_not_asked_without_a_suite(tmp_path: Path) -> None:
    asked: list[bool] = []
    run = run_suite(tmp_path / "nope", no_student, ready=lambda: asked.append(True) or True)
    assert asked == [] and "does not exist" in run.errors[0]
