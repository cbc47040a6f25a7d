"""Question sheets: one reproducible variant per student, keys that follow the reference, grading
with feedback, fail-closed answers files, and the ``release``/``questions grade`` commands."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sympy as sp
from click.testing import CliRunner

from autograder.assignment import Assignment
from autograder.cli import main
from autograder.questions import concept_bank
from autograder.questions.answers import MAX_ANSWERS_BYTES, AnswersError, key_answers, parse_answers
from autograder.questions.api import (
    COPY_SHARE_LIMIT,
    copied_variant,
    grade_answers,
    load_config,
    student_sheet,
    validate_questions,
    worked_numbers,
)
from autograder.questions.model import Question
from autograder.questions.variant import Variant
from reference.concepts import activation_facts, derive_facts
from reference.worked_numbers import two_path_gradient

SECRET = b"course secret for the tests"


def sheet(assignment: Assignment, student: str, secret: bytes = SECRET) -> tuple[Question, ...]:
    return student_sheet(assignment, load_config(assignment), student, secret)


def by_id(questions: tuple[Question, ...]) -> dict[str, Question]:
    return {q.id: q for q in questions}


def score(questions: tuple[Question, ...], answers: str | dict[str, object]) -> float:
    marks, _ = grade_answers(questions, answers.encode() if isinstance(answers, str) else answers)
    return sum(m.score for m in marks)


def test_the_same_student_always_gets_the_same_sheet_and_two_students_different_numbers(
        vanishing: Assignment) -> None:
    from autograder.questions.sheet import render_sheet

    alice, again, bob = sheet(vanishing, "alice"), sheet(vanishing, "alice"), sheet(vanishing, "bob")
    assert render_sheet("t", "s", alice) == render_sheet("t", "s", again)
    assert key_answers(alice) == key_answers(again)
    assert by_id(alice)["path_1"].prompt != by_id(bob)["path_1"].prompt
    assert by_id(alice)["path_1"].key != by_id(bob)["path_1"].key


def test_the_secret_changes_every_variant(vanishing: Assignment) -> None:
    assert by_id(sheet(vanishing, "alice"))["path_sum"].key != by_id(sheet(vanishing, "alice", b"x"))["path_sum"].key


def test_each_worked_key_is_the_references_value_at_that_variants_numbers(vanishing: Assignment) -> None:
    from autograder.questions.worked_bank import network_numbers

    numbers = network_numbers(Variant(vanishing.id, "alice", SECRET))
    again = two_path_gradient(dict(numbers.values), sp.Rational(numbers.lr))
    questions = by_id(sheet(vanishing, "alice"))
    assert questions["path_sum"].key == float(again.gradient)
    assert questions["w1_updated"].key == float(again.updated)


def test_validate_finds_the_key_consistent(vanishing: Assignment) -> None:
    check = validate_questions(vanishing, samples=6)
    assert check.problems == [] and check.variants == 6
    assert check.copy_share_max <= COPY_SHARE_LIMIT


def test_key_scores_full_points_and_blank_none(vanishing: Assignment) -> None:
    questions = sheet(vanishing, "alice")
    assert score(questions, key_answers(questions)) == pytest.approx(sum(q.points for q in questions))
    assert score(questions, "") == 0


def test_another_students_numbers_score_at_most_five_percent_and_are_flagged(vanishing: Assignment) -> None:
    alice, bob = sheet(vanishing, "alice"), sheet(vanishing, "bob")
    copied = parse_answers(key_answers(bob).encode())
    numeric = worked_numbers(alice)
    assert score(numeric, copied) <= COPY_SHARE_LIMIT * sum(q.points for q in numeric)
    assert copied_variant(copied, "alice", {"alice": alice, "bob": bob}) == "bob"
    assert copied_variant(parse_answers(key_answers(alice).encode()), "alice", {"alice": alice, "bob": bob}) is None


def test_one_wrong_path_costs_once(vanishing: Assignment) -> None:
    questions = by_id(sheet(vanishing, "alice"))
    answers = parse_answers(key_answers(tuple(questions.values())).encode())
    wrong = float(questions["path_1"].key) * 2 + 1  # type: ignore[arg-type]
    answers.update(path_1=wrong, path_sum=wrong + answers["path_2"])
    marks = {m.id: m for m in grade_answers(tuple(questions.values()), answers)[0]}
    assert marks["path_1"].score == 0
    assert marks["path_sum"].score == marks["path_sum"].points
    assert "your path_1 + path_2" in marks["path_sum"].feedback


def test_two_wrong_paths_earn_nothing_for_their_sum(vanishing: Assignment) -> None:
    questions = by_id(sheet(vanishing, "alice"))
    answers = {"path_1": 1.0, "path_2": 2.0, "path_sum": 3.0}
    marks = {m.id: m for m in grade_answers(tuple(questions.values()), answers)[0]}
    assert marks["path_sum"].score == 0


def test_feedback_gives_the_key_and_its_derived_reason(vanishing: Assignment) -> None:
    questions = by_id(sheet(vanishing, "alice"))
    slope = questions["slope_max"]
    marks = {m.id: m for m in grade_answers(tuple(questions.values()), {"slope_max": "a lot"})[0]}
    name = slope.prompt.split("of ")[1].split("'")[0]
    assert f"expected {slope.key_text()} because" in marks["slope_max"].feedback
    assert str(activation_facts(name).slope_max) in marks["slope_max"].feedback
    assert "not a number" in marks["slope_max"].feedback


def test_many_choice_credit_is_right_minus_wrong(vanishing: Assignment) -> None:
    q = by_id(sheet(vanishing, "alice"))["zero_centred"]
    assert isinstance(q.key, tuple)
    wrong = [o for o in q.options if o not in q.key]
    assert score((q,), {"zero_centred": list(q.key)}) == q.points
    assert score((q,), {"zero_centred": list(q.key) + wrong}) < q.points
    assert score((q,), {"zero_centred": wrong}) == 0


@pytest.fixture
def shifted_sigmoid() -> Iterator[None]:
    """The reference's sigmoid replaced by sigmoid - 1/2 for every question."""
    def facts(name: str):  # type: ignore[no-untyped-def]
        if name != "sigmoid":
            return activation_facts(name)
        original = activation_facts("sigmoid")
        return derive_facts("sigmoid", original.expr - sp.Rational(1, 2))

    concept_bank.FACTS[0] = facts
    yield
    concept_bank.FACTS[0] = activation_facts


def _zero_centred_with_sigmoid(assignment: Assignment) -> tuple[Variant, Question]:
    for k in range(50):
        variant = Variant(assignment.id, f"student-{k}", SECRET)
        q = concept_bank.many_question("zero_centred", variant, 1.0)
        if "sigmoid" in q.options:
            return variant, q
    raise AssertionError("no variant lists sigmoid")


def test_keys_follow_a_shifted_sigmoid(vanishing: Assignment, shifted_sigmoid: None) -> None:
    variant, shifted = _zero_centred_with_sigmoid(vanishing)
    concept_bank.FACTS[0] = activation_facts
    original = concept_bank.many_question("zero_centred", variant, 1.0)
    assert "sigmoid" not in original.key and "sigmoid" in shifted.key


def test_answers_file_too_large_or_not_toml_is_refused() -> None:
    with pytest.raises(AnswersError, match="larger"):
        parse_answers(b"a = 1\n" * (MAX_ANSWERS_BYTES // 6 + 1))
    with pytest.raises(AnswersError, match="TOML"):
        parse_answers(b"[[[")
    with pytest.raises(AnswersError, match="UTF-8"):
        parse_answers(b"a = \"\xff\"")


def run(*args: str, env: dict[str, str] | None = None) -> object:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=True)


def test_questions_grade_writes_feedback_per_student(vanishing: Assignment, tmp_path: Path) -> None:
    secret = "cli secret"
    (tmp_path / "alice").mkdir()
    alice = sheet(vanishing, "alice", secret.encode())
    (tmp_path / "alice" / "answers.toml").write_text(key_answers(alice), encoding="utf-8")
    (tmp_path / "bob.toml").write_text("= broken", encoding="utf-8")
    result = run("questions", "grade", "--assignment", "vanishing", "--out", str(tmp_path / "out"),
                 str(tmp_path / "alice"), str(tmp_path / "bob.toml"), env={"AUTOGRADER_VARIANT_SECRET": secret})
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    graded = json.loads((tmp_path / "out" / "alice" / "questions.json").read_text(encoding="utf-8"))
    assert graded["score"] == pytest.approx(graded["max_score"])
    bob = json.loads((tmp_path / "out" / "bob" / "questions.json").read_text(encoding="utf-8"))
    assert bob["score"] == 0 and "TOML" in bob["problem"]
    assert "expected" in (tmp_path / "out" / "bob" / "questions.md").read_text(encoding="utf-8")


def test_release_without_the_secret_is_one_error_line_and_writes_nothing(tmp_path: Path) -> None:
    result = run("release", "--assignment", "vanishing", "--out", str(tmp_path / "rel"), "--student", "alice",
                 env={"AUTOGRADER_VARIANT_SECRET": ""})
    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert "AUTOGRADER_VARIANT_SECRET" in result.output  # type: ignore[attr-defined]
    assert not (tmp_path / "rel").exists()
