"""Which students a folder given to ``grade`` holds: one submission, or a batch laid out the way an
LMS download (or a hand-made folder) lays it out.

Layouts recognised, from the names each system gives (every entry of the folder must fit one):

* Canvas, "Download Submissions": loose files ``<lastfirst>[_LATE]_<user id>_<submission id>_<file>``;
  the student is ``<lastfirst>_<user id>`` (Canvas's user id is the roster's ``ID``);
* Moodle, "Download all submissions": a folder ``<Full Name>_<participant id>_assignsubmission_<plugin>_``
  per student and plugin (or loose files ``..._assignsubmission_file_<file>``); the student is
  ``<Full Name>_<participant id>`` (the grading worksheet's ``Identifier`` is ``Participant <id>``);
* Blackboard, "Download Assignment": loose files ``<assignment>_<username>_attempt_<YYYY-MM-DD-hh-mm-ss>[_<file>]``
  next to a ``.txt`` receipt per attempt; the student is ``<username>``, graded on the latest attempt;
* Gradescope, "Export Submissions": a folder ``submission_<id>`` per submission beside
  ``submission_metadata.yml``, which names each one's submitters; each submitter is a student (a
  group's members each get the group's grade), named by their ``:sid:``, else ``:email:``, else ``:name:``;
* by hand: one sub-folder per student, or one ``.py``/``.ipynb``/``.zip`` per student, named by student.

``grade subs/*`` of a download (the shell's list of its entries) reads as ``grade subs`` does.

A folder that is one student's own work stays one student: it holds the assignment's module file
(``activations.py``/``.ipynb``) itself, or (when its names are no LMS download's) a single source
file anywhere, or one notebook beside helper ``.py`` files. Anything else that does not fit (loose
source files beside sub-folders, a student whose several files none names the module) is a
``LayoutError`` saying how to name the submissions: nothing is guessed.
"""

from __future__ import annotations

import importlib
import re
import shlex
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from autograder.naming import names_module
from autograder.submission import safe_student_id, student_id_of

GRADEABLE_SUFFIXES = (".py", ".ipynb", ".zip")
SOURCE_SUFFIXES = (".py", ".ipynb")

_CANVAS = re.compile(r"(?P<name>[^_]+)(?:_LATE)?_(?P<user>\d+)_(?P<attachment>\d+)_(?P<file>.+)\Z")
_MOODLE_FOLDER = re.compile(r"(?P<name>.+)_(?P<user>\d+)_assignsubmission_(?P<plugin>[a-z]+)_?\Z")
_MOODLE_FILE = re.compile(r"(?P<name>.+)_(?P<user>\d+)_assignsubmission_file_(?P<file>.+)\Z")
_BLACKBOARD = re.compile(r"(?P<assignment>.+)_(?P<user>[^_]+)_attempt_"
                         r"(?P<when>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})(?:_(?P<file>.+))?\Z")


_GRADESCOPE_FOLDER = re.compile(r"submission_\d+\Z")
GRADESCOPE_METADATA = "submission_metadata.yml"
"""The file of Gradescope's "Export Submissions" that names each ``submission_<id>`` folder's submitters."""


class LayoutError(ValueError):
    """A folder whose students cannot be told without guessing; the message says how to name them."""


@dataclass(frozen=True)
class Students:
    """What a folder holds: ``{student id: submission path}`` and the layout it was read as."""

    by_id: dict[str, Path]
    layout: str


def _entries(folder: Path) -> list[Path]:
    """The folder's entries a student could have made: hidden and tool folders (``.DS_Store``,
    ``__MACOSX``) are the download's or the OS's, never a student's."""
    return sorted(p for p in folder.iterdir() if not p.name.startswith((".", "__")))


def _below(folder: Path, suffixes: tuple[str, ...]) -> list[Path]:
    return [p for p in folder.rglob("*") if p.suffix in suffixes and p.is_file()
            and not any(part.startswith((".", "__")) for part in p.relative_to(folder).parts)]


def _sources_below(folder: Path) -> list[Path]:
    return _below(folder, SOURCE_SUFFIXES)


def _holds_module(folder: Path, module: str) -> bool:
    """Whether ``folder`` is one student's work for certain: it holds the module file itself."""
    return any((folder / f"{module}{suffix}").is_file() for suffix in SOURCE_SUFFIXES)


def _is_notebook_with_helpers(entries: Sequence[Path]) -> bool:
    """One notebook beside ``.py`` files and no sub-folder: a student's notebook and its helpers."""
    files = [p for p in entries if p.is_file() and p.suffix in GRADEABLE_SUFFIXES]
    notebooks = [p for p in files if p.suffix == ".ipynb"]
    return (not any(p.is_dir() for p in entries) and len(notebooks) == 1 and len(files) > 1
            and all(p.suffix == ".py" for p in files if p not in notebooks))


def _chosen(student: str, paths: list[tuple[str, Path]], module: str, folder: Path) -> Path:
    """The one submission of a student the download holds several files of: the one whose own
    name (``file``, the part the student chose) is the module's, else the only one naming it."""
    if len(paths) == 1:
        return paths[0][1]
    exact = [p for name, p in paths if Path(name).stem == module]
    named = exact or [p for name, p in paths if names_module(name, module)]
    if len(named) == 1:
        return named[0]
    listed = ", ".join(p.name for _, p in paths)
    raise LayoutError(f"{folder} holds several files of student {student} ({listed}) and not one "
                      f"named {module}.py or .ipynb; move the ones not to grade out of {folder}, then grade it again")


def _grouped(matches: Iterable[tuple[str, str, Path]], module: str, folder: Path) -> dict[str, Path]:
    """``{student id: path}`` from ``(student id, file name the student gave, path)``."""
    groups: dict[str, list[tuple[str, Path]]] = {}
    for student, name, path in matches:
        groups.setdefault(student, []).append((name, path))
    return {student: _chosen(student, paths, module, folder) for student, paths in groups.items()}


def _canvas(folder: Path, entries: Sequence[Path], module: str) -> dict[str, Path] | None:
    found = [(m, p) for p in entries if p.is_file() and (m := _CANVAS.match(p.name))]
    if len(found) != len(entries):
        return None
    return _grouped(((safe_student_id(f"{m['name']}_{m['user']}"), m["file"], p) for m, p in found
                     if p.suffix in GRADEABLE_SUFFIXES), module, folder)


def _moodle(folder: Path, entries: Sequence[Path], module: str) -> dict[str, Path] | None:
    folders = [(m, p) for p in entries if p.is_dir() and (m := _MOODLE_FOLDER.match(p.name))]
    files = [(m, p) for p in entries if p.is_file() and (m := _MOODLE_FILE.match(p.name))]
    if not entries or len(folders) + len(files) != len(entries):
        return None
    # Only the file plugin's folders hold code; an onlinetext folder holds the student's typed text.
    matches = [(safe_student_id(f"{m['name']}_{m['user']}"), p.name, p) for m, p in folders if m["plugin"] == "file"]
    matches += [(safe_student_id(f"{m['name']}_{m['user']}"), m["file"], p) for m, p in files
                if p.suffix in GRADEABLE_SUFFIXES]
    return _grouped(matches, module, folder)


def _blackboard(folder: Path, entries: Sequence[Path], module: str) -> dict[str, Path] | None:
    found = [(m, p) for p in entries
             if p.is_file() and (m := _BLACKBOARD.match(p.name.removesuffix(p.suffix) if p.suffix == ".txt"
                                                       else p.name))]
    if not entries or len(found) != len(entries):
        return None
    latest: dict[str, str] = {}
    for m, _ in found:
        latest[m["user"]] = max(latest.get(m["user"], ""), m["when"])
    # Each attempt is downloaded; a student's grade is that of their last one (the timestamps sort).
    return _grouped(((safe_student_id(m["user"]), m["file"] or p.name, p) for m, p in found
                     if m["when"] == latest[m["user"]] and p.suffix in GRADEABLE_SUFFIXES), module, folder)


def _submitter_ids(metadata: object, submission: str, where: Path) -> list[str]:
    """The ids of the submitters ``metadata`` (the parsed ``submission_metadata.yml``) gives ``submission``."""
    entry = metadata.get(submission) if isinstance(metadata, dict) else None
    submitters = entry.get(":submitters") if isinstance(entry, dict) else None
    ids = []
    for submitter in submitters if isinstance(submitters, list) else []:
        if isinstance(submitter, dict):
            named = next((submitter[key] for key in (":sid", ":email", ":name") if submitter.get(key)), None)
            if named is not None:
                ids.append(safe_student_id(str(named)))
    if not ids:
        raise LayoutError(f"{where} names no submitter of {submission}; export the submissions from Gradescope "
                          f"again, or pass {where.parent}/* to grade each folder under its own name")
    return ids


def _gradescope(folder: Path, entries: Sequence[Path], module: str) -> dict[str, Path] | None:
    metadata_file = folder / GRADESCOPE_METADATA
    submissions = [p for p in entries if p.is_dir() and _GRADESCOPE_FOLDER.match(p.name)]
    if not metadata_file.is_file() or not submissions or len(submissions) + 1 != len(entries):
        return None
    try:
        yaml = importlib.import_module("yaml")  # PyYAML, which jupytext (a dependency) requires
        metadata = yaml.safe_load(metadata_file.read_text(encoding="utf-8"))
    except Exception as err:  # PyYAML missing, the file not UTF-8 or not YAML
        raise LayoutError(f"{metadata_file} cannot be read ({type(err).__name__}: {err}); pass "
                          f"{folder}/* to grade each folder under its own name") from None
    by_id: dict[str, Path] = {}
    for path in submissions:
        for student in _submitter_ids(metadata, path.name, metadata_file):
            if student in by_id:
                raise LayoutError(f"{metadata_file} names {student} as a submitter of both {by_id[student].name} "
                                  f"and {path.name}; remove the one not to grade, then grade it again")
            by_id[student] = path
    return by_id


_LMS_LAYOUTS = (("Canvas", _canvas), ("Moodle", _moodle), ("Blackboard", _blackboard), ("Gradescope", _gradescope))


def _by_hand(folder: Path, entries: Sequence[Path], module: str) -> Students:
    dirs = [p for p in entries if p.is_dir()]
    files = [p for p in entries if p.is_file() and p.suffix in GRADEABLE_SUFFIXES]
    if dirs and files:
        raise LayoutError(f"{folder} holds both sub-folders and loose source files, so its students "
                          f"cannot be told apart; pass {folder}/* to grade each entry as a student, "
                          "or name the submissions to grade")
    if not dirs and not files:
        raise LayoutError(f"{folder} holds no submission (.py, .ipynb, .zip or a folder per student)")
    if files and len({p.suffix for p in files} & set(SOURCE_SUFFIXES)) > 1:
        raise LayoutError(f"{folder} holds .py and .ipynb files and none named {module}.py, so one "
                          f"student's helpers cannot be told from other students; pass {folder}/* to "
                          "grade each file as a student, or the one file to grade")
    entries_of = dirs or files
    return Students({student_id_of(p): p for p in entries_of},
                    "one sub-folder per student" if dirs else "one file per student")


def students_in(folder: Path, module: str) -> Students | None:
    """The students ``folder`` holds, or ``None`` when it is one student's submission (grade it as it is).

    ``module`` is the assignment's module name (``activations``). A ``LayoutError`` when the layout
    is ambiguous."""
    entries = _entries(folder)
    if _holds_module(folder, module):
        return None
    # An LMS download before the one-source rule: one whose other students all uploaded zips holds one
    # source file in all, and is still a batch.
    for layout, read in _LMS_LAYOUTS:
        found = read(folder, entries, module)
        if found is not None:
            if not found:
                raise LayoutError(f"{folder} is a {layout} download with no .py, .ipynb or .zip submission")
            return Students(found, layout)
    sources = _sources_below(folder)
    if len(sources) == 1 and all(z.parent == sources[0].parent for z in _below(folder, (".zip",))):
        return None  # a single source file in all (and no zip elsewhere, another student's): one student
    if [p.suffix for p in entries if p.is_dir() or p.suffix in GRADEABLE_SUFFIXES] == [".zip"]:
        return None  # the zip a student uploaded, alone in their folder (``grade subs/*``)
    # After the LMS layouts: a Canvas download of one notebook and others' .py files is not one student.
    if _is_notebook_with_helpers(entries):
        return None
    return _by_hand(folder, entries, module)


def _top_level_names(archive: Path) -> list[str]:
    """The names at the top of a zip, without the OS's (``__MACOSX``, ``.DS_Store``); none if unreadable."""
    try:
        with zipfile.ZipFile(archive) as opened:
            names = opened.namelist()
    except Exception:  # an unreadable zip is the student's load failure, said when it is graded
        return []
    tops = {PurePosixPath(name).parts[0] for name in names if PurePosixPath(name).parts}
    return sorted(top for top in tops if not top.startswith((".", "__")))


def download_in_zip(archive: Path) -> tuple[str, int] | None:
    """``(layout, students)`` when the zip ``archive`` is an LMS download of several students (its
    top-level names all Canvas's, Moodle's, Blackboard's or Gradescope's; for Gradescope, submissions),
    else ``None``: one student's zip."""
    return download_of_names(_top_level_names(archive))


NBGRADER_PATTERNS = {
    "Canvas": r"^(?P<student>[^_/]+)(_LATE)?_\d+_\d+_",
    "Moodle": r"^[^/]*_(?P<student>\d+)_assignsubmission_file_",
    "Blackboard": r"_(?P<student>[^_/]+)_attempt_",
    "Gradescope": r"^submission_(?P<student>\d+)/",
}
"""For ``autograder nbgrader collect --pattern``: the student of each LMS download's names (Canvas's
lastfirst, Moodle's participant id, Blackboard's username, Gradescope's submission id), to adapt to
the ids the nbgrader course knows."""


def download_of_names(tops: Sequence[str]) -> tuple[str, int] | None:
    """``(layout, students)`` when ``tops``, the names at the top of a folder or zip (without the
    OS's), are all an LMS download's; else ``None``."""
    if not tops:
        return None
    for layout, pattern, group in (("Canvas", _CANVAS, "user"), ("Blackboard", _BLACKBOARD, "user")):
        found = [m for top in tops if (m := pattern.match(top.removesuffix(".txt")))]
        if len(found) == len(tops):
            return layout, len({m[group] for m in found})
    moodle = [m for top in tops if (m := _MOODLE_FOLDER.match(top) or _MOODLE_FILE.match(top))]
    if len(moodle) == len(tops):
        return "Moodle", len({m["user"] for m in moodle})
    submissions = [top for top in tops if _GRADESCOPE_FOLDER.match(top)]
    if GRADESCOPE_METADATA in tops and submissions and len(submissions) + 1 == len(tops):
        return "Gradescope", len(submissions)
    return None


def _download_spread(paths: Sequence[Path], module: str) -> tuple[dict[str, Path], list[str]] | None:
    """``{student id: path}`` and a note when ``paths`` are the entries of one LMS download, as a shell
    expands ``subs/*``: Moodle's per-plugin folders, or Canvas's files of one student, are then that
    student's, named as the LMS names them, not one "student" per entry."""
    folders = {path.parent for path in paths}
    if len(folders) != 1:
        return None
    folder = folders.pop()
    entries = sorted(path for path in paths if not path.name.startswith((".", "__")))
    for layout, read in _LMS_LAYOUTS:
        found = read(folder, entries, module) if entries else None
        if found:
            return found, [f"{folder}/*: {layout}, {len(found)} student{'s' if len(found) != 1 else ''}"]
    return None


def submissions_to_grade(paths: Sequence[Path], module: str) -> tuple[dict[str, Path] | list[Path], list[str]]:
    """What ``grade PATHS`` grades: ``paths`` as given (each one student), unless one is a folder of
    students, in which case ``{student id: path}`` over all of them. Also one note per folder read
    as a batch, so the reading is never silent. A ``LayoutError`` as ``students_in``; two entries
    that are the same student is one too."""
    for path in paths:
        download = download_in_zip(path) if path.suffix == ".zip" and path.is_file() else None
        if download is not None:  # never one student who "holds several source files"
            layout, count = download
            raise LayoutError(f"{path} is a {layout} download of {count} student{'s' if count != 1 else ''}, "
                              f"not one submission; unzip it (unzip {shlex.quote(str(path))} -d subs) and "
                              "grade the folder subs")
    spread = _download_spread(paths, module)
    if spread is not None:  # ``grade subs/*`` of a download: its students, as ``grade subs`` reads them
        return spread
    batches = {path: students_in(path, module) if path.is_dir() else None for path in paths}
    if all(found is None for found in batches.values()):
        return list(paths), []
    by_id: dict[str, Path] = {}
    notes = []
    for path, found in batches.items():
        pairs = found.by_id.items() if found is not None else [(student_id_of(path), path)]
        if found is not None:
            notes.append(f"{path}: {found.layout}, {len(found.by_id)} "
                         f"student{'s' if len(found.by_id) != 1 else ''}")
        for student, submission in pairs:
            if student in by_id:
                raise LayoutError(f"{by_id[student]} and {submission} are both student {student!r}; "
                                  "pass one of them")
            by_id[student] = submission
    return by_id, notes
