"""What the submission attempted, counted by the worker's audit hook (``autograder/sandbox/seen.py``).

Real sandbox runs: a submission that reads ``/etc/passwd``, lists ``/`` and tries the network,
catching every refusal itself, is still flagged under needs-a-look with full marks; the same
attempts made inside a graded call are counted from the call's response; the bundled honest
samples show nothing. The worker's counts are untrusted: ``parse_seen`` turns anything
malformed into nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from autograder.assignment import get_assignment
from autograder.grading.grade import grade_submission
from autograder.sandbox import SandboxSession
from autograder.sandbox.wire import MAX_SEEN_COUNT, MAX_SEEN_EXAMPLES, parse_seen

ACTIVATIONS = get_assignment("activations")
SAMPLES = ACTIVATIONS.root / "samples"
SNOOP = '''
import os, socket

def snoop():
    for attempt in (lambda: open("/etc/passwd").read(), lambda: os.listdir("/"),
                    lambda: socket.create_connection(("example.org", 80), timeout=1)):
        try:
            attempt()
        except OSError:
            pass
'''


@pytest.mark.slow
def test_caught_refusals_at_load_are_flagged_even_with_full_marks(tmp_path: Path) -> None:
    path = tmp_path / "snooper.py"
    path.write_text((SAMPLES / "correct.py").read_text(encoding="utf-8") + SNOOP + "\nsnoop()\n", encoding="utf-8")
    result = grade_submission(ACTIVATIONS, path)
    assert result.max_score > 0 and result.score == pytest.approx(result.max_score)
    seen = [r for r in result.needs_look if r.startswith("tried to")]
    assert len(seen) == 1, result.needs_look
    for words in ("read files outside the submission (1)", "list folders outside the submission (1)",
                  "use the network", "/etc/passwd"):
        assert words in seen[0]


@pytest.mark.parametrize("kind", [None, "none"], ids=["sandbox", "own-machine"])
def test_attempts_inside_a_call_are_counted_from_its_response(kind: str | None) -> None:
    with SandboxSession(SNOOP, kind=kind) as session:  # type: ignore[arg-type]
        assert session.start().ok
        assert session.seen == ({}, ())
        session.call("snoop")
        counts, examples = session.seen
    assert counts.get("files") == 1 and counts.get("listing") == 1 and counts.get("network", 0) >= 1
    assert "/etc/passwd" in examples and "/" in examples


@pytest.mark.slow
@pytest.mark.parametrize("sample", ["correct.py", "partial.py", "unstable.py", "wrong_derivatives.py",
                                    "notebook.ipynb"])
def test_honest_samples_show_nothing(sample: str) -> None:
    result = grade_submission(ACTIVATIONS, SAMPLES / sample)
    assert not [r for r in result.needs_look if r.startswith("tried to")], result.needs_look


@pytest.mark.parametrize("raw", [None, 3, "files", {"counts": []}, {"counts": {}, "examples": "x"},
                                 {"counts": {"files": "9"}, "examples": []},
                                 {"counts": {"files": -1, "bogus": 4}, "examples": []}])
def test_malformed_counts_are_nothing(raw: object) -> None:
    assert parse_seen(raw) == ({}, ())


def test_counts_and_examples_are_bounded() -> None:
    counts, examples = parse_seen({"counts": {"files": 10**12}, "examples": ["/x\x00" + "y" * 500] * 9})
    assert counts == {"files": MAX_SEEN_COUNT}
    assert len(examples) == MAX_SEEN_EXAMPLES and all(e.isprintable() and len(e) < 120 for e in examples)
