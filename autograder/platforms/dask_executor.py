"""Grade a batch on a Dask distributed cluster: ``autograder grade ... --scheduler tcp://HOST:PORT``.

``dask_executor(address)`` is an ``autograder.grading.batch.Executor``: the
batch (``grade_batch``) hands it the submissions and writes every result itself,
on the client, atomically, as they come back (``--resume`` and the progress bar
work as they do locally). On the cluster:

* each submission is one task running ``grade_submission``, the same pure
  function the local pool runs, in the worker's warm grading process
  (``autograder.grading.serve``): a Dask worker runs threads, so it must not fork
  itself, but that child runs none and grades each submission in a fork of
  itself, warm, as a pool worker does. A worker process grades one submission at
  a time whatever its thread count (the child takes one at a time): extra threads
  would only wait; start workers with ``--nthreads 1`` and as many processes as
  cores (``--nworkers N``);
* the workers need the kit (``pip install dl-gradekit[dask]``, the same
  version as the client: checked before anything is sent) and bubblewrap, but
  neither the course folder nor the submissions: each task carries the
  submission's bytes, and the assignment's course folder (manifest, suites,
  misconceptions) travels as a zip that each worker unpacks once into a
  private temporary folder;
* a worker that dies mid-batch costs a retry, not a result: Dask reschedules
  the tasks it held; a task whose workers keep dying (Dask's ``KilledWorker``,
  after ``distributed.scheduler.allowed-failures``) is sent again, up to
  ``MAX_ATTEMPTS`` times in all, and after that is that student's kit failure
  (``error_kind: grader``, graded again by ``--resume``), never a lost result.

``dask`` and ``distributed`` are an optional extra (``dl-gradekit[dask]``);
nothing here imports them before a batch starts.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
import threading
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from autograder import __version__
from autograder.assignment import Assignment, load_manifest
from autograder.grading.batch import Executor, Record, kit_failure
from autograder.grading.results import GradeResult
from autograder.grading.serve import WarmGrader
from autograder.wording import plural

MAX_ATTEMPTS = 3
"""Times one submission is sent to the cluster before a dying worker counts as its kit failure."""
SKIPPED = frozenset({"__pycache__", "samples", ".pytest_cache", ".ipynb_checkpoints"})
MAX_SUBMISSION_BYTES = 256 * 1024 * 1024


class DaskUnavailable(RuntimeError):
    """No usable cluster: dask is not installed, the scheduler cannot be reached, or its workers differ."""


# -- what travels -------------------------------------------------------------------------------------

def course_zip(assignment: Assignment) -> bytes:
    """The assignment's folder (``<id>/...``: manifest, source, suites, misconceptions) as a zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(assignment.root.rglob("*")):
            relative = path.relative_to(assignment.root)
            if path.is_file() and not path.is_symlink() and not SKIPPED.intersection(relative.parts) \
                    and path.suffix != ".pyc":
                info = zipfile.ZipInfo(str(PurePosixPath(assignment.id, *relative.parts)), (2020, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def submission_payload(path: Path) -> dict[str, Any]:
    """``path`` (a file or a folder of one student) as its name and files, for a worker to rebuild."""
    path = Path(path)
    if path.is_dir():
        files = {str(PurePosixPath(p.relative_to(path).as_posix())): p.read_bytes()
                 for p in sorted(path.rglob("*")) if p.is_file() and not p.is_symlink()}
        kind = "folder"
    else:
        files = {path.name: path.read_bytes()}
        kind = "file"
    if sum(len(data) for data in files.values()) > MAX_SUBMISSION_BYTES:
        raise ValueError(f"{path} is larger than {MAX_SUBMISSION_BYTES // 1024 // 1024} MiB")
    return {"name": path.name, "kind": kind, "files": files}


# -- on a worker --------------------------------------------------------------------------------------

_COURSES: dict[str, Path] = {}
_COURSES_LOCK = threading.Lock()


def _course_root(digest: str, archive: bytes) -> Path:
    """The course zip unpacked once per worker process, in a private temporary folder."""
    with _COURSES_LOCK:
        folder = _COURSES.get(digest)
        if folder is None or not folder.is_dir():
            folder = Path(tempfile.mkdtemp(prefix=f"autograder-course-{digest[:12]}-"))
            with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
                for info in bundle.infolist():
                    target = folder.joinpath(*PurePosixPath(info.filename).parts)
                    if ".." in PurePosixPath(info.filename).parts or not target.resolve().is_relative_to(folder):
                        raise ValueError(f"unsafe path {info.filename!r} in the course zip")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(bundle.read(info))
            _COURSES[digest] = folder
        return folder


_WARM: list[WarmGrader] = []


def _warm_grader() -> WarmGrader:
    """This worker process's warm grading process (``autograder.grading.serve``): a Dask worker runs
    threads, so it must not fork itself, and grading each submission cold costs it an order of
    magnitude more than a pool worker's fork."""
    with _COURSES_LOCK:
        if not _WARM:
            _WARM.append(WarmGrader())
        return _WARM[0]


def grade_on_worker(digest: str, archive: bytes, assignment_id: str, student: str,
                    submission: dict[str, Any]) -> GradeResult:
    """One task: rebuild the assignment and the submission here, and grade them in the warm process
    (the code only: the client grades the question sheet, so workers never hold the course secret)."""
    from autograder.sandbox.isolation import ISOLATION_ENV

    os.environ[ISOLATION_ENV] = "sandbox"  # students' files: never the own-machine worker, whatever the worker's env
    assignment = load_manifest(_course_root(digest, archive) / assignment_id)
    scratch = Path(tempfile.mkdtemp(prefix="autograder-submission-"))
    try:
        target = scratch / submission["name"]
        if submission["kind"] == "folder":
            target.mkdir()
        for relative, data in submission["files"].items():
            parts = PurePosixPath(relative).parts
            if ".." in parts or PurePosixPath(relative).is_absolute():
                continue
            destination = target.joinpath(*parts) if submission["kind"] == "folder" else target
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(data)
        try:
            return _warm_grader().grade(assignment.root, target)
        except Exception as err:  # one submission must never stop the batch
            return kit_failure(assignment, student, err)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _kit_version() -> str:
    return __version__


# -- on the client ------------------------------------------------------------------------------------

def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise DaskUnavailable("grading on a Dask cluster needs dask's distributed scheduler: "
                              "pip install 'dl-gradekit[dask]'") from None
    return distributed


def _check_workers(client: Any) -> None:
    versions = client.run(_kit_version)
    if not versions:
        raise DaskUnavailable(f"the Dask cluster at {client.scheduler.address} has no workers")
    strangers = {worker: version for worker, version in versions.items() if version != __version__}
    if strangers:
        raise DaskUnavailable(f"Dask workers run another dl-gradekit than this client ({__version__}): "
                              + ", ".join(f"{w}: {v}" for w, v in sorted(strangers.items())))


def dask_executor(scheduler: str | Any, *, max_attempts: int = MAX_ATTEMPTS,
                  on_submit: Callable[[str], None] | None = None) -> Executor:
    """An ``Executor`` grading on the Dask cluster whose scheduler is at ``scheduler``
    (``tcp://host:8786``), or through an existing ``distributed.Client``.

    ``on_submit`` hears each student's name as the task is sent (tests use it to
    kill a worker mid-batch).
    """
    distributed = _import_distributed()

    def run(assignment: Assignment, todo: dict[str, Path], record: Record) -> None:
        if not todo:
            return
        own = isinstance(scheduler, str)
        try:
            client: Any = distributed.Client(scheduler, timeout="30s") if own else scheduler
        except (OSError, TimeoutError) as err:
            raise DaskUnavailable(f"cannot reach the Dask scheduler at {scheduler}: {err}") from None
        try:
            _check_workers(client)
            _grade_all(distributed, client, assignment, todo, record, max_attempts, on_submit)
        finally:
            if own:
                client.close()

    return run


def _grade_all(distributed: Any, client: Any, assignment: Assignment, todo: dict[str, Path], record: Record,
               max_attempts: int, on_submit: Callable[[str], None] | None) -> None:
    """Grade ``todo``'s code on the workers; the question sheet, plain data read here, on this machine,
    so the course secret that derives each student's variant never leaves it."""
    from autograder.questions.graded import with_sheet

    archive = course_zip(assignment)
    digest = hashlib.sha256(archive).hexdigest()
    attempts = dict.fromkeys(todo, 0)
    pending: dict[Any, str] = {}

    def submit(student: str) -> Any:
        attempts[student] += 1
        try:
            payload = submission_payload(todo[student])
        except (OSError, ValueError) as err:
            record(student, kit_failure(assignment, student, f"reading the submission: {err}"))
            return None
        future = client.submit(grade_on_worker, digest, archive, assignment.id, student, payload,
                               key=f"grade-{assignment.id}-{student}-{uuid.uuid4().hex[:8]}", pure=False)
        pending[future] = student
        if on_submit is not None:
            on_submit(student)
        return future

    futures = [f for f in (submit(student) for student in todo) if f is not None]
    queue = distributed.as_completed(futures)
    for future in queue:
        student = pending.pop(future)
        try:
            result = with_sheet(assignment, future.result(), todo[student], student)
        except distributed.KilledWorker:
            if attempts[student] < max_attempts:
                again = submit(student)
                if again is not None:
                    queue.add(again)
                continue
            result = kit_failure(assignment, student, f"the Dask workers grading this submission died "
                                                      f"every time it was tried ({plural(attempts[student], 'time')})")
        except Exception as err:  # a task that raised, or a result that could not come back
            result = kit_failure(assignment, student, err)
        finally:
            future.release()
        record(student, result)


def worker_count(client: Any) -> int:
    """How many workers the cluster has now (for messages)."""
    return len(client.scheduler_info().get("workers", {}))


__all__ = ["DaskUnavailable", "MAX_ATTEMPTS", "course_zip", "dask_executor", "grade_on_worker",
           "submission_payload", "worker_count"]
