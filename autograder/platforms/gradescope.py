"""``autograder gradescope build``: a Gradescope autograder bundle, and what runs inside it.

Gradescope's documented layout: the zip's root holds ``setup.sh`` and
``run_autograder``; Gradescope unpacks it into ``/autograder/source``, runs
``setup.sh`` there once as root while it builds the image, and for every
submission puts the student's files in ``/autograder/submission``, runs
``/autograder/run_autograder`` (a copy of ours) as root, and reads
``/autograder/results/results.json``. The bundle::

    setup.sh              apt: bubblewrap, libseccomp2, a CPython 3.11 or 3.12 and its venv;
                          a venv in /opt/dl-gradekit with the kit, from wheels/ with no package index
    run_autograder        grades /autograder/submission into /autograder/results/results.json
    wheels/               the kit's wheel (built from the kit that runs the build, or --wheel) and the
                          wheels of its dependencies for x86_64 manylinux, CPython 3.11 and 3.12
    course/<id>/          the assignment's course folder: manifest, source, public AND hidden
                          suites, misconceptions (the bundle goes to Gradescope, not to students)
    course/variant-secret for an assignment with a question sheet: the course secret, so each
                          submitter's sheet is graded against their own variant (the student id is
                          ``users[0]``'s ``sid``, else ``email``, else ``id`` in submission_metadata.json;
                          Gradescope documents ``email``, ``id`` and ``name``, and ``sid`` is read first
                          where an export carries it)
    course/variant-roster.txt  with ``build --roster``: the student ids whose variants a submission's sheet
                          is compared with; one holding another's worked numbers is flagged in
                          ``extra_data.needs_look`` (not in the ``output`` or tests students read)
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
import stat
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from autograder import __version__
from autograder.assignment import Assignment, load_manifest

if TYPE_CHECKING:
    from autograder.grading.results import GradeResult

ROOT_ENV = "AUTOGRADER_ROOT"
PYTHON_ENV = "AUTOGRADER_PYTHON"
DEFAULT_ROOT = "/autograder"
VENV = "/opt/dl-gradekit"
COURSE_DIR = "course"
VARIANT_ROSTER_FILE = "variant-roster.txt"
"""``course/variant-roster.txt``: the student ids of ``build --roster``, one a line; a submission whose sheet
holds one of their worked numbers is flagged (``needs_look``), as ``grade`` flags a batch's copies."""
VARIANT_SECRET_FILE = "variant-secret"
"""``course/variant-secret``: the course secret each student's question sheet is drawn from (an assignment
with a sheet only); sealed with the course, read by ``run`` into the variable ``questions.toml`` names."""
METADATA_NAME = "submission_metadata.json"
ID_FIELDS = ("sid", "email", "id")
"""Which of the submitter's fields (``users[0]`` of ``submission_metadata.json``) names the student whose
variant is graded, the first present: the roster ``release --roster`` drew the sheets from must use it."""
WHEELS_DIR = "wheels"
SKIPPED = frozenset({"__pycache__", "samples", ".pytest_cache", ".ipynb_checkpoints"})
TIMEOUT_S = 900


class BundleError(RuntimeError):
    """The bundle cannot be built as asked (no wheel, no dependency wheels, an unsafe course folder...)."""


PYTHON_VERSIONS = ("3.11", "3.12")
"""The CPython versions the bundle's wheels are for: Gradescope's Ubuntu 22.04 images install 3.11
(setup.sh does it), its 24.04 images have 3.12. Each version adds its own binary wheels (numpy,
matplotlib, pillow...), about 25 MB."""
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_27_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")
"""Gradescope's images are x86_64 Linux with glibc >= 2.31; manylinux up to 2.28 runs on all of them."""
KEPT_DOWNLOADS = 2


SETUP_SH = r"""#!/usr/bin/env bash
# Gradescope runs this once, as root, in /autograder/source, while it builds the image.
# It installs bubblewrap (the kit's sandbox), libseccomp, a CPython {versions_text} with venv, and
# dl-gradekit into the venv {venv} (AUTOGRADER_VENV to put it elsewhere) from the wheels in
# {wheels}/, with no package index. AUTOGRADER_NO_APT=1 skips apt-get (the system packages are there).
set -euo pipefail
here="$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)"
venv="${{AUTOGRADER_VENV:-{venv}}}"
export DEBIAN_FRONTEND=noninteractive
apt=""
if [ "$(id -u)" = 0 ] && [ -z "${{AUTOGRADER_NO_APT:-}}" ] && command -v apt-get >/dev/null 2>&1; then apt=yes; fi

if [ -n "$apt" ]; then
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends bubblewrap libseccomp2 ca-certificates python3 >/dev/null
fi

# only a Python the bundled wheels are built for: the kit is installed with no package index
wanted='import sys; sys.exit("%d.%d" % sys.version_info[:2] not in {versions_tuple})'
python=""
for candidate in {candidates} python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c "$wanted" 2>/dev/null; then
        python="$candidate"; break
    fi
done
if [ -z "$python" ] && [ -n "$apt" ]; then
    apt-get install -y -qq --no-install-recommends python{fallback} >/dev/null   # Ubuntu 22.04: universe
    python=python{fallback}
fi
if [ -z "$python" ]; then
    echo "setup.sh: the bundled wheels need CPython {versions_text} and none was found" >&2; exit 1
fi
version="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if ! "$python" -c 'import ensurepip' >/dev/null 2>&1 && [ -n "$apt" ]; then
    apt-get install -y -qq --no-install-recommends "python$version-venv" >/dev/null \
        || apt-get install -y -qq --no-install-recommends python3-venv >/dev/null
fi

"$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --no-index --find-links "$here/{wheels}" "$here/{wheels}/{kit_wheel}"
# the venv must be readable by the sandbox's unprivileged user; the course (hidden tests,
# the solution) by root alone, so that even the fallback sandbox's uid 65534 cannot read it
chmod -R a+rX "$venv"
if [ "$(id -u)" = 0 ]; then chown -R 0:0 "$here/{course}"; fi
chmod -R go-rwx "$here/{course}"

"$venv/bin/autograder" --version
"$venv/bin/python" -c 'from autograder.sandbox.launcher import sandbox_kind_reason as r; print("sandbox:", r())'
"""

RUN_AUTOGRADER = r"""#!/usr/bin/env bash
# Gradescope runs this for every submission, as root: dl-gradekit grades the files in
# $root/submission into $root/results/results.json. Student code runs only in the kit's
# sandbox, as an unprivileged user (uid 65534). AUTOGRADER_ROOT runs it against another
# folder laid out like /autograder; AUTOGRADER_PYTHON names another Python that has the kit.
set -uo pipefail
root="${{AUTOGRADER_ROOT:-{root}}}"
python="${{AUTOGRADER_PYTHON:-{venv}/bin/python}}"
exec "$python" -I -m autograder.platforms.gradescope run --root "$root" --assignment {assignment}
"""

BUNDLE_MD = """# Gradescope autograder: {title} (`{assignment}`)

Built by `autograder gradescope build` (dl-gradekit {version}). Upload this zip as the
assignment's autograder ("Zip file upload", any Ubuntu base image with apt).

- `setup.sh` (run once by Gradescope, as root): bubblewrap, libseccomp2, a CPython {versions_text}
  and a venv in `{venv}` with the kit, `{wheels}/{kit_wheel}`, installed with
  `pip install --no-index --find-links {wheels}/`: no package index is needed, and nothing has to be
  published for the course to run.
- `{wheels}/`: the kit's wheel and the wheels of everything it depends on, for x86_64 Linux
  (manylinux) and CPython {versions_text}: {wheel_count} wheels, {wheel_mb:.1f} MB. They are nearly
  all of the bundle's {bundle_mb:.1f} MB (numpy, matplotlib, pillow, SymPy...); each CPython version
  adds its own binary wheels (`--python-version` chooses which).
- `run_autograder` (run for every submission): grades `/autograder/submission` (the student's
  `{module}.py`, `{module}.ipynb` or a zip holding one) into `/autograder/results/results.json`,
  one Gradescope test per skill, {points:g} points. Student code runs only in the kit's sandbox as uid 65534.
- `{course}/{assignment}/`: the assignment's course folder, hidden tests included. Do not give
  this zip to students.

Try it without Gradescope: unzip into `ROOT/source`, run
`AUTOGRADER_NO_APT=1 AUTOGRADER_VENV=ROOT/venv ROOT/source/setup.sh` (on x86_64 Linux with one of those
Pythons), copy `run_autograder` to `ROOT/`, put a submission in `ROOT/submission/`, then
`AUTOGRADER_ROOT=ROOT AUTOGRADER_PYTHON=ROOT/venv/bin/python ROOT/run_autograder`.
"""


@dataclass(frozen=True)
class Bundle:
    path: Path
    members: tuple[str, ...]
    install: str

    @property
    def size(self) -> int:
        """The zip's size in bytes."""
        return self.path.stat().st_size


def dependency_wheels(kit: Path, versions: tuple[str, ...] = PYTHON_VERSIONS) -> list[Path]:
    """The kit's wheel and every wheel it needs on Gradescope's platform for each of ``versions``
    (``pip download --only-binary=:all:``), cached beside the kit's wheel (``autograder.kit_wheel``)."""
    import hashlib

    from autograder.files import prune_cache
    from autograder.kit_wheel import cache_folder

    key = hashlib.sha256(kit.read_bytes() + repr((versions, PLATFORMS)).encode()).hexdigest()[:20]
    folder = cache_folder("dependencies", key)
    done_marker = folder / ".complete"
    if not done_marker.is_file():
        _download(kit, versions, folder)
        done_marker.write_text("\n".join(versions) + "\n", encoding="utf-8")
        prune_cache(folder.parent, keep=folder, count=KEPT_DOWNLOADS)  # each holds tens of MB
    return sorted(folder.glob("*.whl"))


def _download(kit: Path, versions: tuple[str, ...], folder: Path) -> None:
    if importlib.util.find_spec("pip") is None:
        raise BundleError("vendoring the kit's dependencies needs pip in this Python (python -m ensurepip)")
    folder.mkdir(parents=True, exist_ok=True)
    platforms = [arg for platform in PLATFORMS for arg in ("--platform", platform)]
    for version in versions:
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
                   "--dest", str(folder), "--only-binary=:all:", "--implementation", "cp",
                   "--python-version", version, "--abi", f"cp{version.replace('.', '')}", *platforms, str(kit)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, stdin=subprocess.DEVNULL,
                              check=False)
        if done.returncode != 0:
            said = [line for line in (done.stderr + done.stdout).splitlines() if line.startswith("ERROR")]
            raise BundleError(f"pip could not download the kit's dependencies as wheels for CPython {version} on "
                              f"x86_64 manylinux: {(said or ['exit code ' + str(done.returncode)])[0]}")


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
    # a wheel is a zip already: deflating it again costs time and saves nothing
    info.compress_type = zipfile.ZIP_STORED if name.endswith(".whl") else zipfile.ZIP_DEFLATED
    info.external_attr = (0o100755 if executable else 0o100644) << 16
    bundle.writestr(info, data)


def _python_tuple(versions: tuple[str, ...]) -> str:
    """``("3.11", "3.12", )``: a Python tuple in double quotes, since setup.sh holds it in single ones."""
    return "(" + "".join(f'"{v}", ' for v in versions) + ")"


def _kit_wheel(wheel: Path | None) -> Path:
    """``wheel`` if given, checked; else the running kit's own (``autograder.kit_wheel``)."""
    from autograder.kit_wheel import KitWheelError, kit_wheel

    if wheel is None:
        try:
            return kit_wheel()
        except KitWheelError as err:
            raise BundleError(f"{err}; or pass --wheel FILE") from None
    wheel = Path(wheel)
    if not wheel.is_file() or not wheel.name.startswith("dl_gradekit-") or wheel.suffix != ".whl":
        raise BundleError(f"{wheel} is not a dl-gradekit wheel file (dl_gradekit-<version>-py3-none-any.whl)")
    return wheel


def build_bundle(assignment: Assignment, out: Path, *, wheel: Path | None = None, overwrite: bool = False,
                 python_versions: tuple[str, ...] = PYTHON_VERSIONS, roster: Sequence[str] = ()) -> Bundle:
    """Write the Gradescope bundle of ``assignment`` to ``out`` (a ``.zip``); see the module's docstring.

    The kit is ``wheel``, else the running kit's own wheel; it and its dependencies' wheels for
    ``python_versions`` go into ``wheels/``, and ``setup.sh`` installs from there with no package index.
    ``roster`` (student ids, for an assignment with a question sheet) goes to ``course/variant-roster.txt``.
    """
    if assignment.released:
        raise BundleError(f"{assignment.root} is a student release: bundle from the course folder")
    bad = [v for v in python_versions if v not in ("3.11", "3.12", "3.13")]
    if bad or not python_versions:
        raise BundleError(f"--python-version {', '.join(bad) or '(none)'}: the kit runs on CPython 3.11, 3.12 "
                          "or 3.13")
    out = Path(out)
    if out.exists() and not overwrite:
        raise BundleError(f"{out} exists; pass --overwrite to replace it")
    secret = _variant_secret(assignment)
    kit = _kit_wheel(wheel)
    wheels = dependency_wheels(kit, python_versions)
    if kit.name not in {w.name for w in wheels}:
        raise BundleError(f"pip did not download {kit.name} beside its dependencies")
    course = _course_files(assignment)
    wheel_bytes = sum(w.stat().st_size for w in wheels)
    approximate = wheel_bytes + sum(p.stat().st_size for p in course.values())
    versions_text = " or ".join(python_versions)
    description: dict[str, Any] = {
        "assignment": assignment.id, "title": assignment.title, "module": assignment.module,
        "points": assignment.total_points + assignment.questions_points, "kit_version": __version__,
        "install": kit.name,
        "python_versions": list(python_versions), "wheels": [w.name for w in wheels],
        "course_folder": f"{COURSE_DIR}/{assignment.id}"}
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gradescope-bundle-", dir=out.parent) as scratch:
        partial = Path(scratch) / "autograder.zip"
        with zipfile.ZipFile(partial, "w") as bundle:
            setup = SETUP_SH.format(venv=VENV, wheels=WHEELS_DIR, kit_wheel=kit.name, course=COURSE_DIR,
                                    versions_text=versions_text, versions_tuple=_python_tuple(python_versions),
                                    candidates=" ".join(f"python{v}" for v in reversed(python_versions)),
                                    fallback=python_versions[0])
            _add(bundle, "setup.sh", setup.encode(), executable=True)
            _add(bundle, "run_autograder", RUN_AUTOGRADER.format(root=DEFAULT_ROOT, venv=VENV,
                                                                 assignment=assignment.id).encode(),
                 executable=True)
            for path in wheels:
                _add(bundle, f"{WHEELS_DIR}/{path.name}", path.read_bytes())
            for name, path in course.items():
                _add(bundle, str(name), path.read_bytes())
            if secret:
                _add(bundle, f"{COURSE_DIR}/{VARIANT_SECRET_FILE}", secret)
            if secret and roster:
                _add(bundle, f"{COURSE_DIR}/{VARIANT_ROSTER_FILE}", "".join(f"{s}\n" for s in roster).encode())
            _add(bundle, "bundle.json", (json.dumps(description, indent=2) + "\n").encode())
            _add(bundle, "BUNDLE.md", BUNDLE_MD.format(
                title=assignment.title, assignment=assignment.id, version=__version__, venv=VENV,
                wheels=WHEELS_DIR, kit_wheel=kit.name, versions_text=versions_text, wheel_count=len(wheels),
                wheel_mb=wheel_bytes / 1e6, bundle_mb=approximate / 1e6, module=assignment.module,
                points=assignment.total_points, course=COURSE_DIR).encode())
            members = tuple(bundle.namelist())
        os.replace(partial, out)
    return Bundle(out, members, kit.name)


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


def _variant_secret(assignment: Assignment) -> bytes:
    """The course secret for the bundle of an assignment with a question sheet (else b"")."""
    from autograder.questions.api import course_secret, load_config, points_mismatch
    from autograder.questions.config import QuestionsError
    from autograder.questions.graded import has_sheet
    from autograder.questions.variant import VariantError

    if not has_sheet(assignment):
        return b""
    try:
        config = load_config(assignment)
        mismatch = points_mismatch(assignment, config)
        if mismatch:
            raise BundleError(mismatch)
        return course_secret(config)
    except (QuestionsError, VariantError) as err:
        raise BundleError(f"{err} (the bundle carries it to grade each submitter's question sheet)") from None


def submitter_id(metadata: Path) -> str:
    """The student id of the submission's first user: ``sid``, else ``email``, else Gradescope's ``id``
    (``ID_FIELDS``); a ``ValueError`` when the file has none."""
    from autograder.submission import safe_student_id

    try:
        users = json.loads(metadata.read_bytes()[: 4 * 1024 * 1024]).get("users") or []
        user = users[0] if isinstance(users, list) and users and isinstance(users[0], dict) else {}
    except (OSError, ValueError, AttributeError) as err:
        raise ValueError(f"cannot read {metadata}: {err}") from None
    for key in ID_FIELDS:
        value = user.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            return safe_student_id(str(value).strip())
    raise ValueError(f"{metadata.name} names no submitter ({', '.join(ID_FIELDS)} of users[0])")


def _use_bundled_secret(assignment: Assignment, course: Path) -> None:
    """Put the bundled course secret where the sheet's grading reads it (the variable ``questions.toml`` names)."""
    from autograder.questions.api import load_config
    from autograder.questions.graded import has_sheet

    secret = course / VARIANT_SECRET_FILE
    if has_sheet(assignment) and secret.is_file():
        os.environ[load_config(assignment).secret_env] = secret.read_text(encoding="utf-8")


def _graded(root: Path, assignment: Assignment) -> GradeResult:
    """The submission's grade, its question sheet graded for the submitter of ``submission_metadata.json``."""
    from autograder.grading.grade import grade_submission
    from autograder.questions.graded import with_sheet, without_student
    from autograder.sandbox.isolation import ISOLATION_ENV

    _use_bundled_secret(assignment, root / "source" / COURSE_DIR)
    os.environ[ISOLATION_ENV] = "sandbox"  # a student's file: never the own-machine worker, whatever the image's env
    result = grade_submission(assignment, root / "submission")
    try:
        student = submitter_id(root / METADATA_NAME)
    except ValueError as err:
        return without_student(assignment, result, str(err))
    return _flag_copy(assignment, with_sheet(assignment, result, root / "submission", student),
                      root / "source" / COURSE_DIR / VARIANT_ROSTER_FILE, root / "submission", student)


def _flag_copy(assignment: Assignment, result: GradeResult, roster: Path, submission: Path,
               student: str) -> GradeResult:
    """``result``, with ``needs_look`` saying so when its sheet holds the worked numbers of another
    student of the bundled roster (never a change of score: the copied numbers already earn at most
    5 % of that part). Without a roster, or when the comparison fails, ``result`` as it is."""
    import dataclasses

    from autograder.questions.copies import copied_from, copy_reason

    if not roster.is_file():
        return result
    try:
        others = [line.strip() for line in roster.read_text(encoding="utf-8").splitlines() if line.strip()]
        other = copied_from(assignment, submission, student, others)
    except Exception:  # the sheet's own cases already say what failed
        return result
    if other is None or copy_reason(other) in result.needs_look:
        return result
    return dataclasses.replace(result, needs_look=(*result.needs_look, copy_reason(other)))


def run(root: Path, assignment_id: str) -> int:
    """Grade ``root/submission`` into ``root/results/results.json``; 0, unless even that failed."""
    from autograder.files import write_atomically
    from autograder.grading.batch import kit_failure
    from autograder.grading.results import results_json

    results = root / "results" / "results.json"
    assignment: Assignment | None = None
    try:
        seal_course(root / "source" / COURSE_DIR)
        assignment = load_manifest(root / "source" / COURSE_DIR / assignment_id)
        result = _graded(root, assignment)
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
