"""The README's nbgrader block, run as it stands in a fresh directory, ends with the kit's scores.

Its ``bash`` block under "Grading on nbgrader" is run with ``bash -e`` (this
interpreter's scripts first on PATH, HOME and Jupyter's folders in the test's
temporary folder, the clone at ``~/dl-gradekit`` as the README assumes, no
``AUTOGRADER_COURSE``: ``init --course`` records the course, ``place`` and ``grade``
read it); then ``grades.csv`` holds ``demo`` at the full marks of the manifest,
and nbgrader wrote the feedback.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from autograder.assignment import COURSE_ENV, get_assignment
from autograder.platforms.nbgrader_course import nbgrader_available, nbgrader_environment, read_grades
from tests.nbgrader.test_nbgrader_course import _isolated_env

README = Path(__file__).resolve().parents[2] / "README.md"


def nbgrader_block() -> str:
    section = README.read_text(encoding="utf-8").split("## Grading on nbgrader", 1)[1]
    match = re.search(r"```bash\n(.*?)```", section, flags=re.DOTALL)
    assert match, "no bash block in the README's nbgrader section"
    return match.group(1)


def test_the_block_uses_the_commands_in_order() -> None:
    lines = [line for line in nbgrader_block().splitlines() if line.strip()]
    order = ["autograder --course ~/dl-gradekit/assignments nbgrader init", "nbgrader generate_assignment",
             "autograder nbgrader place",
             "autograder nbgrader grade", "nbgrader export", "nbgrader generate_feedback"]
    positions = [next(i for i, line in enumerate(lines) if line.startswith(step)) for step in order]
    assert positions == sorted(positions)


@pytest.mark.slow
@pytest.mark.skipif(not nbgrader_available(), reason="nbgrader is not installed")
def test_the_readme_block_ends_with_the_kits_scores(tmp_path: Path) -> None:
    (tmp_path / "tmp").mkdir()
    work = tmp_path / "fresh"
    work.mkdir()
    env = nbgrader_environment(_isolated_env(tmp_path))
    # as the README says: the clone in ~/dl-gradekit, no AUTOGRADER_COURSE, a fresh folder outside the clone
    env.pop(COURSE_ENV, None)
    home = Path(env["HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "dl-gradekit").symlink_to(README.parent)
    assert not work.resolve().is_relative_to(README.parent.resolve())
    done = subprocess.run(["bash", "-e", "-c", nbgrader_block()], cwd=work, env=env, capture_output=True,
                          text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    grades = read_grades(work / "course" / "grades.csv")
    total = get_assignment("activations").total_points
    assert (grades["activations", "demo"].score, grades["activations", "demo"].max_score) == (total, total)
    assert (work / "course" / "feedback" / "demo" / "activations" / "activations.html").is_file()
