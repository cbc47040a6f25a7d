"""``grade_batch``: many submissions in, per-student files and a gradebook out.

Most tests grade against the tiny three-point copy of ``activations`` (conftest
``assignment``) so a submission costs about a second; the jobs=1 / jobs=2
comparison uses the bundled ``vanishing`` assignment, whose real hidden suite
is the quickest of the three.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import stat
from pathlib import Path

import pytest

from autograder.assignment import Assignment, get_assignment
from autograder.grading.batch import BatchError, grade_batch, write_atomically
from autograder.grading.results import GradeResult, from_gradescope, results_json
from autograder.release import solution_source
from tests.grading.builders import (
    GOOD,
    TINY_POINTS,
    WRONG_RELU,
    outcome,
    result,
    submission_file,
)


def read_results(out: Path, student: str) -> dict:  # type: ignore[type-arg]
    return json.loads((out / student / "results.json").read_text(encoding="utf-8"))


def leftovers(out: Path) -> list[Path]:
    """Temporary files of ``write_atomically`` (``.<name>.<random>.tmp``)."""
    return [p for p in out.rglob("*") if p.name.startswith(".") or p.suffix == ".tmp"]


def test_batch_writes_results_feedback_and_gradebook(tmp_path: Path, assignment: Assignment) -> None:
    subs = tmp_path / "subs"
    paths = [submission_file(subs, "bob.py", WRONG_RELU), submission_file(subs, "alice.py", GOOD),
             subs / "ghost.py"]
    out = tmp_path / "out"
    seen: list[str] = []
    report = grade_batch(assignment, paths, out, on_result=lambda r: seen.append(r.student_id))

    assert [r.student_id for r in report.results] == ["alice", "bob", "ghost"]
    assert sorted(seen) == ["alice", "bob", "ghost"] and report.resumed == ()
    assert report.all_graded and report.out_dir == out
    for student in ("alice", "bob", "ghost"):
        assert {p.name for p in (out / student).iterdir()} == {"results.json", "feedback.md", "feedback.html"}
    assert read_results(out, "alice")["score"] == pytest.approx(TINY_POINTS)
    assert read_results(out, "bob")["score"] == pytest.approx(2.0)
    assert read_results(out, "ghost")["extra_data"]["error_kind"] == "submission"
    assert "Every check passed" in (out / "alice" / "feedback.md").read_text(encoding="utf-8")
    assert "### `relu`" in (out / "bob" / "feedback.md").read_text(encoding="utf-8")
    assert "does not exist" in (out / "ghost" / "feedback.md").read_text(encoding="utf-8")
    assert "does not exist" in (out / "ghost" / "feedback.html").read_text(encoding="utf-8")
    assert "<code>relu</code>" in (out / "bob" / "feedback.html").read_text(encoding="utf-8")

    table = list(csv.DictReader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8"))))
    assert [(r["student_id"], r["score"], r["status"]) for r in table] == [
        ("alice", "3", "graded"), ("bob", "2", "graded"), ("ghost", "0", "error")]
    assert [(r["sigmoid"], r["relu"]) for r in table] == [("2", "1"), ("2", "0"), ("0", "0")]
    assert leftovers(out) == []


@pytest.mark.parametrize("names", [("alice.py", "alice.ipynb"), ("alice.py", "other/alice.zip")],
                         ids=["py-and-notebook", "py-and-zip"])
def test_duplicate_student_ids_stop_the_batch_before_anything_is_written(
        tmp_path: Path, assignment: Assignment, names: tuple[str, str]) -> None:
    paths = [submission_file(tmp_path / "subs", name, GOOD) for name in names]
    out = tmp_path / "out"
    with pytest.raises(BatchError) as err:
        grade_batch(assignment, paths, out)
    assert "both student 'alice'" in str(err.value)
    assert not out.exists()


@pytest.mark.parametrize("name", ["grades.py", ".hidden.py"])
def test_a_name_that_cannot_be_a_student_id_is_graded_under_a_derived_one(tmp_path: Path, assignment: Assignment,
                                                                          name: str) -> None:
    path = submission_file(tmp_path / "subs", name, GOOD)
    (result,) = grade_batch(assignment, [path], tmp_path / "out").results
    assert result.student_id.startswith(Path(name).stem.lstrip(".") + "~") and result.graded
    assert (tmp_path / "out" / result.student_id / "results.json").is_file()


def test_resume_keeps_finished_students_and_grades_the_rest(tmp_path: Path, assignment: Assignment) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    alice = submission_file(subs, "alice.py", GOOD)
    grade_batch(assignment, [alice], out)
    before = (out / "alice" / "results.json").stat().st_mtime_ns
    bob = submission_file(subs, "bob.py", WRONG_RELU)
    graded: list[str] = []

    report = grade_batch(assignment, [alice, bob], out, resume=True, on_result=lambda r: graded.append(r.student_id))
    assert report.resumed == ("alice",) and graded == ["bob"] and report.changed == ()
    assert (out / "alice" / "results.json").stat().st_mtime_ns == before
    assert {r.student_id: r.score for r in report.results} == {"alice": pytest.approx(3.0),
                                                               "bob": pytest.approx(2.0)}
    gradebook = (out / "grades.csv").read_text(encoding="utf-8")
    assert "alice,3,3,graded" in gradebook and "bob,2,3,graded" in gradebook

    again = grade_batch(assignment, [alice], out)  # without resume, everyone is graded again
    assert again.resumed == () and again.results[0].score == pytest.approx(3.0)


def test_resume_regrades_a_submission_whose_content_changed(tmp_path: Path, assignment: Assignment) -> None:
    subs, out = tmp_path / "subs", tmp_path / "out"
    alice = submission_file(subs, "alice.py", GOOD)
    first = grade_batch(assignment, [alice], out).results[0]
    assert first.submission_sha256 == hashlib.sha256(GOOD.encode()).hexdigest()
    written = json.loads((out / "alice" / "results.json").read_text(encoding="utf-8"))
    assert written["extra_data"]["submission_sha256"] == first.submission_sha256

    alice.write_text(WRONG_RELU, encoding="utf-8")  # scores 2, not 3
    report = grade_batch(assignment, [alice], out, resume=True)
    assert report.resumed == () and report.changed == ("alice",)
    assert report.results[0].score == pytest.approx(2.0)
    assert report.results[0].submission_sha256 == hashlib.sha256(WRONG_RELU.encode()).hexdigest()
    assert "alice,2,3,graded" in (out / "grades.csv").read_text(encoding="utf-8")


def test_resume_regrades_a_result_without_a_content_hash(tmp_path: Path, assignment: Assignment) -> None:
    """Results written before hashes were recorded cannot vouch for the file: graded again."""
    subs, out = tmp_path / "subs", tmp_path / "out"
    alice = submission_file(subs, "alice.py", GOOD)
    grade_batch(assignment, [alice], out)
    path = out / "alice" / "results.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    del document["extra_data"]["submission_sha256"]
    path.write_text(json.dumps(document), encoding="utf-8")
    report = grade_batch(assignment, [alice], out, resume=True)
    assert report.resumed == () and report.changed == ("alice",)


@pytest.mark.parametrize("previous", [
    pytest.param("{ truncated", id="corrupt-json"),
    pytest.param('{"score": 3}', id="missing-keys"),
    pytest.param(results_json(result(outcome("relu", "relu", 3.0), student_id="alice", error="grader: boom",
                                     error_kind="grader")), id="grader-error"),
    pytest.param(results_json(GradeResult("alice", "backprop", (outcome("relu", "relu", 3.0),), 3.0, 0.1, "bwrap")),
                 id="other-assignment"),
])
def test_resume_regrades_a_result_it_cannot_trust(tmp_path: Path, assignment: Assignment, previous: str) -> None:
    alice = submission_file(tmp_path / "subs", "alice.py", WRONG_RELU)
    out = tmp_path / "out"
    (out / "alice").mkdir(parents=True)
    (out / "alice" / "results.json").write_text(previous, encoding="utf-8")
    report = grade_batch(assignment, [alice], out, resume=True)
    assert report.resumed == ()
    assert read_results(out, "alice")["score"] == pytest.approx(2.0)
    assert read_results(out, "alice")["extra_data"]["assignment"] == "activations"


def test_write_atomically_leaves_the_old_file_and_no_temp_file_on_failure(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "alice" / "results.json"
    write_atomically(target, "old\n")
    assert target.read_text(encoding="utf-8") == "old\n"

    def failing_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(target, "new\n")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in target.parent.iterdir()] == ["results.json"]


def test_written_files_follow_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_atomically(tmp_path / "grades.csv", "x\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "grades.csv").stat().st_mode) == 0o644


def test_gradebook_lists_every_student_in_the_output_folder(tmp_path: Path, assignment: Assignment) -> None:
    out = tmp_path / "out"
    grade_batch(assignment, [tmp_path / "alice.py"], out)  # missing files: no sandbox needed
    grade_batch(assignment, [tmp_path / "bob.py"], out)
    gradebook = (out / "grades.csv").read_text(encoding="utf-8")
    assert "alice," in gradebook and "bob," in gradebook


def test_jobs_2_grades_the_assignment_it_was_given(tmp_path: Path, assignment: Assignment) -> None:
    paths = [tmp_path / "alice.py", tmp_path / "bob.py"]  # missing: scored 0 of max_score, no sandbox
    report = grade_batch(assignment, paths, tmp_path / "out", jobs=2)
    assert [r.max_score for r in report.results] == pytest.approx([TINY_POINTS, TINY_POINTS])


@pytest.mark.slow
def test_a_submission_whose_grading_process_keeps_dying_fails_alone(tmp_path: Path, assignment: Assignment,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from autograder.grading import batch
    from tests.grading import dying_grader

    monkeypatch.setattr(batch, "_grade_one", dying_grader.grade_one)
    paths = [tmp_path / f"{name}.py" for name in ("alice", "doomed", "bob")]  # missing: no sandbox
    report = grade_batch(assignment, paths, tmp_path / "out", jobs=2)
    results = {r.student_id: r for r in report.results}
    assert results["doomed"].error_kind == "grader" and "died" in results["doomed"].detail
    assert results["alice"].error_kind == results["bob"].error_kind == "submission"
    assert "doomed,0," in (tmp_path / "out" / "grades.csv").read_text(encoding="utf-8")


@pytest.mark.slow
def test_jobs_2_gives_the_same_results_as_jobs_1(tmp_path: Path) -> None:
    vanishing = get_assignment("vanishing")
    subs = tmp_path / "subs"
    paths = [submission_file(subs, "solution.py", solution_source(vanishing)),
             submission_file(subs, "broken.py", "def activate(:\n"),
             subs / "ghost.py"]
    one = grade_batch(vanishing, paths, tmp_path / "one", jobs=1)
    two = grade_batch(vanishing, paths, tmp_path / "two", jobs=2)

    def written(out: str, student: str) -> tuple:  # type: ignore[type-arg]
        """The written result, with its messages (a batch keeps only scores in memory)."""
        r = from_gradescope(json.loads((tmp_path / out / student / "results.json").read_text(encoding="utf-8")))
        return (r.student_id, r.error, r.error_kind, [(t.name, t.passed, t.message) for t in r.tests])

    students = ("broken", "ghost", "solution")
    assert [written("one", s) for s in students] == [written("two", s) for s in students]
    assert "SyntaxError" in written("two", "broken")[1]  # the written error, with its message
    assert [r.score for r in two.results] == pytest.approx([r.score for r in one.results])
    assert two.results[2].score == pytest.approx(vanishing.total_points)  # solution sorts last
    assert (tmp_path / "one" / "grades.csv").read_text(encoding="utf-8") == \
           (tmp_path / "two" / "grades.csv").read_text(encoding="utf-8")
    assert leftovers(tmp_path / "two") == []



def test_the_pool_writes_each_students_files_where_it_grades_them(tmp_path: Path, assignment: Assignment,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """On this machine the grading processes write the students' files: the batch process, which
    keeps the table and the gradebook, renders no student's pages (it would be the bottleneck)."""
    from autograder.grading import batch

    writers = tmp_path / "writers"
    writers.mkdir()
    real = batch.write_student

    def noted(result: GradeResult, out_dir: Path, assignment: Assignment) -> None:
        (writers / str(os.getpid())).touch()  # a pool forked from here keeps this stand-in
        real(result, out_dir, assignment)

    monkeypatch.setattr(batch, "write_student", noted)
    subs = tmp_path / "subs"
    paths = [submission_file(subs, "bob.py", WRONG_RELU), submission_file(subs, "alice.py", GOOD)]
    report = grade_batch(assignment, paths, tmp_path / "out", jobs=2)
    assert [r.score for r in report.results] == pytest.approx([TINY_POINTS, 2.0])
    assert report.all_graded
    assert read_results(tmp_path / "out", "bob")["score"] == pytest.approx(2.0)
    assert str(os.getpid()) not in {p.name for p in writers.iterdir()}


@pytest.mark.parametrize("first_by_the_command", [False, True], ids=["batch", "command-then-batch"])
def test_the_pool_grades_in_sandboxes_started_ahead_and_none_outlives_the_batch(
        tmp_path: Path, assignment: Assignment, monkeypatch: pytest.MonkeyPatch, first_by_the_command: bool) -> None:
    """The batch process starts its pool's warm sandboxes before it imports the grading code (they
    take half a second to boot); each pool process takes one, and the batch ends them all. The
    ``grade`` command starts the first one before the batch (``first_only``), the batch the other."""
    from autograder.grading.pool import forks_pool_here
    from autograder.sandbox import warm_sandbox
    from autograder.sandbox.bwrap import presumed_kind

    warm_sandbox.stop_warm_sandbox()  # an earlier test's: a pool would come from the fork server
    if presumed_kind() != "bwrap" or not forks_pool_here():
        pytest.skip("sandboxes are started ahead for a pool forked from here, with bubblewrap")
    takers = tmp_path / "takers"
    takers.mkdir()
    started: list[int] = []
    real_start, real_take = warm_sandbox.start_ahead, warm_sandbox.take_ahead

    def start(*args: object) -> None:
        real_start(*args)  # type: ignore[arg-type]
        started.extend(sandbox._popen.pid for sandbox in warm_sandbox._ahead)

    def take() -> bool:
        took = real_take()
        (takers / f"{os.getpid()}-{took}").touch()  # a pool forked from here keeps this stand-in
        return took

    monkeypatch.setattr(warm_sandbox, "start_ahead", start)
    monkeypatch.setattr(warm_sandbox, "take_ahead", take)
    subs = tmp_path / "subs"
    paths = [submission_file(subs, "bob.py", WRONG_RELU), submission_file(subs, "alice.py", GOOD),
             submission_file(subs, "carol.py", GOOD)]
    if first_by_the_command:
        from autograder.grading.warm import start_sandboxes_ahead

        start_sandboxes_ahead(assignment, 2, first_only=True)
        assert len(started) == 1
    report = grade_batch(assignment, paths, tmp_path / "out", jobs=2)
    assert [r.score for r in report.results] == pytest.approx([TINY_POINTS, 2.0, TINY_POINTS])
    assert len(set(started)) == 2
    assert sorted(p.name.split("-")[1] for p in takers.iterdir()) == ["True", "True"]
    assert not any(os.path.exists(f"/proc/{pid}") for pid in started)
    assert warm_sandbox._ahead == [] and warm_sandbox._claims == -1


def test_the_pool_is_handed_a_few_submissions_at_a_time(tmp_path: Path, assignment: Assignment,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch of thousands is not pickled and queued before its first result: the pool holds at
    most ``QUEUED_PER_PROCESS`` submissions per process, another handed over as each result comes,
    and every student is graded."""
    from concurrent.futures import ProcessPoolExecutor

    from autograder.grading import batch

    monkeypatch.setattr(batch, "QUEUED_PER_PROCESS", 1)
    outstanding: list[int] = []
    real_submit = ProcessPoolExecutor.submit
    handed: list[object] = []

    def submit(self: ProcessPoolExecutor, *args: object, **kwargs: object) -> object:
        future = real_submit(self, *args, **kwargs)  # type: ignore[arg-type]
        handed.append(future)
        outstanding.append(sum(not f.done() for f in handed))  # type: ignore[attr-defined]
        return future

    monkeypatch.setattr(ProcessPoolExecutor, "submit", submit)
    subs = tmp_path / "subs"
    paths = [submission_file(subs, f"s{i}.py", GOOD if i % 2 else WRONG_RELU) for i in range(7)]
    report = grade_batch(assignment, paths, tmp_path / "out", jobs=2)
    assert len(handed) == 7 and max(outstanding) <= 2
    assert [r.score for r in report.results] == pytest.approx([2.0, TINY_POINTS] * 3 + [2.0])
