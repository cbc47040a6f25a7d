"""Needs a look: untouched stubs, what the sandbox refused, timeouts, in the table, summary.json and report.html.

One real batch on the tiny assignment (about a second per student, plus the hanging call's
timeout): an untouched stub (comments and blank lines changed), a submission that opens
``/etc/passwd`` and a socket, one that hangs, and an honest one.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from autograder.cli import main
from autograder.grading.needs_look import UNTOUCHED_STUB, describe_refusals, refusals, refused_kind
from autograder.release import stub_source
from tests.grading.builders import GOOD, outcome, tiny_assignment

HOSTILE = GOOD + '''
try:
    secrets = open("/etc/passwd").read()
except OSError:
    secrets = ""
leak = open("/etc/passwd").read()

import socket
socket.socket(socket.AF_INET, socket.SOCK_STREAM).connect(("example.org", 80))
'''
HANGS = GOOD.replace("def relu(x):\n", "def relu(x):\n    while True:\n        pass\n")


def _stub_with_new_comments(stub: str) -> str:
    return "# my work, started\n\n" + re.sub(r"(?m)^(\s*)#.*$", r"\1# edited comment", stub) + "\n\n# the end\n"


def run(*args: str) -> Result:
    return CliRunner(env={"COLUMNS": "400"}).invoke(main, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    base = tmp_path_factory.mktemp("look")
    assignment = tiny_assignment(base / "course")
    manifest = assignment.root / "manifest.toml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace("call_timeout_s = 5.0", "call_timeout_s = 1.0"),
                        encoding="utf-8")
    subs = base / "subs"
    subs.mkdir()
    for student, text in {"stubby": _stub_with_new_comments(stub_source(assignment)), "sneaky": HOSTILE,
                          "stuck": HANGS, "honest": GOOD}.items():
        (subs / f"{student}.py").write_text(text, encoding="utf-8")
    result = run("--course", str(base / "course"), "grade", "--assignment", "activations", "--out",
                 str(base / "out"), "--jobs", "1", *(str(p) for p in sorted(subs.iterdir())))
    assert result.exit_code == 0, result.output
    return base / "out", result


def _summary_reasons(out: Path) -> dict[str, list[str]]:
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return {row["student"]: row["reasons"] for row in summary["needs_look"]}


@pytest.mark.slow
def test_summary_lists_each_flagged_submission_with_its_reasons(graded: tuple[Path, Result]) -> None:
    found = _summary_reasons(graded[0])
    assert set(found) == {"stubby", "sneaky", "stuck"}
    assert found["stubby"] == [UNTOUCHED_STUB]
    assert any(r.startswith("sandbox refused:") and "file access" in r and "network attempt" in r
               for r in found["sneaky"]), found["sneaky"]
    assert any(r.startswith("timed out in relu") for r in found["stuck"]), found["stuck"]


@pytest.mark.slow
def test_the_grade_table_shows_the_reasons(graded: tuple[Path, Result]) -> None:
    lines = {line.split("│")[1].strip(): line for line in graded[1].output.splitlines() if line.count("│") > 4}
    assert "untouched stub" in lines["stubby"]
    assert "sandbox refused" in lines["sneaky"]
    assert "timed out" in lines["stuck"]
    assert lines["honest"].rstrip("│ ").endswith("full marks")  # nothing in its needs-a-look cell


class _NeedsLook(HTMLParser):
    """The rows of report.html's needs-look table: student -> the reasons listed."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[str]] = {}
        self._in_table = self._in_reason = False
        self._student = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "table" and attributes.get("id") == "needs-look":
            self._in_table = True
        elif self._in_table and tag == "tr" and attributes.get("data-student"):
            self._student = str(attributes["data-student"])
            self.rows[self._student] = []
        self._in_reason = self._in_table and tag == "li"

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_table = False
        if tag == "li":
            self._in_reason = False

    def handle_data(self, data: str) -> None:
        if self._in_reason:
            self.rows[self._student].append(data)


@pytest.mark.slow
def test_report_html_lists_the_same_reasons(graded: tuple[Path, Result]) -> None:
    parser = _NeedsLook()
    parser.feed((graded[0] / "report.html").read_text(encoding="utf-8"))
    assert parser.rows == _summary_reasons(graded[0])


@pytest.mark.slow
def test_results_json_keeps_the_reasons_found_while_grading(graded: tuple[Path, Result]) -> None:
    document = json.loads((graded[0] / "stubby" / "results.json").read_text(encoding="utf-8"))
    assert document["extra_data"]["needs_look"] == [UNTOUCHED_STUB]


@pytest.mark.parametrize("text, kind", [
    ("line 3: `open('/etc/passwd')` raised FileNotFoundError: [Errno 2] No such file or directory: '/etc/passwd'",
     "files"),
    ("line 9: `s.connect(('example.org', 80))` raised PermissionError: [Errno 1] Operation not permitted", "network"),
    ("relu() raised PermissionError: [Errno 1] Operation not permitted (in relu: os.fork())", "processes"),
    ("line 2: `ctypes.CDLL(None).ptrace(0)` raised PermissionError: [Errno 1] Operation not permitted",
     "system calls"),
    ("sigmoid(x=0) raised ZeroDivisionError: division by zero", None),
    ("line 4: `open('/tmp/x/data.csv')` raised FileNotFoundError: [Errno 2] No such file or directory: '/tmp/x'",
     None),
])
def test_refusals_are_told_from_ordinary_failures(text: str, kind: str | None) -> None:
    assert refused_kind(text) == kind


def test_refusals_count_failing_student_calls_not_passing_ones() -> None:
    refused = "relu() raised PermissionError: [Errno 1] Operation not permitted: socket"
    counts = refusals((), (outcome("relu[a]", "relu", passed=False, message=refused, kind="student"),
                           outcome("relu[b]", "relu", passed=False, message=refused, kind="student"),
                           outcome("relu[c]", "relu", passed=True, message=refused)))
    assert counts == {"network": 2}
    assert describe_refusals(counts) == "sandbox refused: 2 network attempts"


def _stubbed(source: str) -> bool:
    from autograder.assignment import get_assignment
    from autograder.grading.needs_look import is_untouched_stub
    from autograder.submission import Submission

    submission = Submission(student_id="s", source=source, origin=Path("s.py"))
    return is_untouched_stub(get_assignment("activations"), submission)


def test_an_untouched_stub_is_told_however_it_is_laid_out_and_an_attempt_is_not() -> None:
    from autograder.assignment import get_assignment
    from autograder.solution_cache import solution_source, stub_source

    activations = get_assignment("activations")
    stub = stub_source(activations)
    assert _stubbed(stub)
    commented = stub.replace("    raise NotImplementedError()", "    raise NotImplementedError()  # todo")
    assert _stubbed("# my notes\n\n" + commented)
    last = activations.functions[-1]
    assert not _stubbed(stub + f"\n\ndef {last}(z, axis=-1):\n    return z\n")  # the last one attempted
    assert not _stubbed(stub.replace(f"def {last}(", f"def not_{last}("))  # one missing
    assert not _stubbed(solution_source(activations))
