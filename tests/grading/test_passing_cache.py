"""A passing run kept on disk (``passing_cache``): read back as it was kept, only for the very kit,
assignment and suite it was kept for, no run from a file that is not one; and a later process grades
a submission that answers as it did without pytest, to the result it would get without it."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from autograder.assignment import get_assignment
from autograder.curves import Curve
from autograder.fingerprint import installed_version
from autograder.grading import kept_key, passing_cache
from autograder.grading.diagnose import LoggedCall
from autograder.grading.outcomes import CaseOutcome, SuiteRun
from autograder.grading.warm import PassingRun
from autograder.sandbox import wire
from autograder.sandbox.session import CallPlan, Transcript
from tests.grading.builders import tiny_assignment
from tests.grading.test_warm import WRONG_SOFTMAX, _handed_in
from tests.sandbox.conftest import requires_bwrap


def _run(history_value: object = None) -> PassingRun:
    frames = tuple(wire.pack_message(wire.call_request(i, name, [np.full(3, float(i))], {}))
                   for i, name in enumerate(["sigmoid", "sigmoid", "relu"], start=1))
    answers = tuple(f'{{"id": {i}, "value": [0.5]}}'.encode() for i in range(1, 4))
    transcript = Transcript(CallPlan(frames, frozenset({"sigmoid", "relu"})), answers, frozenset({"sigmoid", "relu"}),
                            cases=(("test_a.py::test_sigmoid", 0), ("test_a.py::test_relu", 2)),
                            consulted=frozenset({"sigmoid", "relu", "helper"}))
    curve = Curve(x=(-1.0, 0.0, 1.0), got=(0.25, 0.5, 0.75), expected=(0.25, 0.5, 0.7310585786300049),
                  wrong=(False, False, True), function="sigmoid(x)", x_name="x")
    outcomes = (CaseOutcome("sigmoid", "sigmoid", 2.0, True, weight=0.1 + 0.2, earned=2.0, rules=("bounded", "odd")),
                CaseOutcome("relu", "relu", 1.0, True, curve=curve, right_share=1 / 3))
    value = np.arange(6, dtype=np.float64).reshape(2, 3) / 7 if history_value is None else history_value
    history = {"test_a.py::test_sigmoid": (
        LoggedCall("sigmoid", (value,), {"axis": -1, "scale": np.float64(0.1)}, True, False, result=[1.0, (2, 3)]),
        LoggedCall("sigmoid", (np.float32(1.5),), {}, False, True, raised="ValueError"))}
    priced = SuiteRun(tuple(dataclasses.replace(o, earned=o.max_score) for o in outcomes))
    return PassingRun(transcript, SuiteRun(outcomes), history, priced)


def _suite(folder: Path, body: str = "def test_a(student):\n    pass\n") -> Path:
    folder.mkdir(parents=True)
    (folder / "test_a.py").write_text(body, encoding="utf-8")
    return folder


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("AUTOGRADER_CACHE", str(folder))
    return folder


def _same_calls(kept: tuple[LoggedCall, ...], read: tuple[LoggedCall, ...]) -> None:
    assert len(kept) == len(read)
    for a, b in zip(kept, read):
        assert (a.function, a.readonly, a.errstate, a.raised, a.result) == (b.function, b.readonly, b.errstate,
                                                                           b.raised, b.result)
        for x, y in zip((*a.args, *a.kwargs.values()), (*b.args, *b.kwargs.values())):
            assert type(x) is type(y) and np.asarray(x).dtype == np.asarray(y).dtype
            assert np.array_equal(x, y)
        assert list(a.kwargs) == list(b.kwargs)


def test_a_kept_run_reads_back_as_it_was(tmp_path: Path, cache: Path) -> None:
    assignment = tiny_assignment(tmp_path / "assignment")
    suite = assignment.hidden_tests
    assert passing_cache.load_passing(assignment, suite) is None
    kept = _run()
    passing_cache.save_passing(assignment, suite, kept)
    read = passing_cache.load_passing(assignment, suite)
    assert read is not None
    assert read.transcript == kept.transcript and read.transcript.plan.keys == kept.transcript.plan.keys
    assert read.run == kept.run and read.priced == kept.priced  # floats as they were, bit for bit
    assert read.run.outcomes[0].rules == ("bounded", "odd") and isinstance(read.run.outcomes[1].curve, Curve)
    assert list(read.history) == list(kept.history)
    _same_calls(kept.history["test_a.py::test_sigmoid"], read.history["test_a.py::test_sigmoid"])
    (path,) = cache.rglob("*.json")
    assert path.parent.name == passing_cache.FOLDER and path.stat().st_mode & 0o077 == 0


def test_a_run_is_read_only_for_the_assignment_and_suite_it_was_kept_for(tmp_path: Path, cache: Path) -> None:
    assignment = tiny_assignment(tmp_path / "assignment")
    passing_cache.save_passing(assignment, assignment.hidden_tests, _run())
    assert passing_cache.load_passing(assignment, assignment.public_tests) is None
    repriced = dataclasses.replace(assignment, total_points=assignment.total_points + 1)
    assert passing_cache.load_passing(repriced, assignment.hidden_tests) is None
    copy = tiny_assignment(tmp_path / "copy")  # the same files elsewhere (as a Dask worker unpacks them)
    assert passing_cache.load_passing(copy, copy.hidden_tests) is not None
    (assignment.root / "misconceptions.toml").write_text("# edited\n", encoding="utf-8")
    assert passing_cache.load_passing(assignment, assignment.hidden_tests) is None  # its folder changed
    suite = _suite(tmp_path / "suite")
    passing_cache.save_passing(assignment, suite, _run())
    assert passing_cache.load_passing(assignment, suite) is not None
    (suite / "test_a.py").write_text("def test_a(student):\n    assert False\n", encoding="utf-8")
    assert passing_cache.load_passing(assignment, suite) is None  # an edited suite grades otherwise


def test_the_key_covers_the_kit_the_reference_and_the_versions_but_not_the_samples(
        tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import autograder
    import reference

    assignment = tiny_assignment(tmp_path / "assignment")
    suite = assignment.hidden_tests
    passing_cache.save_passing(assignment, suite, _run())
    (assignment.root / "samples").mkdir()
    (assignment.root / "samples" / "alice.py").write_text("# a sample submission\n", encoding="utf-8")
    assert passing_cache.load_passing(assignment, suite) is not None  # no grade depends on the samples
    other_code = tmp_path / "code" / "__init__.py"
    other_code.parent.mkdir()
    other_code.write_text("# another package\n", encoding="utf-8")
    changes = {"kit": lambda patched: patched.setattr(autograder, "__file__", str(other_code)),
               "reference": lambda patched: patched.setattr(reference, "__file__", str(other_code)),
               "pytest": lambda patched: patched.setattr(kept_key, "installed_version", lambda package, file: (
                   "0.0" if package == "_pytest" else installed_version(package, file)))}
    for change, apply in changes.items():
        kept_key._digest.cache_clear()
        with monkeypatch.context() as patched:
            apply(patched)
            assert passing_cache.load_passing(assignment, suite) is None, change
    kept_key._digest.cache_clear()
    assert passing_cache.load_passing(assignment, suite) is not None


@pytest.mark.parametrize("damage", [
    lambda data: data[:-3], lambda data: b"junk" + data, lambda data: b"",
    lambda data: data.replace(b'"format": "dl-gradekit passing run 1"', b'"format": "dl-gradekit passing run 0"'),
    lambda data: data.replace(b'"defined": ["relu", "sigmoid"]', b'"defined": {"relu": 1}'),
    lambda data: json.dumps({**json.loads(data), "answers": json.loads(data)["answers"][:2]}).encode(),
    lambda data: json.dumps({**json.loads(data), "frames": ["%%%"]}).encode(),
], ids=["cut", "not-json", "empty", "other-format", "bad-names", "an-answer-short", "bad-base64"])
def test_a_damaged_file_is_no_run(tmp_path: Path, cache: Path, damage) -> None:
    assignment = tiny_assignment(tmp_path / "assignment")
    passing_cache.save_passing(assignment, assignment.hidden_tests, _run())
    (kept,) = cache.rglob("*.json")
    kept.write_bytes(damage(kept.read_bytes()))
    assert passing_cache.load_passing(assignment, assignment.hidden_tests) is None


def test_a_run_whose_history_is_not_plain_data_is_not_kept(tmp_path: Path, cache: Path) -> None:
    assignment = tiny_assignment(tmp_path / "assignment")
    passing_cache.save_passing(assignment, assignment.hidden_tests, _run(history_value=lambda: 1.0))
    assert passing_cache.load_passing(assignment, assignment.hidden_tests) is None
    assert not list(tmp_path.rglob("*.json"))


def test_with_the_cache_off_nothing_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOGRADER_CACHE", "off")
    assignment = tiny_assignment(tmp_path / "assignment")
    passing_cache.save_passing(assignment, assignment.hidden_tests, _run())
    assert passing_cache.load_passing(assignment, assignment.hidden_tests) is None
    assert not list(tmp_path.rglob("*.json"))


LATER_PROCESS = textwrap.dedent('''
    import dataclasses, json, shutil, sys
    from pathlib import Path
    from autograder.assignment import get_assignment
    from autograder.files import cache_folder
    from autograder.grading import grade, passing_cache, warm

    assignment = get_assignment("activations")
    how, *paths = sys.argv[1:]
    if how == "forget":
        shutil.rmtree(cache_folder() / passing_cache.FOLDER, ignore_errors=True)
    if how == "without":  # no passing run at all, kept or learnt: every submission runs the suite
        grade.passing_run_for = lambda *args: None
    if how == "fork":
        warm.enable_forking()
    compared = []
    original = grade._as_known
    def as_known(*args):
        outcome = original(*args)
        compared.append(outcome is not None and not hasattr(outcome, "graded"))
        return outcome
    grade._as_known = as_known
    results, pytest_loaded = [], []
    for path in paths:
        result = grade.grade_submission(assignment, Path(path))
        results.append(repr(dataclasses.replace(result, execution_time=0.0)))
        pytest_loaded.append("pytest" in sys.modules)
    print(json.dumps({"results": results, "pytest": pytest_loaded, "compared": compared,
                      "kept": len(list((cache_folder() / passing_cache.FOLDER).glob("*.json")))}))
''')


def _later(how: str, paths: list[str]) -> dict:
    done = subprocess.run([sys.executable, "-c", LATER_PROCESS, how, *paths], capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    report: dict = json.loads(done.stdout.splitlines()[-1])
    return report


@requires_bwrap
@pytest.mark.slow
def test_a_later_process_grades_a_submission_answering_as_a_kept_run_did_without_pytest(tmp_path: Path) -> None:
    """A process whose submission passes every case keeps its run on disk. A later process grading
    one student alone (as a late student is graded) takes its outcomes without importing pytest;
    one whose submission answers otherwise runs the suite; a warm process's first fork compares
    before the process collects the suite (a fork of the prepared process grades it when the answers differ).
    Every result is the one graded with no passing run at all."""
    solution = get_assignment("activations").source_path.read_text(encoding="utf-8")
    paths = _handed_in(tmp_path, {"solution": solution, "softmax": solution + WRONG_SOFTMAX,
                                  "again": solution + "\nprint('my own words')\n"})
    learnt = _later("forget", paths[:1])
    assert learnt["kept"] == 1 and learnt["compared"] == []
    without = _later("without", paths)["results"]

    alone = _later("here", paths[:1])
    assert alone["compared"] == [True] and alone["pytest"] == [False]
    assert alone["results"] == without[:1]

    wrong_first = _later("here", [paths[1], paths[2]])
    assert wrong_first["compared"] == [False, True] and wrong_first["pytest"][0]
    assert wrong_first["results"] == without[1:]

    forked = _later("fork", paths)
    assert forked["results"] == without
    assert forked["pytest"][0] is False  # the first fork came before the suite's collection

    wrong_fork = _later("fork", [paths[1], paths[0]])  # the first fork only compares; a prepared one grades
    assert wrong_fork["results"] == [without[1], without[0]]


def _graded_files(out: Path) -> dict[str, object]:
    """Every student's results (its timing aside) and feedback, as the batch wrote them."""
    files: dict[str, object] = {}
    for path in sorted(out.glob("*/results.json")):
        result = json.loads(path.read_text(encoding="utf-8"))
        result.pop("execution_time", None)
        files[path.parent.name] = [result, (path.parent / "feedback.md").read_text(encoding="utf-8")]
    return files


@requires_bwrap
@pytest.mark.slow
def test_a_batch_after_a_kept_run_writes_what_a_batch_without_one_writes(tmp_path: Path) -> None:
    """The instructor's view: ``autograder grade --jobs 2`` on the bundled samples with an empty
    cache keeps a passing run; the same command again (its pool processes comparing their first
    submissions with it, pytest not imported before they fork) writes the very same results and
    feedback; so does a batch with the cache off."""
    samples = sorted(str(path) for path in get_assignment("activations").root.glob("samples/*")
                     if path.stem != "hostile_hang_and_fork")  # its hang costs seconds and proves nothing here
    cache = tmp_path / "cache"
    outputs = {}
    for run, setting in (("learns", str(cache)), ("takes", str(cache)), ("off", "off")):
        out = tmp_path / run
        done = subprocess.run([sys.executable, "-m", "autograder", "grade", "--assignment", "activations",
                               "--jobs", "2", "--out", str(out), *samples], capture_output=True, text=True,
                              timeout=600, check=False, env={**os.environ, "AUTOGRADER_CACHE": setting})
        assert done.returncode in (0, 1), done.stderr[-3000:]
        outputs[run] = _graded_files(out)
        if run == "learns":
            assert len(list((cache / passing_cache.FOLDER).glob("*.json"))) == 1
    assert len(outputs["learns"]) == len(samples)
    assert outputs["takes"] == outputs["learns"] == outputs["off"]
