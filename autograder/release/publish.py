"""The last steps: collect the release's files, check them for leaks, write them atomically.

A release of assignment ``ID`` is the folder ``OUT/ID/`` holding

* ``<module>.py``: the stub (``build.stub_source``),
* ``<module>.ipynb``: the student notebook (``build.student_notebook``),
* ``tests/``: the PUBLIC tests, copied, plus a ``conftest.py`` (unless the
  public tests bring their own) so ``pytest tests/`` works in the folder, and
  says in one line what to install when the kit is missing;
* ``README.md``: how to install the kit, run ``check``, the rules and the points
  (``readme.student_readme``), and ``POINTS.md``, the points alone;
* ``assignment.toml``: the manifest's public keys, so ``autograder check``
  finds the assignment in the folder with no course folder
  (``autograder.assignment.load_release``).
* the lecture figures the notebook's markdown shows (``![...](activations.png)``),
  drawn from the reference by ``autograder.report.lecture``;
* ``wheels/dl_gradekit-<version>-py3-none-any.whl``: the kit's wheel, built from
  the kit that runs the release (``autograder.kit_wheel``), which the README
  installs, unless ``install`` names something else for students to install.

Every file is built in memory first and scanned by ``find_leaks``: marker words,
hidden test file names, and the distinctive lines of every solution region and
hidden-test region. Only then is the folder written, into a temporary sibling
that is renamed into place, so a failed release never leaves a half-written
folder, and an existing non-empty ``OUT/ID`` is only replaced with
``overwrite=True``. The folder's mode follows the umask, like its files.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import nbformat

from autograder.assignment import RELEASE_MANIFEST_NAME, Assignment, release_manifest
from autograder.files import umask
from autograder.grading.credit import point_scheme
from autograder.kit_wheel import KitWheelError, kit_wheel
from autograder.release.build import instructor_notebook, stub_source, student_notebook
from autograder.release.errors import LeakError, ReleaseError, ReleaseExistsError
from autograder.release.nbgrader_cells import is_source_test_cell
from autograder.release.readme import WHEELS_DIR, release_conftest, student_readme
from autograder.release.regions import HIDDEN_TESTS, SOLUTION, mentions_marker, regions, remove_regions

MIN_DISTINCTIVE_CHARS = 12
"""Shorter solution lines (``return s``) are too common to count as a leak on their own."""

SKIPPED_NAMES = frozenset({"__pycache__", ".pytest_cache", ".ipynb_checkpoints"})


@dataclass(frozen=True)
class ReleaseReport:
    """What ``release_assignment`` wrote: ``folder`` and the ``files`` in it (relative paths)."""

    assignment_id: str
    folder: Path
    files: tuple[PurePosixPath, ...]

    def describe(self) -> str:
        return f"released {self.assignment_id} to {self.folder}: " + ", ".join(map(str, self.files))


def _public_test_files(assignment: Assignment) -> dict[PurePosixPath, bytes]:
    root = assignment.public_tests
    if not root.is_dir():
        raise ReleaseError(f"{assignment.id}: no public tests folder {root}")
    files: dict[PurePosixPath, bytes] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and not SKIPPED_NAMES.intersection(relative.parts) and path.suffix != ".pyc":
            files[PurePosixPath("tests", *relative.parts)] = path.read_bytes()
    if not any(p.name.startswith("test_") for p in files):
        raise ReleaseError(f"{assignment.id}: {root} holds no test_*.py file")
    return files


def release_files(assignment: Assignment, *, install: str | None = None) -> dict[PurePosixPath, bytes]:
    """Every file of the release, by path relative to the release folder, built in memory.

    ``install`` is what the README tells students to pip install (default: the
    kit at this version, ``readme.default_install``).
    """
    if assignment.released:
        raise ReleaseError(f"{assignment.root} is a student release, not a course's assignment: "
                           "release from the course folder")
    from autograder.report.lecture import shown_figures  # matplotlib loads only for a release

    module = assignment.module
    notebook = student_notebook(assignment)
    files = {
        PurePosixPath(f"{module}.py"): stub_source(assignment).encode("utf-8"),
        PurePosixPath(f"{module}.ipynb"): nbformat.writes(notebook).encode("utf-8")  # type: ignore[no-untyped-call]
        + b"\n",
    }
    files[PurePosixPath("README.md")] = student_readme(assignment, install).encode("utf-8")
    files[PurePosixPath("POINTS.md")] = point_scheme(assignment).encode("utf-8")
    files[PurePosixPath(RELEASE_MANIFEST_NAME)] = release_manifest(assignment).encode("utf-8")
    shown = (cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    files.update({PurePosixPath(name): png for name, png in shown_figures(shown).items()})
    files.update(_public_test_files(assignment))
    conftest = PurePosixPath("tests", "conftest.py")
    if conftest not in files:
        files[conftest] = release_conftest(assignment, install).encode("utf-8")
    return files


GENERIC_NAMES = frozenset({"conftest.py", "__init__.py"})
"""Names every pytest folder may hold; the release writes its own conftest.py."""


def hidden_test_names(assignment: Assignment) -> set[str]:
    """File names in the hidden suite folder (caches and generic pytest names aside)."""
    root = assignment.hidden_tests
    if not root.is_dir():
        return set()
    return {p.name for p in root.rglob("*")
            if p.is_file() and not SKIPPED_NAMES.intersection(p.relative_to(root).parts)
            and p.suffix != ".pyc" and p.name not in GENERIC_NAMES}


def _lines(texts: Iterable[str]) -> set[str]:
    return {line.strip() for text in texts for line in text.split("\n")}


def secret_lines(assignment: Assignment) -> set[str]:
    """Distinctive lines of the solution and hidden-test regions of ``source.py``.

    A line counts when it is at least ``MIN_DISTINCTIVE_CHARS`` long, is not a
    comment, and appears nowhere in the source outside those regions (so a
    docstring line or ``x = np.asarray(x)`` repeated in a visible cell does not).
    """
    notebook = instructor_notebook(assignment)
    secret: list[str] = []
    visible: list[str] = []
    for cell in notebook.cells:
        where = f"cell {cell.id}"
        secret.extend("\n".join(r.body) for r in regions(cell.source, SOLUTION, where=where))
        if is_source_test_cell(cell):
            secret.extend("\n".join(r.body) for r in regions(cell.source, HIDDEN_TESTS, where=where))
        outside, _ = remove_regions(cell.source, SOLUTION, where=where)
        outside, _ = remove_regions(outside, HIDDEN_TESTS, where=where)
        visible.append(outside)
    shown = _lines(visible)
    return {line for line in _lines(secret)
            if len(line) >= MIN_DISTINCTIVE_CHARS and not line.startswith("#") and line not in shown}


def find_leaks(assignment: Assignment, files: Mapping[PurePosixPath, bytes]) -> list[str]:
    """Every trace of solutions or hidden tests in ``files``, one message each."""
    hidden_names = hidden_test_names(assignment)
    secrets = secret_lines(assignment)
    leaks: list[str] = []
    for path, data in files.items():
        if path.name in hidden_names:
            leaks.append(f"{path}: has the name of a hidden test file")
        text = data.decode("utf-8", errors="replace")
        word = mentions_marker(text)
        if word is not None:
            leaks.append(f"{path}: contains the marker {word!r}")
        leaks.extend(f"{path}: mentions the hidden test file {name}" for name in sorted(hidden_names)
                     if name in text)
        leaks.extend(f"{path}: contains the solution or hidden-test line {line!r}"
                     for line in sorted(secrets & _lines([text])))
    return leaks


def kit_files(install: str | None) -> dict[PurePosixPath, bytes]:
    """``wheels/<the kit's wheel>`` when the README installs the kit from the release (``install`` None).

    The wheel is not scanned by ``find_leaks``: it is the kit alone by construction (the sdist route,
    ``autograder.kit_wheel``), and its compressed bytes say nothing to a line scan.
    """
    if install is not None:
        return {}
    try:
        wheel = kit_wheel()
    except KitWheelError as err:
        raise ReleaseError(f"{err}; or pass --install SPEC to say what students install") from None
    return {PurePosixPath(WHEELS_DIR, wheel.name): wheel.read_bytes()}


def _is_empty_dir(path: Path) -> bool:
    return path.is_dir() and not any(path.iterdir())


def _write_tree(root: Path, files: Mapping[PurePosixPath, bytes]) -> None:
    for relative, data in files.items():
        target = root.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def release_assignment(assignment: Assignment, out_dir: Path, *, overwrite: bool = False,
                       install: str | None = None) -> ReleaseReport:
    """Build the student release of ``assignment`` into ``out_dir/<id>/`` and report its files.

    ``install`` is what the release's README tells students to pip install (default: the kit's
    wheel, written into the release's ``wheels/``). Raises ``ReleaseExistsError`` if that folder
    exists and is not empty (unless ``overwrite``), ``LeakError`` if anything hidden would be released, and
    another ``ReleaseError`` for a broken source; in every case nothing is written.
    """
    out_dir = Path(out_dir)
    folder = out_dir / assignment.id
    if folder.exists() and not _is_empty_dir(folder) and not overwrite:
        raise ReleaseExistsError(folder)
    if folder.exists() and not folder.is_dir():
        raise ReleaseError(f"{folder} exists and is not a folder")
    files = release_files(assignment, install=install)
    leaks = find_leaks(assignment, files)
    if leaks:
        raise LeakError(f"refusing to release {assignment.id}:\n  " + "\n  ".join(leaks))
    files = {**files, **kit_files(install)}

    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{assignment.id}.release-", dir=out_dir))
    retired: Path | None = None
    try:
        _write_tree(staging, files)
        os.chmod(staging, 0o777 & ~umask())  # mkdtemp made it 0700
        if folder.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{assignment.id}.old-", dir=out_dir))
            os.rename(folder, retired / assignment.id)
        os.rename(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if retired is not None and (retired / assignment.id).exists() and not folder.exists():
            os.rename(retired / assignment.id, folder)  # put the previous release back
        raise
    finally:
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)
    return ReleaseReport(assignment.id, folder, tuple(sorted(files)))
