"""A warm grading process for a caller that cannot fork: ``WarmGrader`` and its server, ``main``.

A local pool worker grades each submission in a fork of a warm process
(``autograder.grading.warm``): the suite collected, the reference's values cached, one sandbox
kept running. A process that runs threads (a Dask worker: its event loop, its task threads)
must not fork, and grading cold costs it an order of magnitude more per submission. So it
starts one child process, ``python -m autograder.grading.serve``, which runs no thread of its
own when it forks and therefore grades like a pool worker, and hands it one submission at a
time: a JSON line on its stdin names the assignment folder, the submission and a file for the
result; the server pickles the ``GradeResult`` into that file and answers ``done`` on its own
channel (whatever the grading code prints goes to stderr). Both sides are the kit's own code
on the same machine; student code runs only in the sandbox the server starts.

The server ends when its stdin closes, so it dies with the process that started it. A server
that dies mid-grade is started again and the submission sent once more; a second death is that
submission's kit failure (``GraderDied``), as a dying pool is for the local pool.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path
from typing import IO

from autograder.grading.results import GradeResult

DONE = b"done\n"
ATTEMPTS = 2
"""Servers a submission is sent to before their deaths are its kit failure."""


class GraderDied(RuntimeError):
    """The warm grading process died while grading a submission, every time it was tried."""


class WarmGrader:
    """One warm grading process, started on first use and again if it dies; one submission at a
    time (a lock), whichever thread asks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._scratch = Path(tempfile.mkdtemp(prefix="autograder-serve-"))

    def grade(self, assignment_root: Path, submission: Path) -> GradeResult:
        """The result of grading ``submission`` against the assignment in ``assignment_root``."""
        with self._lock:
            for _ in range(ATTEMPTS):
                result = self._ask(assignment_root, submission)
                if result is not None:
                    return result
                self.close()
            raise GraderDied(f"the warm grading process died while grading this submission "
                             f"({ATTEMPTS} times)")

    def _ask(self, assignment_root: Path, submission: Path) -> GradeResult | None:
        process = self._started()
        answer = self._scratch / f"{uuid.uuid4().hex}.pickle"
        request = {"assignment": str(assignment_root), "submission": str(submission), "result": str(answer)}
        stdin, stdout = _pipes(process)
        try:
            stdin.write(json.dumps(request).encode("utf-8") + b"\n")
            stdin.flush()
            line = stdout.readline()
        except OSError:
            return None
        if line != DONE:
            return None
        try:
            result = pickle.loads(answer.read_bytes())  # written by the kit's own server, never by a student
        finally:
            answer.unlink(missing_ok=True)
        return result if isinstance(result, GradeResult) else None

    def _started(self) -> subprocess.Popen[bytes]:
        if self._process is None or self._process.poll() is not None:
            self._process = subprocess.Popen([sys.executable, "-m", "autograder.grading.serve"],
                                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True)
        return self._process

    def close(self) -> None:
        """Stop the server (it is started again when next needed)."""
        process, self._process = self._process, None
        if process is None:
            return
        stdin, _ = _pipes(process)
        try:
            stdin.close()  # the server ends at the end of its input
            process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()


def _pipes(process: subprocess.Popen[bytes]) -> tuple[IO[bytes], IO[bytes]]:
    assert process.stdin is not None and process.stdout is not None
    return process.stdin, process.stdout


def main() -> None:
    """The server: grade each requested submission in a fork of this warm process. An assignment's
    sandbox starts as its first request arrives, before the grading code (numpy, pytest) is
    imported: it boots meanwhile, as a batch's do (``warm.start_sandboxes_ahead``)."""
    from autograder.assignment import load_manifest
    from autograder.grading.warm import enable_forking, keep_sandbox_warm

    answers = os.dup(1)
    os.dup2(2, 1)  # anything the grading code prints goes to stderr, never into the answers
    sys.stdout = sys.stderr
    enable_forking()
    assignments = {}
    for line in sys.stdin.buffer:
        request = json.loads(line)
        root, submission = Path(request["assignment"]), Path(request["submission"])
        if root not in assignments:
            assignments[root] = load_manifest(root)
            keep_sandbox_warm(assignments[root])
        from autograder.grading.batch import kit_failure
        from autograder.grading.grade import grade_submission

        try:
            result = grade_submission(assignments[root], submission)
        except Exception as err:  # one submission must never stop the server
            result = kit_failure(assignments[root], submission.stem, err)
        Path(request["result"]).write_bytes(pickle.dumps(result))
        os.write(answers, DONE)


if __name__ == "__main__":
    main()
