"""A warm grading process grades each submission in a fork of itself: nothing carries over.

The scenario runs in a fresh interpreter (``python -c``), as a pool worker of ``grade_batch``
does: ``enable_forking()``, then two submissions graded one after the other. The first leaves
everything it can behind (a file in ``/tmp``, a global, a changed builtin, an attribute on
numpy); the second reports what it finds. The hidden suite also keeps module state and logs
which process ran it, so the test sees that both were graded in forks of one warm process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.grading.builders import GOOD, submission_file, tiny_assignment
from tests.sandbox.conftest import requires_bwrap

pytestmark = pytest.mark.slow

SUITE = '''\
import os

import pytest

RUNS = []


@pytest.mark.skill("sigmoid")
def test_probe(student):
    RUNS.append(1)
    with open(os.environ["WARM_TEST_LOG"], "a", encoding="utf-8") as log:
        log.write(f"{os.getpid()} {os.getppid()} {len(RUNS)}\\n")
    found = student.probe()
    assert found == "clean", f"found {found}"
    assert len(RUNS) == 1, "the suite module kept a previous run's state"
'''

LEAVER = GOOD + '''
import builtins
import numpy

with open("/tmp/left_behind.txt", "w") as handle:
    handle.write("from the previous submission")
builtins.LEFT_BEHIND = True
numpy.LEFT_BEHIND = True
left_behind_global = True


def probe():
    return "clean"
'''

FINDER = GOOD + '''
import builtins
import os
import numpy


def probe():
    found = [name for name, seen in (
        ("a file in /tmp", os.path.exists("/tmp/left_behind.txt")),
        ("a builtin", hasattr(builtins, "LEFT_BEHIND")),
        ("a numpy attribute", hasattr(numpy, "LEFT_BEHIND")),
        ("a global", "left_behind_global" in globals()),
    ) if seen]
    return ", ".join(found) or "clean"
'''

SCRIPT = textwrap.dedent('''
    import json, sys
    from pathlib import Path
    from autograder.assignment import load_manifest
    from autograder.grading import grade
    from autograder.grading.grade import grade_submission
    from autograder.grading.warm import enable_forking

    assignment = load_manifest(Path(sys.argv[1]))
    enable_forking()
    grade.passing_run_for = lambda *args: None  # each fork runs the suite: its state is what is looked at
    results = [grade_submission(assignment, Path(p)) for p in sys.argv[2:]]
    print(json.dumps([[r.score, r.error, r.detail, [t.message for t in r.tests]] for r in results]))
''')


def test_nothing_of_one_submission_reaches_the_next_in_a_warm_worker(tmp_path: Path) -> None:
    assignment = tiny_assignment(tmp_path / "course", hidden={"test_probe": SUITE}, skills={"sigmoid": 1.0})
    first = submission_file(tmp_path, "first.py", LEAVER)
    second = submission_file(tmp_path, "second.py", FINDER)
    log = tmp_path / "runs.log"
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(assignment.root), str(first), str(second)],
                          capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "WARM_TEST_LOG": str(log)})
    assert done.returncode == 0, done.stderr
    (first_score, *_), (second_score, error, detail, messages) = json.loads(done.stdout)
    assert first_score == pytest.approx(1.0)
    assert (second_score, error, detail) == (pytest.approx(1.0), "", ""), messages
    graded = [line.split() for line in log.read_text(encoding="utf-8").splitlines()][-2:]
    (pid_a, parent_a, runs_a), (pid_b, parent_b, runs_b) = graded
    assert parent_a == parent_b and pid_a != pid_b, "both graded in forks of the same warm process"
    assert runs_a == runs_b == "1"


SAME_SCRIPT = textwrap.dedent('''
    import json, sys
    from pathlib import Path
    from autograder.assignment import get_assignment
    from autograder.grading.grade import grade_submission
    from autograder.grading.warm import enable_forking

    assignment = get_assignment("activations")
    enable_forking()
    results = [grade_submission(assignment, Path(p)) for p in sys.argv[1:]]
    print(json.dumps([[r.score, r.error, [[t.name, t.passed, t.earned, t.message, t.misconception]
                                          for t in r.tests]] for r in results]))
''')


def test_a_warm_worker_grades_exactly_as_a_cold_one() -> None:
    """Every bundled sample (wrong, unstable, hostile), graded in forks of a warm process, gets the
    very cases, points, messages and diagnoses that grading it alone in this process gives."""
    from autograder.assignment import get_assignment
    from autograder.grading.grade import grade_submission

    assignment = get_assignment("activations")
    samples = sorted((assignment.root / "samples").glob("*.py"))
    samples = [p for p in samples if "hang" not in p.name]  # its timeouts make the run long, not different
    done = subprocess.run([sys.executable, "-c", SAME_SCRIPT, *map(str, samples)], capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    warm = json.loads(done.stdout)
    for path, (score, error, cases) in zip(samples, warm):
        cold = grade_submission(assignment, path)
        assert (score, error) == (pytest.approx(cold.score), cold.error), path.name
        assert cases == [[t.name, t.passed, pytest.approx(t.earned), t.message, t.misconception]
                         for t in cold.tests], path.name


ALONE_SCRIPT = textwrap.dedent('''
    import json, sys
    from pathlib import Path
    from autograder.assignment import get_assignment
    from autograder.grading.batch import grade_batch
    from autograder.sandbox import launcher

    cold = []
    spawn = launcher._spawn

    def counted(*args, **kwargs):
        cold.append(1)
        return spawn(*args, **kwargs)

    launcher._spawn = counted
    grade_batch(get_assignment("activations"), [Path(sys.argv[1])], Path(sys.argv[2]), jobs=1)
    result = json.loads((Path(sys.argv[2]) / Path(sys.argv[1]).stem / "results.json").read_text())
    print(json.dumps({"cold": len(cold), "score": result["score"],
                      "skills": sorted((t["name"], t["score"]) for t in result["tests"])}))
''')


@requires_bwrap
def test_one_submission_graded_alone_forks_its_workers_from_a_warm_sandbox(tmp_path: Path) -> None:
    """The instructor regrading one student: the released stub, whose substituted re-runs need dozens
    of fresh workers, gets them forked by a warm sandbox (none started the cold way), with the very
    grade this process gives it with cold workers."""
    from autograder.assignment import get_assignment
    from autograder.grading.batch import write_student
    from autograder.grading.grade import grade_submission
    from autograder.release.build import stub_source

    assignment = get_assignment("activations")
    stub = tmp_path / "stub.py"
    stub.write_text(stub_source(assignment), encoding="utf-8")
    done = subprocess.run([sys.executable, "-c", ALONE_SCRIPT, str(stub), str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    alone = json.loads(done.stdout.splitlines()[-1])
    assert alone["cold"] == 0, "a worker was started the cold way"
    cold = grade_submission(assignment, stub)
    assert alone["score"] == pytest.approx(cold.score)
    cold_dir = tmp_path / "cold"
    write_student(cold, cold_dir, assignment)
    again = json.loads((cold_dir / cold.student_id / "results.json").read_text(encoding="utf-8"))
    assert alone["skills"] == sorted([t["name"], t["score"]] for t in again["tests"])


def test_a_warm_process_compiles_the_derived_mistakes_its_forks_diagnosed_once() -> None:
    """Forks diagnose with derived mistakes they compile themselves; the parent learns which from
    each result and compiles those while the next fork grades, so later forks start with them."""
    scenario = textwrap.dedent('''
        from autograder.grading import warm
        from autograder.grading.forked import run_in_fork
        from autograder.mutants import candidates

        def diagnose_sigmoid_derivative():
            candidates.candidates("sigmoid_derivative", (0.5,), {})
            return warm.lessons_of_fork().diagnosed

        before = warm.while_forked()
        warm.note_fork()
        learnt = run_in_fork(diagnose_sigmoid_derivative, timeout_s=60)
        warm.learn(warm.ForkLessons(diagnosed=learnt))
        compiled_before = candidates._elementwise.cache_info().currsize
        compile_them = warm.while_forked()
        compile_them()
        compiled = candidates._elementwise.cache_info().currsize
        print(before is None, learnt, compiled_before, compiled > 0, warm.while_forked() is None)
    ''')
    done = subprocess.run([sys.executable, "-c", scenario], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.split() == ["True", "('sigmoid_derivative',)", "0", "True", "True"]


def test_a_warm_process_prepares_the_modules_and_identities_its_forks_needed() -> None:
    """A fork that imports a module and derives sigmoid's output identity (y (1 - y)) reports both;
    its parent imports and derives them while the next fork grades, and the fork after that needs
    neither: it reports nothing new to import."""
    scenario = textwrap.dedent('''
        import sys
        from autograder.grading import warm
        from autograder.grading.forked import run_in_fork
        from reference.activations import get_activation

        def grade_like_a_fork():
            import colorsys
            get_activation("sigmoid").grad_from_output([0.5])
            return warm.lessons_of_fork()

        warm.note_fork()
        first = run_in_fork(grade_like_a_fork, timeout_s=120)
        warm.learn(first)
        before = "colorsys" in sys.modules, "_output_evaluator" in vars(get_activation("sigmoid"))
        warm.while_forked()()
        after = "colorsys" in sys.modules, "_output_evaluator" in vars(get_activation("sigmoid"))
        warm.note_fork()
        second = run_in_fork(grade_like_a_fork, timeout_s=120)
        print("colorsys" in first.imported, ("sigmoid", "_output_evaluator") in first.derived, before, after,
              "colorsys" in second.imported)
    ''')
    done = subprocess.run([sys.executable, "-c", scenario], capture_output=True, text=True, timeout=240, check=True)
    assert done.stdout.strip() == "True True (False, False) (True, True) False"


WRONG_SOFTMAX = "\n\ndef softmax(z, axis=-1):\n    e = np.exp(z)\n    return e / e.sum()\n"
"""Appended to the solution: a softmax that sums over the whole array."""


def _handed_in(folder: Path, texts: dict[str, str]) -> list[str]:
    """Each text as ``<name>/activations.py`` under ``folder``, as a student hands it in; their paths."""
    paths = []
    for name, text in texts.items():
        path = folder / name / "activations.py"
        path.parent.mkdir()
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    return paths


PLAN_SCENARIO = textwrap.dedent('''
    import json, shutil, sys
    from pathlib import Path
    from autograder.assignment import get_assignment
    from autograder.files import cache_folder
    from autograder.grading import grade, passing_cache, plan_cache, warm
    from autograder.sandbox import session

    assignment = get_assignment("activations")
    if sys.argv[1] == "forget":  # no plan (nor passing run) kept by an earlier process: this one learns it
        shutil.rmtree(cache_folder() / plan_cache.FOLDER, ignore_errors=True)
        shutil.rmtree(cache_folder() / passing_cache.FOLDER, ignore_errors=True)
    if sys.argv[2] == "fork":
        warm.enable_forking()
    log = Path(sys.argv[3])
    original_follow = session.SandboxSession.follow
    def follow(self, plan):  # in the fork: the parent reads the log
        with log.open("a") as out:
            out.write(f"{len(plan.frames)} ")
        original_follow(self, plan)
    session.SandboxSession.follow = follow

    def graded(path):
        result = grade.grade_submission(assignment, Path(path))
        return [result.score, sorted((t.name, t.earned, t.message, t.misconception) for t in result.tests)]

    paths = sys.argv[4:]
    first = graded(paths[0])  # passes every case: its calls become the plan
    with_plan = [graded(p) for p in paths]
    plans = len(warm._plans)
    grade.plan_for = grade.load_plan = grade.passing_run_for = lambda *args: None
    without = [graded(p) for p in paths]
    print(json.dumps({"plans": plans, "followed": len(log.read_text().split()), "same": with_plan == without,
                      "scores": [g[0] for g in with_plan]}))
''')


@requires_bwrap
@pytest.mark.slow
def test_forks_send_ahead_the_calls_of_a_passing_run_and_grade_the_same(tmp_path: Path) -> None:
    """A warm process learns the calls of a submission that passed every case; later forks send
    them ahead. Graded that way or one call at a time, every result is the same: the solution, a
    wrong derivative (the calls stop matching early), a wrong softmax (late), and the untouched stub."""
    from autograder.assignment import get_assignment
    from autograder.release.build import stub_source

    assignment = get_assignment("activations")
    solution = assignment.source_path.read_text(encoding="utf-8")
    wrong_derivative = solution + "\n\ndef sigmoid_derivative(x):\n    return sigmoid(x)\n"
    paths = _handed_in(tmp_path, {"solution": solution, "derivative": wrong_derivative,
                                  "softmax": solution + WRONG_SOFTMAX, "stub": stub_source(assignment)})
    done = subprocess.run([sys.executable, "-c", PLAN_SCENARIO, "forget", "fork", str(tmp_path / "followed.log"),
                           *paths], capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.splitlines()[-1])
    # the first submission follows too when the warm-up ran the solution, whose calls it kept
    assert report["plans"] == 1 and report["followed"] in (len(paths), len(paths) + 1)
    assert report["same"], report
    scores = report["scores"]
    assert scores[0] == pytest.approx(100.0) and scores[3] == pytest.approx(0.0)
    assert 0 < scores[1] < 100 and 0 < scores[2] < 100


KNOWN_SCENARIO = textwrap.dedent('''
    import json, sys
    from pathlib import Path
    from autograder.assignment import get_assignment
    from autograder.grading import grade, warm
    from autograder.sandbox import session

    assignment = get_assignment("activations")
    if sys.argv.pop(1) == "fork":
        warm.enable_forking()
    log = Path(sys.argv[1])
    compare = session.SandboxSession.answers_as_recorded
    def logged(self, transcript, seconds):  # in a fork, the parent reads the log
        matched = compare(self, transcript, seconds)
        with log.open("a") as out:
            out.write(f"{int(matched)}:{len(self.cases_as_recorded)} ")
        return matched
    session.SandboxSession.answers_as_recorded = logged

    def graded(path):
        result = grade.grade_submission(assignment, Path(path))
        return [result.score, sorted((t.name, t.passed, t.earned, t.message, t.misconception) for t in result.tests),
                result.student_output, list(result.warnings), list(result.needs_look), result.error]

    paths = sys.argv[2:]
    known = [graded(p) for p in paths]  # the first passes every case: later forks hold theirs to it
    grade.passing_run_for = lambda *args: None
    without = [graded(p) for p in paths]
    print(json.dumps({"compared": log.read_text().split(), "known": known, "without": without}))
''')

BOTH_BRANCHES_SIGMOID = """

def sigmoid(x):
    x = np.asarray(x, dtype=np.float64)
    return np.where(x >= 0, 1.0 / (1.0 + np.exp(-x)), np.exp(x) / (1.0 + np.exp(x)))
"""
"""Right values, but both branches are evaluated: exp overflows on large inputs. Its diagnosis reads
the calls of earlier cases (the ones that passed): those cases' calls must be in its history."""

HELPERS = """

from math import exp


def clipped(x, low=-500.0, high=500.0):
    return np.clip(x, low, high)
"""
"""Public names the suite never asks about: a function imported and a helper of the student's own."""

LATE_WRONG_SOFTMAX = """

_softmax_calls = [0]
_right_softmax = softmax


def softmax(z, axis=-1):
    _softmax_calls[0] += 1
    value = _right_softmax(z, axis=axis)
    return value if _softmax_calls[0] < 4 else value * 0.5
"""


@requires_bwrap
@pytest.mark.parametrize("where", ["fork", "here"])
def test_a_submission_answering_as_a_passing_run_did_takes_its_outcomes_and_any_other_is_graded_alike(
        tmp_path: Path, where: str) -> None:
    """After a submission that passed every case (graded in a fork of a warm process, or in the
    process itself, as ``--jobs 1`` grades), later ones are held to that run's answers: the solution
    again, a copy that prints and a copy defining a helper of its own and an imported function
    (which the suite never asks about) take the run's outcomes (each with its own output); a wrong
    softmax and the escape hatch of reading /etc/passwd at import are graded as they are without the
    known run, result for result, the cases of the wrong softmax that call no softmax taking their
    outcomes from the known run; so is a sigmoid that overflows, whose diagnosis reads the calls of
    the cases before (taken from the known run for those it did not run). A softmax that goes wrong
    after three calls (it keeps state) was asked every call of the known run before its cases ran:
    its cases pass and fail as they do without the known run (a diagnosis, which reads the answers
    in the order they came, may differ)."""
    from autograder.assignment import get_assignment

    assignment = get_assignment("activations")
    solution = assignment.source_path.read_text(encoding="utf-8")
    texts = {
        "solution": solution, "again": solution, "printing": solution + "\nprint('my own words')\n",
        "helpers": solution + HELPERS, "softmax": solution + WRONG_SOFTMAX, "late": solution + LATE_WRONG_SOFTMAX,
        "reader": "try:\n    SECRET = open('/etc/passwd').read()\nexcept OSError:\n    SECRET = ''\n" + solution,
        "overflowing": solution + BOTH_BRANCHES_SIGMOID}
    paths = _handed_in(tmp_path, texts)
    done = subprocess.run([sys.executable, "-c", KNOWN_SCENARIO, where, str(tmp_path / "compared.log"), *paths],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.splitlines()[-1])
    stateful = list(texts).index("late")
    for name, known, without in zip(texts, report["known"], report["without"]):
        if name != "late":
            assert known == without, name
    late, alone = report["known"][stateful], report["without"][stateful]
    assert late[0] == alone[0] and [case[:3] for case in late[1]] == [case[:3] for case in alone[1]]
    # the solution is compared only when warming ran the suite on it first (a cold expectation cache);
    # of the others, two match; most cases of the wrong softmax and of the reader are answered as
    # recorded (only the softmax's cases, and the reader's first, whose answer carries what it read, run)
    compared = [entry.split(":") for entry in report["compared"]][-7:]
    assert [matched for matched, _ in compared] == ["1", "1", "1", "0", "0", "0", "0"], report["compared"]
    assert int(compared[3][1]) > 100 and int(compared[5][1]) > 150 and int(compared[6][1]) > 150, compared
    assert "Likely mistake" in str(report["known"][-1][1])
    known = report["known"]
    assert [k[0] for k in known[:4]] == [100.0] * 4 and known[4][0] < 100 and known[5][0] < 100
    assert "my own words" in known[2][2] and "my own words" not in known[1][2]


STUB_SCRIPT = textwrap.dedent('''
    import dataclasses, json, shutil, sys
    from pathlib import Path
    from autograder.assignment import get_assignment
    from autograder.files import cache_folder
    from autograder.grading import grade, passing_cache, same_stub
    from autograder.grading.warm import enable_forking

    if sys.argv.pop(1) == "forget":  # no result kept by an earlier process
        shutil.rmtree(cache_folder() / same_stub.FOLDER, ignore_errors=True)
    shutil.rmtree(cache_folder() / passing_cache.FOLDER, ignore_errors=True)  # each grading here forks once

    forks = []
    run_in_fork = grade.run_in_fork

    def counted(*args, **kwargs):
        forks.append(1)
        return run_in_fork(*args, **kwargs)

    grade.run_in_fork = counted
    assignment = get_assignment("activations")
    enable_forking()
    results = [grade.grade_submission(assignment, Path(p)) for p in sys.argv[1:]]
    print(json.dumps({"forks": len(forks), "results": [
        [r.student_id, r.submission_sha256, repr(dataclasses.replace(r, student_id="", execution_time=0.0,
                                                                     submission_sha256=""))]
        for r in results]}))
''')


def test_a_copy_of_the_untouched_stub_takes_the_result_its_first_copy_was_graded_to(tmp_path: Path) -> None:
    """Students who never start hand in the released stub, byte for byte: a warm process grades it
    once, and every copy gets that very result under its own id; a later process finds it in the
    kit's cache. A stub with one comment added is other bytes, and is graded again (to the same result)."""
    from autograder.assignment import get_assignment
    from autograder.release.build import stub_source

    stub = stub_source(get_assignment("activations"))
    paths = [submission_file(tmp_path, name, text) for name, text in (
        ("ana.py", stub), ("ben.py", stub), ("cleo.py", stub + "\n# nothing to add\n"), ("dan.py", stub))]
    reports = []
    for kept in ("forget", "keep"):
        done = subprocess.run([sys.executable, "-c", STUB_SCRIPT, kept, *map(str, paths)], capture_output=True,
                              text=True, timeout=600, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        reports.append(json.loads(done.stdout.splitlines()[-1]))
    first, later = reports
    assert first["forks"] == 2  # ana's and cleo's
    assert later["forks"] == 0, "a later process finds both results in the kit's cache"
    ids, digests, graded = zip(*first["results"], strict=True)
    assert ids == ("ana", "ben", "cleo", "dan")
    assert digests[0] == digests[1] == digests[3] != digests[2]
    assert len(set(graded)) == 1, "every copy graded as the first"
    assert "untouched stub" in graded[0]
    assert later["results"] == first["results"]


def test_only_a_result_the_stub_alone_explains_is_kept_for_its_copies(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A result with another reason to look (a timeout, a crash), an error, a warning, output, or an
    outcome naming the student's file is graded again for every copy. One that is kept reads back
    from the kit's cache in another process, and a cache file that is not that result is no result."""
    import dataclasses

    from autograder.assignment import get_assignment
    from autograder.grading import same_stub
    from autograder.grading.needs_look import UNTOUCHED_STUB
    from autograder.grading.outcomes import CaseOutcome
    from autograder.grading.results import GradeResult

    monkeypatch.setenv("AUTOGRADER_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(same_stub, "_graded", {})
    assignment = get_assignment("activations")
    suite = assignment.hidden_tests
    case = CaseOutcome(name="sigmoid[edge]", group="sigmoid", passed=False, max_score=1.0,
                       message="NotImplementedError")
    kept = GradeResult(student_id="ana", assignment_id="activations", max_score=100.0, execution_time=0.2,
                       sandbox="bwrap", tests=(case,), needs_look=(UNTOUCHED_STUB,))
    others = {"timed out": dataclasses.replace(kept, needs_look=(UNTOUCHED_STUB, "timed out in relu (1 check)")),
              "error": dataclasses.replace(kept, error="could not be loaded"),
              "warning": dataclasses.replace(kept, warnings=("a note",)),
              "output": dataclasses.replace(kept, student_output="hello"),
              "named": dataclasses.replace(kept, tests=(dataclasses.replace(kept.tests[0],
                                                                            message='File "ana.py", line 3'),)),
              "not the stub": dataclasses.replace(kept, needs_look=())}
    for reason, result in others.items():
        same_stub.remember(assignment, suite, f"digest of {reason}", result)
        assert same_stub.recall(assignment, suite, f"digest of {reason}", "ben", 0.0) is None, reason
    same_stub.remember(assignment, suite, "the stub's digest", kept)
    copied = same_stub.recall(assignment, suite, "the stub's digest", "ben", 0.0)
    assert copied is not None and copied.student_id == "ben"
    assert dataclasses.replace(copied, student_id="ana", execution_time=0.2, submission_sha256="") == kept
    assert same_stub.recall(assignment, tmp_path, "the stub's digest", "ben", 0.0) is None  # another suite

    same_stub._graded.clear()  # another process: the kit's cache only
    from_disk = same_stub.recall(assignment, suite, "the stub's digest", "cleo", 0.0)
    assert from_disk is not None and dataclasses.replace(from_disk, execution_time=0.0) == dataclasses.replace(
        copied, student_id="cleo", execution_time=0.0)
    (kept_file,) = (tmp_path / "cache" / same_stub.FOLDER / "the stub's digest").iterdir()
    for damaged in (kept_file.read_text().replace("the stub's digest", "another digest"), "{", "[]"):
        same_stub._graded.clear()
        kept_file.write_text(damaged)
        assert same_stub.recall(assignment, suite, "the stub's digest", "cleo", 0.0) is None


@requires_bwrap
@pytest.mark.slow
@pytest.mark.parametrize("where", ["fork", "here"])
def test_a_later_process_sends_ahead_the_calls_an_earlier_one_kept_from_its_first_submission(
        tmp_path: Path, where: str) -> None:
    """The calls of a passing run are kept on disk: a later process, warm (``fork``) or grading one
    student alone (``here``), sends them ahead from its very first submission, and grades the same."""
    from autograder.assignment import get_assignment

    solution = get_assignment("activations").source_path.read_text(encoding="utf-8")
    paths = _handed_in(tmp_path, {"solution": solution, "softmax": solution + WRONG_SOFTMAX})
    learnt = subprocess.run([sys.executable, "-c", PLAN_SCENARIO, "forget", "fork", str(tmp_path / "learnt.log"),
                             paths[0]], capture_output=True, text=True, timeout=600, check=False)
    assert learnt.returncode == 0, learnt.stderr[-3000:]
    done = subprocess.run([sys.executable, "-c", PLAN_SCENARIO, "keep", where, str(tmp_path / "followed.log"),
                           *paths], capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["followed"] == 1 + len(paths)  # the first submission graded included
    assert report["same"], report
    assert report["scores"][0] == pytest.approx(100.0) and 0 < report["scores"][1] < 100


def test_a_fork_offers_its_passing_run_only_when_it_can_travel_with_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    """The passing run goes to the parent pickled with the fork's result: one whose diagnosis history
    holds a value pickle refuses is not offered (the result must still arrive); one that can is."""
    from autograder.assignment import get_assignment
    from autograder.grading import forked, warm
    from autograder.grading.diagnose import LoggedCall
    from autograder.grading.outcomes import SuiteRun
    from autograder.sandbox import wire
    from autograder.sandbox.session import CallPlan, Transcript

    assignment = get_assignment("activations")
    frame = wire.pack_message(wire.call_request(1, "relu", [1.0], {}))
    transcript = Transcript(CallPlan((frame,), frozenset({"relu"})), (b"{}",), frozenset({"relu"}), (("c", 0),))
    monkeypatch.setattr(forked, "in_fork_child", lambda: True)
    monkeypatch.setattr(warm, "_passing", {})
    for value, offered in ((lambda: 1.0, False), (1.0, True)):
        monkeypatch.setattr(warm, "_offered_passing", None)
        history = {"c": (LoggedCall("relu", (value,), {}, False, False, 1.0),)}
        warm.keep_passing_run(assignment, assignment.hidden_tests, warm.PassingRun(transcript, SuiteRun(()), history))
        assert (warm._offered_passing is not None) == offered
