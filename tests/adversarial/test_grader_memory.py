"""A submission cannot inflate the trusted grader's memory with what it returns.

The attack: return a 60 MB array (just under the 64 MiB frame limit) from every
call. Each failing test's exception has frames holding the decoded array; if
the grader kept them, every failing test would add 60 MB (one such function
lifted the grader to 1.7 GB, every function to over 20 GB). The grader keeps
only plain strings per test, so its peak stays near one call's working set.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .corpus import write_submission

pytestmark = pytest.mark.slow

MIB = 1024 * 1024
MAX_GROWTH = 1024 * MIB
"""Peak RSS the grading process may gain while grading the hostile submission."""

HUGE_RELU = """
def relu(x, *args, **kwargs):
    return np.ones(7_500_000)  # 60 MB of float64 on every call
"""
SMALL_RELU = """
def relu(x, *args, **kwargs):
    return np.ones(3)  # the same mistake, 24 bytes
"""

MEASURE = """
import json, resource, sys
from pathlib import Path
from autograder.assignment import get_assignment
from autograder.grading.grade import grade_submission
import reference, autograder.grading.run  # imported before the baseline, as in a pool worker
assignment = get_assignment("activations")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
result = grade_submission(assignment, Path(sys.argv[1]))
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"growth": peak - before, "graded": result.graded, "error": result.error,
                  "passed": [[t.name, t.passed] for t in result.tests]}))
"""


def _grade_in_fresh_process(path: Path) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True,
                          timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_returning_60_mb_on_every_call_does_not_grow_the_grader(tmp_path: Path, base_source: str) -> None:
    hostile = _grade_in_fresh_process(write_submission(tmp_path, "hoarder", base_source + HUGE_RELU))
    twin = _grade_in_fresh_process(write_submission(tmp_path, "twin", base_source + SMALL_RELU))
    print(f"\ngrader peak RSS growth: hostile {hostile['growth'] / MIB:.0f} MiB, "
          f"twin {twin['growth'] / MIB:.0f} MiB")

    assert hostile["growth"] < MAX_GROWTH
    assert hostile["graded"] and not hostile["error"]
    assert hostile["passed"] == twin["passed"]
    assert any(not passed for _, passed in hostile["passed"])  # type: ignore[union-attr]
