"""``autograder gradescope build``: the bundle's layout, and its ``run_autograder`` against a folder
laid out like Gradescope's ``/autograder`` (``AUTOGRADER_ROOT``), compared with ``autograder grade``.

``setup.sh`` is checked for syntax only here (it runs apt-get as root); ``run_autograder`` runs for
real, with ``AUTOGRADER_PYTHON`` naming this interpreter in place of the venv ``setup.sh`` makes.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from autograder.assignment import get_assignment
from autograder.cli import main as cli
from autograder.platforms.gradescope import BundleError, build_bundle
from autograder.release import solution_source

ASSIGNMENT = get_assignment("activations")
WRONG_DERIVATIVE = '''

import os
print(f"uid={os.getuid()}")


def sigmoid_derivative(x):
    return sigmoid(x)
'''


def _members(path: Path) -> dict[str, zipfile.ZipInfo]:
    with zipfile.ZipFile(path) as bundle:
        return {info.filename: info for info in bundle.infolist()}


def _layout(bundle: Path, root: Path, submission: Path) -> Path:
    """``root`` as Gradescope lays out /autograder for one submission."""
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
    for name in ("run_autograder", "setup.sh"):
        (root / "source" / name).chmod(0o755)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    shutil.copy2(submission, root / "submission" / submission.name.split("--")[-1])
    (root / "results").mkdir()
    return root


def _run_autograder(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable}
    return subprocess.run([str(root / "run_autograder")], cwd=root.parent, env=env, capture_output=True,
                          text=True, timeout=600, check=False)


def test_the_bundle_has_gradescopes_layout(tmp_path: Path) -> None:
    bundle = build_bundle(ASSIGNMENT, tmp_path / "autograder.zip", pip_spec="dl-gradekit==9.9.9")
    members = _members(bundle.path)
    for script in ("setup.sh", "run_autograder"):
        assert stat.S_IMODE(members[script].external_attr >> 16) == 0o755
    assert "course/activations/manifest.toml" in members
    assert {"course/activations/tests/hidden/test_activations_elementwise.py",
            "course/activations/tests/public/test_public_activations.py",
            "course/activations/misconceptions.toml", "course/activations/source.py"} <= set(members)
    assert not any("/samples/" in name or "__pycache__" in name for name in members)
    assert not any(name.startswith("dist/") for name in members)
    with zipfile.ZipFile(bundle.path) as archive:
        setup = archive.read("setup.sh").decode()
        runner = archive.read("run_autograder").decode()
        described = json.loads(archive.read("bundle.json"))
    assert 'pip install -q "dl-gradekit==9.9.9"' in setup and "bubblewrap" in setup
    assert "--assignment activations" in runner and "AUTOGRADER_ROOT" in runner
    assert described["install"] == "dl-gradekit==9.9.9" and described["points"] == ASSIGNMENT.total_points
    for name, text in (("setup.sh", setup), ("run_autograder", runner)):
        (tmp_path / name).write_text(text)
        assert subprocess.run(["bash", "-n", str(tmp_path / name)], check=False).returncode == 0, name


def test_build_refuses_what_it_should(tmp_path: Path) -> None:
    out = tmp_path / "autograder.zip"
    out.write_text("mine")
    with pytest.raises(BundleError, match="--overwrite"):
        build_bundle(ASSIGNMENT, out, pip_spec="dl-gradekit")
    with pytest.raises(BundleError, match="shell"):
        build_bundle(ASSIGNMENT, out, pip_spec="dl-gradekit; rm -rf /", overwrite=True)
    with pytest.raises(BundleError, match="one"):
        build_bundle(ASSIGNMENT, out, pip_spec="dl-gradekit", wheel=out, overwrite=True)
    assert out.read_text() == "mine"
    done = CliRunner().invoke(cli, ["gradescope", "build", "--assignment", "activations", "--out", str(out),
                                    "--pip", "dl-gradekit"])
    assert done.exit_code == 1 and "--overwrite" in done.output


def test_run_autograder_always_leaves_a_results_json(tmp_path: Path) -> None:
    bundle = build_bundle(ASSIGNMENT, tmp_path / "autograder.zip", pip_spec="dl-gradekit")
    empty = tmp_path / "nothing.txt"
    empty.write_text("no code here\n")
    root = _layout(bundle.path, tmp_path / "autograder", empty)
    done = _run_autograder(root)
    assert done.returncode == 0, done.stdout + done.stderr
    document = json.loads((root / "results" / "results.json").read_text())
    assert document["score"] == 0.0 and document["extra_data"]["error_kind"] == "submission"
    shutil.rmtree(root / "source" / "course")  # a broken bundle: still a results.json, and exit 1
    done = _run_autograder(root)
    assert done.returncode == 1
    assert json.loads((root / "results" / "results.json").read_text())["score"] == 0.0


@pytest.mark.slow
def test_run_autograder_equals_autograder_grade(tmp_path: Path) -> None:
    """The bundle built as an instructor would (the kit's wheel built from this clone), run on a
    partly wrong submission: the same score per skill as ``autograder grade`` on the same file."""
    done = CliRunner().invoke(cli, ["gradescope", "build", "--assignment", "activations", "--out",
                                    str(tmp_path / "autograder.zip")])
    assert done.exit_code == 0, done.output
    members = _members(tmp_path / "autograder.zip")
    (wheel,) = [name for name in members if name.startswith("dist/dl_gradekit-") and name.endswith(".whl")]
    with zipfile.ZipFile(tmp_path / "autograder.zip") as archive:
        assert wheel in archive.read("setup.sh").decode()

    submission = tmp_path / "partly--activations.py"
    submission.write_text(solution_source(ASSIGNMENT) + WRONG_DERIVATIVE, encoding="utf-8")
    root = _layout(tmp_path / "autograder.zip", tmp_path / "container" / "autograder", submission)
    ran = _run_autograder(root)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    bundle_result = json.loads((root / "results" / "results.json").read_text())

    # the course folder named: an installed (not editable) kit finds no clone from tmp_path
    graded = subprocess.run([sys.executable, "-m", "autograder", "--course", str(ASSIGNMENT.root.parent),
                             "grade", "--assignment", "activations",
                             "--out", str(tmp_path / "graded"), "--jobs", "1", str(submission)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False)
    assert graded.returncode == 0, graded.stdout + graded.stderr
    local = json.loads((tmp_path / "graded" / "partly--activations" / "results.json").read_text())

    def per_skill(document: dict) -> dict[str, tuple[float, float]]:  # type: ignore[type-arg]
        return {t["name"]: (t["score"], t["max_score"]) for t in document["tests"]}

    assert per_skill(bundle_result) == per_skill(local)
    assert bundle_result["score"] == local["score"] < 100.0
    assert bundle_result["extra_data"]["misconceptions"] == local["extra_data"]["misconceptions"]
    sandbox = bundle_result["extra_data"]["sandbox"]
    assert sandbox in ("bwrap", "fallback")
    if sandbox == "bwrap" or os.getuid() == 0:  # student code ran as the unprivileged uid 65534
        assert "uid=65534" in bundle_result["extra_data"]["student_output"]


READS_THE_COURSE = '''

try:
    with open({path!r}, encoding="utf-8") as _secret:
        print("LEAKED:" + _secret.read(2000))
except OSError as _err:
    print(f"DENIED: {{type(_err).__name__}}")
'''


@pytest.mark.skipif(os.geteuid() != 0, reason="Gradescope runs run_autograder as root")
def test_the_fallback_sandbox_cannot_read_the_bundles_course(tmp_path: Path) -> None:
    """Docker without user namespaces: the sandbox falls back to uid 65534. The bundle unpacked
    world-readable (as zips are) must not hand the instructor's solution to that uid: run_autograder
    makes the course the grader's alone before grading."""
    import tempfile

    bundle = build_bundle(ASSIGNMENT, tmp_path / "autograder.zip", pip_spec="dl-gradekit")
    public = Path(tempfile.mkdtemp(prefix="gradescope-root-", dir="/tmp"))
    try:
        public.chmod(0o755)  # as /autograder is: every folder above the course traversable
        secret = public / "autograder" / "source" / "course" / "activations" / "source.py"
        submission = tmp_path / "attack--activations.py"
        submission.write_text(solution_source(ASSIGNMENT) + READS_THE_COURSE.format(path=str(secret)))
        root = _layout(bundle.path, public / "autograder", submission)
        for path in (root, *root.rglob("*")):
            path.chmod(0o755 if path.is_dir() or path.name == "run_autograder" else 0o644)
        env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": sys.executable,
               "AUTOGRADER_SANDBOX": "fallback"}
        ran = subprocess.run([str(root / "run_autograder")], cwd=public, env=env, capture_output=True,
                             text=True, timeout=600, check=False)
        assert ran.returncode == 0, ran.stdout + ran.stderr
        document = json.loads((root / "results" / "results.json").read_text())
        output = document["extra_data"].get("student_output", "")
        assert "LEAKED" not in output and "DENIED" in output, output
        assert document["extra_data"]["sandbox"] == "fallback" and document["score"] == ASSIGNMENT.total_points
        assert stat.S_IMODE((root / "source" / "course").stat().st_mode) == 0o700
    finally:
        shutil.rmtree(public, ignore_errors=True)
