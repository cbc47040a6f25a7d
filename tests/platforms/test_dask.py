"""Grading on a Dask cluster: a real ``distributed.LocalCluster`` of worker processes (two workers, one
thread each), the same batch graded by the local process pool, result for result.

Each task runs ``grade_submission`` on a worker thread, which starts and ends the submission's
sandbox session within the call (a session dies with the thread that started it); the results
equal the local pool's. Killing a worker mid-batch costs a retry, not a result.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from typing import Any

import pytest

from autograder.assignment import Assignment
from autograder.grading.batch import grade_batch, local_executor
from autograder.grading.results import GradeResult, to_gradescope
from autograder.platforms.nbgrader_course import nbgrader_available
from tests.grading.builders import GOOD, submission_file, tiny_assignment

distributed = pytest.importorskip("distributed", reason="dask is not installed: pip install -e '.[test]'")

pytestmark = pytest.mark.slow
SUBMISSIONS = 30


def _variants() -> dict[str, str]:
    """30 small submissions of the tiny assignment: right, wrong in several ways, broken, hostile."""
    sigmoid = "1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))"
    relu = "np.maximum(np.asarray(x, dtype=np.float64), 0.0)"
    out: dict[str, str] = {}
    for k in range(SUBMISSIONS):
        kind = k % 6
        if kind == 0:
            text = GOOD
        elif kind == 1:
            text = GOOD.replace(sigmoid, f"{1 + k / 10} / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))")
        elif kind == 2:
            text = GOOD.replace(relu, "np.asarray(x, dtype=np.float64)")
        elif kind == 3:
            text = GOOD.replace("def relu(x):", f"def relu(x):\n    if {k} > 0:\n        raise ValueError('no {k}')")
        elif kind == 4:
            text = f"import numpy as np\n\ndef sigmoid(x)\n    return x  # syntax error {k}\n"
        else:
            text = GOOD + (f"\nprint('hello from {k}')\nimport os\n"
                           "try:\n    os.system('echo escaped')\nexcept Exception:\n    pass\n")
        out[f"s{k:02d}"] = text
    return out


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> tuple[Assignment, list[Path]]:
    base = tmp_path_factory.mktemp("dask")
    assignment = tiny_assignment(base / "course")
    paths = [submission_file(base / "subs", f"{name}.py", text) for name, text in _variants().items()]
    return assignment, paths


@pytest.fixture(scope="module")
def local(course: tuple[Assignment, list[Path]], tmp_path_factory: pytest.TempPathFactory) -> dict[str, GradeResult]:
    assignment, paths = course
    report = grade_batch(assignment, paths, tmp_path_factory.mktemp("local"), jobs=2)
    return {r.student_id: r for r in report.results}


@pytest.fixture(scope="module")
def cluster() -> Any:
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=50) as cluster, distributed.Client(cluster) as client:
        yield cluster, client


def _comparable(result: GradeResult) -> dict[str, Any]:
    document = to_gradescope(result)
    document.pop("execution_time")
    return document


def test_a_dask_batch_equals_the_local_batch(course: tuple[Assignment, list[Path]], local: dict[str, GradeResult],
                                             cluster: Any, tmp_path: Path) -> None:
    from autograder.platforms.dask_executor import dask_executor

    assignment, paths = course
    _, client = cluster
    seen: list[str] = []
    report = grade_batch(assignment, paths, tmp_path / "out", executor=dask_executor(client),
                         on_result=lambda r: seen.append(r.student_id))
    remote = {r.student_id: r for r in report.results}
    assert sorted(seen) == sorted(remote) == sorted(local)
    assert len(remote) == SUBMISSIONS
    for student, result in local.items():
        assert _comparable(remote[student]) == _comparable(result), student
    assert {r.score for r in remote.values()} != {remote["s00"].score}  # the variants differ
    assert all((tmp_path / "out" / s / "results.json").is_file() for s in remote)
    assert (tmp_path / "out" / "grades.csv").is_file()
    assert all(r.sandbox == local["s00"].sandbox for r in remote.values() if not r.error)


def test_a_worker_killed_mid_batch_costs_a_retry_not_a_result(course: tuple[Assignment, list[Path]],
                                                               local: dict[str, GradeResult], cluster: Any,
                                                               tmp_path: Path) -> None:
    from autograder.platforms.dask_executor import dask_executor

    assignment, paths = course
    _, client = cluster
    pids = client.run(os.getpid)
    victim = sorted(pids.values())[0]
    killed = threading.Event()

    def kill_after_the_third(result: GradeResult) -> None:
        done.append(result.student_id)
        if len(done) == 3 and not killed.is_set():
            os.kill(victim, signal.SIGKILL)  # a worker process, mid-task: its nanny starts a new one
            killed.set()

    done: list[str] = []
    report = grade_batch(assignment, paths, tmp_path / "out", executor=dask_executor(client),
                         on_result=kill_after_the_third)
    assert killed.is_set()
    remote = {r.student_id: r for r in report.results}
    assert sorted(remote) == sorted(local)
    assert report.all_graded, [r.detail for r in remote.values() if not r.graded]
    for student, result in local.items():
        assert _comparable(remote[student]) == _comparable(result), student
    assert victim not in client.run(os.getpid).values()


def test_resume_and_the_command_line(course: tuple[Assignment, list[Path]], local: dict[str, GradeResult],
                                     cluster: Any, tmp_path: Path) -> None:
    """``autograder grade --scheduler`` grades on the cluster; ``--resume`` sends only what is left."""
    from click.testing import CliRunner

    from autograder.cli import main as cli
    from autograder.platforms.dask_executor import dask_executor

    assignment, paths = course
    dask_cluster, client = cluster
    out = tmp_path / "out"
    grade_batch(assignment, paths[:5], out, executor=local_executor(1))
    sent: list[str] = []
    report = grade_batch(assignment, paths[:8], out, resume=True,
                         executor=dask_executor(client, on_submit=sent.append))
    assert sorted(sent) == ["s05", "s06", "s07"] and len(report.resumed) == 5
    done = CliRunner().invoke(cli, ["--course", str(assignment.root.parent), "grade", "--assignment",
                                    assignment.id, "--out", str(tmp_path / "cli"), "--scheduler",
                                    dask_cluster.scheduler_address, *map(str, paths[:4])])
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in (tmp_path / "cli").iterdir() if p.is_dir()) == ["s00", "s01", "s02", "s03"]
    done = CliRunner().invoke(cli, ["--course", str(assignment.root.parent), "grade", "--assignment",
                                    assignment.id, "--out", str(tmp_path / "x"), "--executor", "dask",
                                    str(paths[0])], env={"DASK_SCHEDULER_ADDRESS": ""})
    assert done.exit_code == 2 and "--scheduler" in done.output


@pytest.mark.skipif(not nbgrader_available(), reason="nbgrader is not installed")
def test_nbgrader_grade_on_the_cluster(course: tuple[Assignment, list[Path]], cluster: Any, tmp_path: Path) -> None:
    """``autograder nbgrader grade --scheduler``: the kit's results come back from the cluster and
    nbgrader writes them into the gradebook."""
    import nbformat

    from autograder.platforms.dask_executor import dask_executor
    from autograder.platforms.nbgrader_course import write_course
    from autograder.platforms.nbgrader_grade import grade_course
    from autograder.platforms.nbgrader_place import place
    from autograder.platforms.nbgrader_source import course_notebook
    from tests.grading.builders import TINY_POINTS
    from tests.nbgrader.test_nbgrader_course import _isolated_env

    assignment, _ = course
    _, client = cluster
    (tmp_path / "tmp").mkdir()
    root = tmp_path / "nbcourse"
    write_course([assignment], root, kit_course=assignment.root.parent)
    nbformat.write(course_notebook(assignment), tmp_path / "ada.ipynb")
    place(root, assignment, [tmp_path / "ada.ipynb"])
    report = grade_course(root, assignment, executor=dask_executor(client), env=_isolated_env(tmp_path))
    assert report.all_graded, report
    assert [(s.student, s.score) for s in report.students] == [("ada", TINY_POINTS)]


def test_a_worker_with_several_threads_gives_the_pools_results(tmp_path: Path) -> None:
    """Dask's default worker runs one task per thread: several students graded at once in one process.
    The trusted side keeps per-process state (pytest's modules, redirected output), so a threaded worker
    must grade one submission at a time and give exactly what the local pool gives."""
    from autograder.assignment import get_assignment
    from autograder.platforms.dask_executor import dask_executor
    from autograder.solution_cache import solution_source

    assignment = get_assignment("backprop")
    source = solution_source(assignment)
    paths = [submission_file(tmp_path / "subs", f"twin{k}.py", source) for k in range(3)]
    paths.append(submission_file(tmp_path / "subs", "broken.py", source.replace("def mse_loss", "def _mse")))
    local = {r.student_id: r for r in grade_batch(assignment, paths, tmp_path / "local", jobs=2).results}
    with distributed.LocalCluster(n_workers=1, threads_per_worker=4, processes=True, dashboard_address=None,
                                  silence_logs=50) as cluster, distributed.Client(cluster) as client:
        remote = {r.student_id: r for r in grade_batch(assignment, paths, tmp_path / "dask",
                                                         executor=dask_executor(client)).results}
        leaked = client.run(lambda: __import__("sys").stdout is __import__("sys").__stdout__)
    assert sorted(remote) == sorted(local)
    for student, result in local.items():
        assert _comparable(remote[student]) == _comparable(result), student
    assert {remote[f"twin{k}"].score for k in range(3)} == {assignment.total_points}
    assert all(leaked.values()), "a worker's sys.stdout was left redirected"


def _drop_the_secret() -> None:
    os.environ.pop("AUTOGRADER_VARIANT_SECRET", None)


def _secret_here() -> str | None:
    return os.environ.get("AUTOGRADER_VARIANT_SECRET")


def test_workers_grade_the_code_and_the_client_the_sheet_so_workers_need_no_secret(cluster: Any,
                                                                                    tmp_path: Path) -> None:
    """The course secret stays on the instructor's machine: workers without it still give every
    student the sheet's points of their own variant."""
    from autograder.assignment import get_assignment
    from autograder.platforms.dask_executor import dask_executor
    from autograder.questions.answers import ANSWERS_NAME, key_answers
    from autograder.questions.api import course_secret, load_config, student_sheet
    from autograder.questions.graded import SHEET_SKILLS
    from autograder.solution_cache import solution_source

    _, client = cluster
    client.run(_drop_the_secret)
    assert not any(client.run(_secret_here).values())
    vanishing = get_assignment("vanishing")
    config = load_config(vanishing)
    paths = []
    for student in ("ada", "ben"):
        folder = tmp_path / "subs" / student
        folder.mkdir(parents=True)
        (folder / "vanishing.py").write_text(solution_source(vanishing))
        sheet = student_sheet(vanishing, config, student, course_secret(config))
        (folder / ANSWERS_NAME).write_text(key_answers(sheet))
        paths.append(folder)
    report = grade_batch(vanishing, paths, tmp_path / "out", executor=dask_executor(client))
    for result in report.results:
        assert result.graded, result.detail
        assert {t.group for t in result.tests} >= set(SHEET_SKILLS)
        assert result.score == pytest.approx(vanishing.total_points + config.total_points)


def test_a_worker_grades_in_the_sandbox_whatever_its_environment(course: tuple[Assignment, list[Path]],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """AUTOGRADER_ISOLATION=none left in a worker's environment never runs a student's file unconfined."""
    import hashlib

    from autograder.platforms import dask_executor
    from autograder.platforms.dask_executor import course_zip, grade_on_worker, submission_payload
    from autograder.sandbox.isolation import ISOLATION_ENV, own_machine_requested

    assignment, paths = course
    seen: list[bool] = []

    class Recording:
        """The warm grading process inherits this environment when it starts: record it."""

        def grade(self, *args: object) -> None:
            seen.append(own_machine_requested())

    monkeypatch.setenv(ISOLATION_ENV, "none")
    monkeypatch.setattr(dask_executor, "_warm_grader", Recording)
    archive = course_zip(assignment)
    grade_on_worker(hashlib.sha256(archive).hexdigest(), archive, assignment.id, paths[0].stem,
                    submission_payload(paths[0]))
    assert seen == [False]
