"""Every hostile submission scores exactly like its honest twin and harms nothing."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from autograder.assignment import Assignment
from autograder.grading.batch import grade_batch, written_result
from autograder.grading.results import GradeResult
from autograder.sandbox import sandbox_kind, sandbox_kind_reason

from .conftest import pass_vector, processes_mentioning
from .corpus import BROKEN_FILES, CASES, HostileCase, write_submission

pytestmark = pytest.mark.slow
BOUND_SECONDS = 60.0
"""No single hostile submission may take longer than this to grade."""


class Listener:
    """A loopback TCP listener that records every connection it accepts."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.received: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            with conn:
                self.received.append(conn.recv(1024) or b"<connected>")

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.server.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    probe = Listener()
    yield probe
    probe.close()


def _context(assignment: Assignment, out_dir: Path, student: str, listener: Listener) -> dict[str, object]:
    repo = Path(__file__).resolve().parents[2]
    secrets = sorted(str(p) for p in assignment.hidden_tests.glob("*.py"))
    secrets += [str(assignment.source_path), str(repo / "reference" / "activations.py")]
    targets = [str(out_dir), str(out_dir / student), "/tmp", ".", str(repo)]
    return {"port": listener.port, "secret_paths": secrets, "write_targets": targets}


@pytest.fixture(scope="module")
def twin_results(tmp_path_factory: pytest.TempPathFactory, base_source: str,
                 grade: Callable[[Path], GradeResult]) -> dict[str, GradeResult]:
    """Each distinct honest twin graded once."""
    folder = tmp_path_factory.mktemp("twins")
    twins = {case.twin for case in CASES}
    return {twin: grade(write_submission(folder, f"twin{i}", base_source + "\n" + twin))
            for i, twin in enumerate(sorted(twins))}


def _skip_without_bwrap(case: HostileCase) -> None:
    if case.needs_bwrap and sandbox_kind() != "bwrap":
        pytest.skip(f"{case.name}: the fallback sandbox cannot stop this ({case.attempt}); see launcher")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_hostile_submission_scores_like_its_honest_twin(
        case: HostileCase, tmp_path: Path, base_source: str, assignment: Assignment,
        twin_results: dict[str, GradeResult], listener: Listener) -> None:
    _skip_without_bwrap(case)
    student = f"hostile_{case.name}_{uuid.uuid4().hex[:8]}"
    out_dir = tmp_path / "graded"
    path = write_submission(tmp_path, student, case.source(base_source, **_context(
        assignment, out_dir, student, listener)))
    started = time.monotonic()
    report = grade_batch(assignment, [path], out_dir)
    elapsed = time.monotonic() - started

    result, twin = written_result(out_dir, student, assignment), twin_results[case.twin]
    assert result is not None and report.results[0].score == pytest.approx(result.score, abs=1e-9)
    assert result.score == pytest.approx(twin.score, abs=1e-9), case.attempt
    assert pass_vector(result) == pass_vector(twin)
    assert bool(result.error) == bool(twin.error)
    assert result.graded
    assert result.sandbox == sandbox_kind()
    assert elapsed < BOUND_SECONDS
    assert processes_mentioning(student) == []
    assert listener.received == []
    written = json.loads((out_dir / student / "results.json").read_text())
    assert written["score"] == pytest.approx(twin.score, abs=1e-9)
    assert sorted(p.name for p in out_dir.iterdir()) == ["grades.csv", student]
    assert sorted(p.name for p in (out_dir / student).iterdir()) == ["feedback.html", "feedback.md", "results.json"]


def test_ci_grades_inside_bubblewrap() -> None:
    """CI installs bubblewrap, so the corpus there runs against the real sandbox."""
    if os.environ.get("CI") != "true":
        pytest.skip("outside CI the sandbox may legitimately be the fallback")
    assert sandbox_kind() == "bwrap", sandbox_kind_reason()


def test_the_attacks_are_real(base_source: str, twin_results: dict[str, GradeResult]) -> None:
    """The twins differ from the full solution, so "equal to the twin" is not "full marks"."""
    wrong = [r for twin, r in twin_results.items() if twin]
    assert wrong and all(0 <= r.score < r.max_score for r in wrong)


@pytest.mark.parametrize("broken", BROKEN_FILES, ids=lambda b: b.name)
def test_unreadable_submission_scores_zero_with_a_reason(broken, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                         assignment: Assignment) -> None:
    path = tmp_path / broken.filename
    if broken.filename.endswith(".zip"):
        path.write_bytes(broken.content)
    else:
        path.write_bytes(broken.content)
    report = grade_batch(assignment, [path], tmp_path / "graded")
    result = report.results[0]
    assert result.score == 0
    assert broken.error_mentions in result.error
    assert result.error_kind == "submission"
    assert report.all_graded
    feedback = (tmp_path / "graded" / path.stem / "feedback.md").read_text()
    assert broken.error_mentions in feedback
    assert "Traceback" not in feedback


def test_missing_half_the_functions_earns_the_other_half(tmp_path: Path, base_source: str,
                                                         assignment: Assignment,
                                                         grade: Callable[[Path], GradeResult]) -> None:
    dropped = assignment.functions[::2]
    hostile = write_submission(tmp_path, "missing", base_source + f"\ndel {', '.join(dropped)}\n")
    stubs = "".join(f"\ndef {name}(*args, **kwargs):\n    raise NotImplementedError()\n" for name in dropped)
    twin = write_submission(tmp_path, "stubbed", base_source + stubs)
    missing, stubbed = grade(hostile), grade(twin)
    assert 0 < missing.score < missing.max_score
    assert missing.score == pytest.approx(stubbed.score, abs=1e-9)
    assert pass_vector(missing) == pass_vector(stubbed)
    messages = [t.message for t in missing.tests if not t.passed]
    assert any("does not define" in m or dropped[0] in m for m in messages)


def test_the_batch_report_of_slim_results_is_the_report_of_full_ones(
        assignment: Assignment, twin_results: dict[str, GradeResult]) -> None:
    from autograder.report.summary import assignment_info, summarize

    info = assignment_info(assignment.id, assignment)
    results = list(twin_results.values())
    assert summarize([r.for_report() for r in results], info) == summarize(results, info)
