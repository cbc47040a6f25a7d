"""``autograder gradescope build``: the bundle's layout, and its ``run_autograder`` against a folder
laid out like Gradescope's ``/autograder`` (``AUTOGRADER_ROOT``), compared with ``autograder grade``.

``setup.sh`` runs for real once (``AUTOGRADER_NO_APT=1``: the system packages are here already), making
a fresh venv from the bundle's wheels with no package index at all; ``run_autograder`` then grades
with that venv. The other tests name this interpreter (``AUTOGRADER_PYTHON``) instead.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from autograder import __version__ as ASSIGNMENT_KIT_VERSION
from autograder.assignment import get_assignment
from autograder.cli import main as cli
from autograder.kit_wheel import wheel_name
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


def _run_autograder(root: Path, python: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "AUTOGRADER_PYTHON": str(python or sys.executable)}
    return subprocess.run([str(root / "run_autograder")], cwd=root.parent, env=env, capture_output=True,
                          text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def bundle_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One bundle as an instructor builds it (the running kit's wheel and its dependencies'), for the
    tests that only read it or run it with this interpreter."""
    return build_bundle(ASSIGNMENT, tmp_path_factory.mktemp("bundle") / "autograder.zip").path


def test_the_bundle_has_gradescopes_layout(bundle_zip: Path, tmp_path: Path) -> None:
    members = _members(bundle_zip)
    for script in ("setup.sh", "run_autograder"):
        assert stat.S_IMODE(members[script].external_attr >> 16) == 0o755
    assert "course/activations/manifest.toml" in members
    assert {"course/activations/tests/hidden/test_activations_elementwise.py",
            "course/activations/tests/public/test_public_activations.py",
            "course/activations/misconceptions.toml", "course/activations/source.py"} <= set(members)
    assert not any("/samples/" in name or "__pycache__" in name for name in members)
    with zipfile.ZipFile(bundle_zip) as archive:
        setup = archive.read("setup.sh").decode()
        runner = archive.read("run_autograder").decode()
        described = json.loads(archive.read("bundle.json"))
        about = archive.read("BUNDLE.md").decode()
    kit = wheel_name()
    wheels = {name.removeprefix("wheels/") for name in members if name.startswith("wheels/")}
    assert kit in wheels and described["install"] == kit and set(described["wheels"]) == wheels
    for dependency, abi in itertools.product(("numpy", "matplotlib", "sympy", "pytest", "nbformat"), ("311", "312")):
        assert any(w.startswith(f"{dependency}-") and (f"cp{abi}" in w or "py3-none" in w) for w in wheels), \
            (dependency, abi)
    assert all("manylinux" in w or w.endswith("-none-any.whl") for w in wheels), wheels
    assert f'pip install -q --no-index --find-links "$here/wheels" "$here/wheels/{kit}"' in setup
    assert "pypi" not in setup.lower() and "bubblewrap" in setup and "upgrade pip" not in setup
    assert "--assignment activations" in runner and "AUTOGRADER_ROOT" in runner
    assert described["points"] == ASSIGNMENT.total_points and described["python_versions"] == ["3.11", "3.12"]
    size_mb = bundle_zip.stat().st_size / 1e6
    assert size_mb < 150, size_mb  # each CPython version adds ~30 MB of binary wheels
    stated = float(re.search(r"bundle's ([\d.]+) MB", about).group(1))  # type: ignore[union-attr]
    assert abs(stated - size_mb) < 1, (stated, size_mb)
    for name, text in (("setup.sh", setup), ("run_autograder", runner)):
        (tmp_path / name).write_text(text)
        assert subprocess.run(["bash", "-n", str(tmp_path / name)], check=False).returncode == 0, name


def test_build_refuses_what_it_should(tmp_path: Path) -> None:
    out = tmp_path / "autograder.zip"
    out.write_text("mine")
    with pytest.raises(BundleError, match="--overwrite"):
        build_bundle(ASSIGNMENT, out)
    with pytest.raises(BundleError, match="not a dl-gradekit wheel"):
        build_bundle(ASSIGNMENT, out, wheel=out, overwrite=True)
    with pytest.raises(BundleError, match="CPython 3.11"):
        build_bundle(ASSIGNMENT, out, python_versions=("2.7",), overwrite=True)
    assert out.read_text() == "mine"
    done = CliRunner().invoke(cli, ["gradescope", "build", "--assignment", "activations", "--out", str(out)])
    assert done.exit_code == 1 and "--overwrite" in done.output


def test_a_dependency_pip_cannot_fetch_as_a_wheel_fails_in_one_line(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """An sdist-only dependency (or no network) ends the build, saying why; no half bundle is left."""
    import autograder.platforms.gradescope as gradescope

    monkeypatch.setenv("AUTOGRADER_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(gradescope, "PLATFORMS", ("no_such_platform",))
    with pytest.raises(BundleError) as raised:
        build_bundle(ASSIGNMENT, tmp_path / "autograder.zip")
    assert "\n" not in str(raised.value) and "CPython 3.11" in str(raised.value)
    assert not (tmp_path / "autograder.zip").exists()


def test_run_autograder_always_leaves_a_results_json(bundle_zip: Path, tmp_path: Path) -> None:
    empty = tmp_path / "nothing.txt"
    empty.write_text("no code here\n")
    root = _layout(bundle_zip, tmp_path / "autograder", empty)
    done = _run_autograder(root)
    assert done.returncode == 0, done.stdout + done.stderr
    document = json.loads((root / "results" / "results.json").read_text())
    assert document["score"] == 0.0 and document["extra_data"]["error_kind"] == "submission"
    shutil.rmtree(root / "source" / "course")  # a broken bundle: still a results.json, and exit 1
    done = _run_autograder(root)
    assert done.returncode == 1
    assert json.loads((root / "results" / "results.json").read_text())["score"] == 0.0


def test_run_autograder_grades_a_submitted_zip(bundle_zip: Path, tmp_path: Path) -> None:
    """A zip left in /autograder/submission (uploaded inside another zip, or from a repository) is graded
    on the module file it holds, as a zip given to ``autograder grade`` is."""
    archive = tmp_path / "my-work.zip"
    with zipfile.ZipFile(archive, "w") as packed:
        packed.writestr("hw/activations.py", solution_source(ASSIGNMENT) + WRONG_DERIVATIVE)
        packed.writestr("hw/README.txt", "my notes\n")
    root = _layout(bundle_zip, tmp_path / "autograder", archive)
    done = _run_autograder(root)
    assert done.returncode == 0, done.stdout + done.stderr
    document = json.loads((root / "results" / "results.json").read_text())
    scores = {t["name"]: t["score"] for t in document["tests"]}
    assert document["extra_data"]["error_kind"] == "" and scores["sigmoid_derivative"] < scores["sigmoid"] > 0


def _setup(root: Path) -> Path:
    """Run the bundle's setup.sh as Gradescope would, but without apt-get, into ``root/venv``; pip gets no
    index at all (``PIP_NO_INDEX``), so every wheel must come from the bundle."""
    bin_dir = root / "python-bin"  # this machine's CPython 3.11 under the name setup.sh looks for first
    bin_dir.mkdir()
    (bin_dir / "python3.11").symlink_to(getattr(sys, "_base_executable", sys.executable))
    venv = root / "venv"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "AUTOGRADER_COURSE")}
    env.update(PATH=f"{bin_dir}{os.pathsep}{env['PATH']}", AUTOGRADER_NO_APT="1", AUTOGRADER_VENV=str(venv),
               PIP_NO_INDEX="1", PIP_FIND_LINKS="", PIP_CONFIG_FILE=os.devnull)
    done = subprocess.run(["bash", str(root / "source" / "setup.sh")], cwd=root / "source", env=env,
                          capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"autograder, version {ASSIGNMENT_KIT_VERSION}" in done.stdout, done.stdout
    where = subprocess.run([str(venv / "bin" / "python"), "-I", "-c", "import autograder; print(autograder.__file__)"],
                           capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).resolve().is_relative_to(venv.resolve()), where  # the bundle's kit, not this clone
    return venv


@pytest.mark.slow
def test_run_autograder_equals_autograder_grade(tmp_path: Path) -> None:
    """The bundle built as an instructor would, its setup.sh run into a fresh venv with no package index
    (the kit and every dependency from the bundle's wheels), then run on a partly wrong submission:
    the same score per skill as ``autograder grade`` on the same file."""
    done = CliRunner().invoke(cli, ["gradescope", "build", "--assignment", "activations", "--out",
                                    str(tmp_path / "autograder.zip")])
    assert done.exit_code == 0, done.output

    submission = tmp_path / "partly--activations.py"
    submission.write_text(solution_source(ASSIGNMENT) + WRONG_DERIVATIVE, encoding="utf-8")
    root = _layout(tmp_path / "autograder.zip", tmp_path / "container" / "autograder", submission)
    venv = _setup(root)
    ran = _run_autograder(root, venv / "bin" / "python")
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

    bundle = build_bundle(ASSIGNMENT, tmp_path / "autograder.zip")
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
        assert "LEAKED" not in output and "BEGIN SOLUTION" not in json.dumps(document), output
        if not document["extra_data"].get("error_kind"):  # the fallback could start here: it ran, denied
            assert "DENIED" in output, output
            assert document["extra_data"]["sandbox"] == "fallback"
            assert document["score"] == ASSIGNMENT.total_points
        else:  # a Python the fallback's uid cannot read (e.g. under /root): refused, never graded open
            assert "could read" not in document["extra_data"].get("grader_detail", ""), document
        assert stat.S_IMODE((root / "source" / "course").stat().st_mode) == 0o700
    finally:
        shutil.rmtree(public, ignore_errors=True)


def test_a_submission_is_graded_in_the_sandbox_whatever_the_environment(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """AUTOGRADER_ISOLATION=none in the image's environment never runs the student's file unconfined."""
    from autograder.grading import grade
    from autograder.platforms import gradescope
    from autograder.sandbox.isolation import ISOLATION_ENV, own_machine_requested

    class Stop(Exception):
        pass

    def record(*args: object) -> None:
        raise Stop(own_machine_requested())

    monkeypatch.setenv(ISOLATION_ENV, "none")
    monkeypatch.setattr(gradescope, "_use_bundled_secret", lambda *args: None)
    monkeypatch.setattr(grade, "grade_submission", record)
    with pytest.raises(Stop) as stopped:
        gradescope._graded(tmp_path, get_assignment("activations"))
    assert stopped.value.args == (False,)
