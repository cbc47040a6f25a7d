"""``autograder gradescope build``: a Gradescope autograder bundle, and what runs inside it.

Gradescope's documented layout: the zip's root holds ``setup.sh`` and
``run_autograder``; Gradescope unpacks it into ``/autograder/source``, runs
``setup.sh`` there once as root while it builds the image, and for every
submission puts the student's files in ``/autograder/submission``, runs
``/autograder/run_autograder`` (a copy of ours) as root, and reads
``/autograder/results/results.json``. The bundle::

    setup.sh              apt: bubblewrap, libseccomp2, a Python >= 3.11 and its venv;
                          a venv in /opt/dl-gradekit with the kit (the wheel below, or pip)
    run_autograder        grades /autograder/submission into /autograder/results/results.json
    dist/<wheel>          the kit, built from this clone (or --wheel; absent with --pip)
    course/<id>/          the assignment's course folder: manifest, source, public AND hidden
                          suites, misconceptions (the bundle goes to Gradescope, not to students)
    bundle.json           what was bundled: assignment, kit version, how the kit is installed
    BUNDLE.md             the same, for people

``run_autograder`` runs ``python -m autograder.platforms.gradescope`` (``run``
below): ``grade_submission`` on the submission folder, exactly as ``autograder
grade`` grades a file, and the same ``results.json`` (one Gradescope test per
skill). Student code runs only in the kit's sandbox, as uid 65534: under
bubblewrap when the container allows user namespaces, else in the kit's
fallback (rlimits, seccomp, and the uid drop, since Gradescope runs us as root);
``extra_data.sandbox`` says which. If anything fails, a ``results.json`` saying
so is still written (score 0, ``error_kind: grader``), so Gradescope never shows
an empty result.

``AUTOGRADER_ROOT`` (default ``/autograder``) runs the same script against any
folder laid out like ``/autograder``; ``AUTOGRADER_PYTHON`` names the
interpreter that has the kit (default the venv ``setup.sh`` makes).
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from autograder import __version__
from autograder.assignment import Assignment, load_manifest

ROOT_ENV = "AUTOGRADER_ROOT"
PYTHON_ENV = "AUTOGRADER_PYTHON"
DEFAULT_ROOT = "/autograder"
VENV = "/opt/dl-gradekit"
COURSE_DIR = "course"
DIST_DIR = "dist"
SKIPPED = frozenset({"__pycache__", "samples", ".pytest_cache", ".ipynb_checkpoints"})
TIMEOUT_S = 900


class BundleError(RuntimeError):
    """The bundle cannot be built as asked (no wheel, no build tool, an unsafe course folder...)."""


SETUP_SH = r'''#!/usr/bin/env bash
# Gradescope runs this once, as root, in /autograder/source, while it builds the image.
# It installs bubblewrap (the kit's sandbox), libseccomp, a Python >= 3.11 with venv, and
# dl-gradekit into the venv {venv} (AUTOGRADER_VENV to put it elsewhere).
set -euo pipefail
here="$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)"
venv="${{AUTOGRADER_VENV:-{venv}}}"
export DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends bubblewrap libseccomp2 ca-certificates python3 >/dev/null
fi

python=""
for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 && \
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        python="$candidate"; break
    fi
done
if [ -z "$python" ] && [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq --no-install-recommends python3.11 >/dev/null   # Ubuntu 22.04: universe
    python=python3.11
fi
if [ -z "$python" ]; then
    echo "setup.sh: dl-gradekit needs Python >= 3.11 and none was found" >&2; exit 1
fi
version="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if ! "$python" -c 'import ensurepip' >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    apt-get install -y -qq --no-install-recommends "python$version-venv" >/dev/null \
        || apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
fi

"$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q {install}
# the venv must be readable by the sandbox's unprivileged user; the course (hidden tests,
# the solution) by root alone, so that even the fallback sandbox's uid 65534 cannot read it
chmod -R a+rX "$venv"
if [ "$(id -u)" = 0 ]; then chown -R 0:0 "$here/{course}"; fi
chmod -R go-rwx "$here/{course}"

"$venv/bin/autograder" --version
"$venv/bin/python" -c 'from autograder.sandbox.launcher import sandbox_kind_reason as r; print("sandbox:", r())'
'''

RUN_AUTOGRADER = r'''#!/usr/bin/env bash
# Gradescope runs this for every submission, as root: dl-gradekit grades the files in
# $root/submission into $root/results/results.json. Student code runs only in the kit's
# sandbox, as an unprivileged user (uid 65534). AUTOGRADER_ROOT runs it against another
# folder laid out like /autograder; AUTOGRADER_PYTHON names another Python that has the kit.
set -uo pipefail
root="${{AUTOGRADER_ROOT:-{root}}}"
python="${{AUTOGRADER_PYTHON:-{venv}/bin/python}}"
exec "$python" -I -m autograder.platforms.gradescope run --root "$root" --assignment {assignment}
'''

BUNDLE_MD = '''# Gradescope autograder: {title} (`{assignment}`)

Built by `autograder gradescope build` (dl-gradekit {version}). Upload this zip as the
assignment's autograder ("Zip file upload", any Ubuntu base image with apt).

- `setup.sh` (run once by Gradescope, as root): bubblewrap, libseccomp2, a Python >= 3.11
  and a venv in `{venv}` with the kit: {install_text}.
- `run_autograder` (run for every submission): grades `/autograder/submission` (the student's
  `{module}.py` or `{module}.ipynb`) into `/autograder/results/results.json`, one Gradescope test
  per skill, {points:g} points. Student code runs only in the kit's sandbox as uid 65534.
- `{course}/{assignment}/`: the assignment's course folder, hidden tests included. Do not give
  this zip to students.

Try it without Gradescope: unzip into `ROOT/source`, copy `run_autograder` to `ROOT/`, put a
submission in `ROOT/submission/`, then
`AUTOGRADER_ROOT=ROOT AUTOGRADER_PYTHON=$(which python) ROOT/run_autograder` (a Python with the kit).
'''


@dataclass(frozen=True)
class Bundle:
    path: Path
    members: tuple[str, ...]
    install: str


def _kit_clone() -> Path | None:
    """The clone this kit runs from (an editable install or a checkout), if it is one."""
    clone = Path(__file__).resolve().parents[2]
    return clone if (clone / "pyproject.toml").is_file() and (clone / "autograder").is_dir() else None


def _setuptools_is_recent() -> bool:
    try:
        return int(importlib.metadata.version("setuptools").split(".")[0]) >= 77
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return False


def build_wheel(clone: Path, out_dir: Path) -> Path:
    """The kit's wheel built from ``clone`` with ``python -m build`` (sdist, then the wheel from it)."""
    if importlib.util.find_spec("build") is None:
        raise BundleError("building the kit's wheel needs the `build` package (pip install build); "
                          "or pass --wheel FILE or --pip SPEC")
    isolation = ["--no-isolation"] if _setuptools_is_recent() else []
    done = subprocess.run([sys.executable, "-m", "build", *isolation, "--outdir", str(out_dir), str(clone)],
                          capture_output=True, text=True, timeout=TIMEOUT_S, stdin=subprocess.DEVNULL, check=False)
    wheels = sorted(out_dir.glob("dl_gradekit-*.whl"))
    if done.returncode != 0 or len(wheels) != 1:
        raise BundleError(f"building the wheel of {clone} failed:\n{(done.stdout + done.stderr)[-3000:]}")
    return wheels[0]


def _course_files(assignment: Assignment) -> dict[PurePosixPath, Path]:
    files: dict[PurePosixPath, Path] = {}
    for path in sorted(assignment.root.rglob("*")):
        relative = path.relative_to(assignment.root)
        if SKIPPED.intersection(relative.parts) or path.suffix == ".pyc":
            continue
        if path.is_symlink():
            raise BundleError(f"{path} is a symbolic link: the bundle takes plain files only")
        if path.is_file():
            files[PurePosixPath(COURSE_DIR, assignment.id, *relative.parts)] = path
    return files


def _add(bundle: zipfile.ZipFile, name: str, data: bytes, *, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=time.localtime(time.time())[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    bundle.writestr(info, data)


def build_bundle(assignment: Assignment, out: Path, *, wheel: Path | None = None, pip_spec: str | None = None,
                 overwrite: bool = False) -> Bundle:
    """Write the Gradescope bundle of ``assignment`` to ``out`` (a ``.zip``); see the module's docstring.

    The kit is installed from ``wheel``, else by ``pip install pip_spec``, else
    from a wheel built from the clone the kit runs from, else from PyPI at this
    version (``dl-gradekit==<version>``).
    """
    if assignment.released:
        raise BundleError(f"{assignment.root} is a student release: bundle from the course folder")
    if wheel is not None and pip_spec is not None:
        raise BundleError("--wheel and --pip name two ways to install the kit: pass one")
    out = Path(out)
    if out.exists() and not overwrite:
        raise BundleError(f"{out} exists; pass --overwrite to replace it")
    with tempfile.TemporaryDirectory(prefix="gradescope-bundle-") as scratch:
        clone = _kit_clone()
        if wheel is None and pip_spec is None and clone is not None:
            wheel = build_wheel(clone, Path(scratch))
        if wheel is not None:
            wheel = Path(wheel)
            if not wheel.is_file() or wheel.suffix != ".whl":
                raise BundleError(f"{wheel} is not a wheel file")
            install = f'"$here/{DIST_DIR}/{wheel.name}"'
            install_text = f"`{DIST_DIR}/{wheel.name}`"
        else:
            spec = pip_spec or f"dl-gradekit=={__version__}"
            if any(c in spec for c in "\"'`$\\\n;&|<>"):
                raise BundleError(f"--pip {spec!r}: one requirement, no shell characters")
            install = f'"{spec}"'
            install_text = f"`pip install {spec}`"
        description: dict[str, Any] = {
                       "assignment": assignment.id, "title": assignment.title, "module": assignment.module,
                       "points": assignment.total_points, "kit_version": __version__,
                       "install": wheel.name if wheel is not None else pip_spec or f"dl-gradekit=={__version__}",
                       "course_folder": f"{COURSE_DIR}/{assignment.id}"}
        out.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(scratch) / "autograder.zip"
        with zipfile.ZipFile(partial, "w") as bundle:
            setup = SETUP_SH.format(venv=VENV, install=install, course=COURSE_DIR)
            _add(bundle, "setup.sh", setup.encode(), executable=True)
            _add(bundle, "run_autograder", RUN_AUTOGRADER.format(root=DEFAULT_ROOT, venv=VENV,
                                                                 assignment=assignment.id).encode(),
                 executable=True)
            if wheel is not None:
                _add(bundle, f"{DIST_DIR}/{wheel.name}", wheel.read_bytes())
            for name, path in _course_files(assignment).items():
                _add(bundle, str(name), path.read_bytes())
            _add(bundle, "bundle.json", (json.dumps(description, indent=2) + "\n").encode())
            _add(bundle, "BUNDLE.md", BUNDLE_MD.format(
                title=assignment.title, assignment=assignment.id, version=__version__, venv=VENV,
                install_text=install_text, module=assignment.module, points=assignment.total_points,
                course=COURSE_DIR).encode())
            members = tuple(bundle.namelist())
        shutil.move(partial, out)
    return Bundle(out, members, description["install"])


# -- inside the container ------------------------------------------------------------------------------

def seal_course(course: Path) -> None:
    """Make ``course`` (hidden suites, the instructor's solution) the grader's alone: mode 0700
    folders and 0600 files, owned by the grader, whatever modes the zip was unpacked with. Raises
    PermissionError when that cannot be made so (the grader does not own it and is not root)."""
    for path in (course, *course.rglob("*")):
        if path.is_symlink():
            raise PermissionError(f"{path} is a symbolic link: the course must be plain files")
        info = path.stat()
        if info.st_uid != os.geteuid() and os.geteuid() == 0:
            os.chown(path, 0, 0)
        path.chmod(stat.S_IMODE(info.st_mode) & 0o700)
        left = path.stat()
        if left.st_uid != os.geteuid() or stat.S_IMODE(left.st_mode) & 0o077:
            raise PermissionError(f"{path} stays readable by others: the course must be the grader's alone")


def run(root: Path, assignment_id: str) -> int:
    """Grade ``root/submission`` into ``root/results/results.json``; 0, unless even that failed."""
    from autograder.files import write_atomically
    from autograder.grading.batch import kit_failure
    from autograder.grading.grade import grade_submission
    from autograder.grading.results import results_json

    results = root / "results" / "results.json"
    assignment: Assignment | None = None
    try:
        seal_course(root / "source" / COURSE_DIR)
        assignment = load_manifest(root / "source" / COURSE_DIR / assignment_id)
        result = grade_submission(assignment, root / "submission")
    except Exception as err:  # fail closed: Gradescope must always find a results.json
        if assignment is None:
            document = {"score": 0.0, "output": "The autograder could not start: " + f"{type(err).__name__}: {err}",
                        "tests": [], "extra_data": {"error_kind": "grader"}}
            write_atomically(results, json.dumps(document, indent=2) + "\n")
            print(f"autograder: {type(err).__name__}: {err}", file=sys.stderr)
            return 1
        result = kit_failure(assignment, "submission", err)
    write_atomically(results, results_json(result, assignment.feedback))  # "names": no messages, no curves
    print(f"{assignment.id}: {result.summary()} (sandbox: {result.sandbox})")
    if result.detail:
        print(f"grader detail: {result.detail}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.platforms.gradescope")
    commands = parser.add_subparsers(dest="command", required=True)
    runner = commands.add_parser("run", help="grade ROOT/submission into ROOT/results/results.json")
    runner.add_argument("--root", type=Path, default=Path(os.environ.get(ROOT_ENV, DEFAULT_ROOT)))
    runner.add_argument("--assignment", required=True)
    options = parser.parse_args(argv)
    return run(options.root, options.assignment)


if __name__ == "__main__":
    raise SystemExit(main())
