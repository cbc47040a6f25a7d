"""Builders shared by the grading, CLI and validation tests.

* ``write_suite`` / ``TINY_SUITE``: a tiny hidden suite (a few sandbox calls, so
  grading one submission costs about a second, not the 3-5 s of a real suite);
* ``tiny_assignment``: a copy of the bundled ``activations`` assignment in a
  temporary folder whose hidden and public suites are replaced by tiny ones;
* ``submission_file``: a submission ``.py`` written from dedented source;
* ``outcome`` / ``result``: plain ``CaseOutcome`` / ``GradeResult`` records for
  the pure formatting code (results, feedback, gradebook).
"""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

from autograder.assignment import Assignment, get_assignment, load_manifest
from autograder.grading.outcomes import CaseOutcome
from autograder.grading.results import GradeResult

BUNDLED = get_assignment("activations")

TINY_SUITE = '''\
"""Three points: sigmoid (2, over two cases) and relu (1)."""

import numpy as np
import pytest

from autograder.suite import assert_close, derive
from reference.activations import get_activation

SIGMOID = get_activation("sigmoid")
RELU = get_activation("relu")


@pytest.mark.skill("sigmoid")
@pytest.mark.parametrize("x", [-2.0, 3.0], ids=lambda x: f"x={x:g}")
def test_sigmoid(student, x):
    xs = np.array([x])
    assert_close(student.sigmoid(xs), derive(SIGMOID.__call__, xs), call=f"sigmoid(x={x:g})",
                 hint="sigmoid(x) = 1/(1+e^-x)")


@pytest.mark.skill("relu")
def test_relu(student):
    xs = np.array([-1.0, 2.0])
    assert_close(student.relu(xs), derive(RELU.__call__, xs), call="relu(x=[-1, 2])",
                 hint="relu(x) = max(0, x)")
'''
TINY_SKILLS = {"sigmoid": 2.0, "relu": 1.0}
TINY_POINTS = sum(TINY_SKILLS.values())

TINY_PUBLIC = '''\
import numpy as np
import pytest

from autograder.suite import assert_close, derive
from reference.activations import get_activation


@pytest.mark.skill("sigmoid")
def test_sigmoid_at_zero(student):
    xs = np.array([0.0])
    assert_close(student.sigmoid(xs), derive(get_activation("sigmoid").__call__, xs),
                 call="sigmoid(x=0)")
'''

GOOD = '''\
import numpy as np


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def relu(x):
    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)
'''
"""Passes every test of ``TINY_SUITE``."""

WRONG_RELU = GOOD.replace("np.maximum(np.asarray(x, dtype=np.float64), 0.0)",
                          "np.asarray(x, dtype=np.float64)")
"""Passes the sigmoid cases, fails ``relu``."""


def source(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def write_suite(folder: Path, **files: str) -> Path:
    """``folder`` holding ``files`` (``test_x="..."`` -> ``test_x.py``), dedented."""
    folder.mkdir(parents=True, exist_ok=True)
    for stem, text in files.items():
        (folder / f"{stem}.py").write_text(source(text), encoding="utf-8")
    return folder


def submission_file(folder: Path, name: str, text: str) -> Path:
    """The submission ``folder/name`` holding ``text`` (dedented)."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source(text), encoding="utf-8")
    return path


def skills_toml(skills: dict[str, float]) -> str:
    """``[[skill]]`` tables for ``skills`` (name -> points)."""
    return "".join(f'\n[[skill]]\nname = "{name}"\npoints = {points!r}\ntitle = "{name}"\n'
                   for name, points in skills.items())


def tiny_assignment(base: Path, *, hidden: dict[str, str] | None = None,
                    public: dict[str, str] | None = None,
                    skills: dict[str, float] | None = None,
                    total_points: float | None = None) -> Assignment:
    """A copy of ``activations`` under ``base/activations`` with replaced suites and skills.

    ``skills`` (name -> points) default to ``TINY_SKILLS``; ``total_points`` to their sum.
    ``hidden`` / ``public`` map file stems to source; by default the tiny suites above.
    The instructor's ``source.py`` is the bundled one, so ``solution_source`` and
    ``stub_source`` work on the copy.
    """
    root = base / "activations"
    shutil.copytree(BUNDLED.root, root, ignore=shutil.ignore_patterns("__pycache__", "samples", "tests", "timing.toml"))
    manifest = root / "manifest.toml"
    skills = TINY_SKILLS if skills is None else skills
    total = sum(skills.values()) if total_points is None else total_points
    text = manifest.read_text(encoding="utf-8").split("\n[[skill]]", 1)[0]
    text = re.sub(r"(?m)^total_points = .*$", f"total_points = {total!r}", text)
    manifest.write_text(text + skills_toml(skills), encoding="utf-8")
    write_suite(root / "tests" / "hidden", **(hidden if hidden is not None else {"test_tiny": TINY_SUITE}))
    write_suite(root / "tests" / "public", **(public if public is not None else {"test_public": TINY_PUBLIC}))
    return load_manifest(root)


def outcome(name: str = "sigmoid[x=0]", group: str = "sigmoid", max_score: float = 1.0,
            passed: bool = True, message: str = "", kind: str = "assertion",
            earned: float | None = None, misconception: str = "") -> CaseOutcome:
    """A priced case: ``earned`` defaults to ``max_score`` when it passed, else 0."""
    gained = (max_score if passed else 0.0) if earned is None else earned
    return CaseOutcome(name=name, group=group, max_score=max_score, passed=passed,
                       message=message, kind=kind, earned=gained, misconception=misconception)


def result(*tests: CaseOutcome, student_id: str = "alice", max_score: float | None = None,
           error: str = "", error_kind: str = "", warnings: tuple[str, ...] = (),
           student_output: str = "", detail: str = "") -> GradeResult:
    total = sum(t.max_score for t in tests) if max_score is None else max_score
    return GradeResult(student_id=student_id, assignment_id="activations", tests=tuple(tests),
                       max_score=total, execution_time=1.23456, sandbox="bwrap", error=error,
                       error_kind=error_kind, warnings=warnings, student_output=student_output,
                       detail=detail)
