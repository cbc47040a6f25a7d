"""Submissions into an nbgrader course's ``submitted/<student>/<id>/``, from loose files or a zip.

nbgrader's own ``collect`` reads its exchange, and ``zip_collect`` a download
folder with its own plugins. These helpers are for everything else, what a
course that collects by e-mail, LMS download or USB stick has:

* ``place``: each PATH is one student's submission, a notebook (the student is
  its file name, or ``--student``) or a folder (the student is the folder's name);
* ``collect``: one zip (or folder) holding many students, ``<student>.ipynb`` or
  ``<student>/...`` at its top, or any layout with ``--pattern``, a regular
  expression whose group ``student`` picks the student from each member's path
  (as nbgrader's ``FileNameCollectorPlugin.named_regexp`` does).

Either way the student's one notebook is stored as ``<module>.ipynb``, the name
nbgrader's gradebook knows (``Activations (1).ipynb`` becomes
``activations.ipynb``); ``--timestamp`` writes nbgrader's ``timestamp.txt`` for its
late-submission rules. A ``timestamp.txt`` found among a student's own files is
dropped (a student could write any time there) unless the instructor keeps it
with ``keep_timestamps`` (``--keep-timestamps``: the files came from a system that
wrote it, as nbgrader's exchange does). A student
already in ``submitted/`` with different files is left alone unless ``force``.
Zip members that are links, absolute paths or climb out (``../``) are refused,
and sizes are bounded.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from autograder.assignment import Assignment
from autograder.files import umask
from autograder.platforms.nbgrader_course import STUDENT_ID_PATTERN, SUBMITTED_STEP, CourseError

TIMESTAMP_NAME = "timestamp.txt"
MAX_MEMBER_BYTES = 64 * 1024 * 1024
MAX_ARCHIVE_BYTES = 2 * 1024 * 1024 * 1024
MAX_FILES_PER_STUDENT = 200
SKIPPED = {"__MACOSX", ".ipynb_checkpoints", "__pycache__", ".DS_Store"}


@dataclass(frozen=True)
class Placed:
    """One student's submission as placed: where, which files, and what was changed on the way."""

    student: str
    folder: Path
    files: tuple[str, ...]
    notes: tuple[str, ...] = ()


def _student(name: str) -> str:
    if not STUDENT_ID_PATTERN.match(name):
        raise CourseError(f"student id {name!r} may only hold letters, digits, _ and - (and must start "
                          "with a letter or digit); name it with --student or --pattern")
    return name


def check_timestamp(text: str) -> str:
    """``text`` as nbgrader's ``timestamp.txt`` holds it, checked with nbgrader's own parser when
    nbgrader is installed (``2025-05-01 17:03:00 UTC``, ISO 8601 ...)."""
    value = text.strip()
    if not value or "\n" in value:
        raise CourseError(f"timestamp {text!r} is not one line")
    try:
        from nbgrader.utils import parse_utc
    except ImportError:
        return value
    try:
        parse_utc(value)
    except (ValueError, OverflowError) as err:
        raise CourseError(f"timestamp {value!r} cannot be read by nbgrader: {err}") from None
    return value


def _visible(relative: PurePosixPath) -> bool:
    return not any(part in SKIPPED or part.startswith(".") for part in relative.parts)


def _folder_files(folder: Path) -> dict[PurePosixPath, bytes]:
    files: dict[PurePosixPath, bytes] = {}
    for path in sorted(folder.rglob("*")):
        relative = PurePosixPath(path.relative_to(folder).as_posix())
        if path.is_symlink() or not path.is_file() or not _visible(relative):
            continue
        if path.stat().st_size > MAX_MEMBER_BYTES:
            raise CourseError(f"{path} is larger than {MAX_MEMBER_BYTES // 1024 // 1024} MiB")
        files[relative] = path.read_bytes()
    return files


def _normalised(assignment: Assignment, files: dict[PurePosixPath, bytes], *, where: str
                ) -> tuple[dict[PurePosixPath, bytes], list[str]]:
    """The one notebook renamed to ``<module>.ipynb``; notes on what was renamed."""
    if len(files) > MAX_FILES_PER_STUDENT:
        raise CourseError(f"{where}: {len(files)} files (at most {MAX_FILES_PER_STUDENT})")
    target = PurePosixPath(f"{assignment.module}.ipynb")
    notebooks = [p for p in files if p.suffix == ".ipynb"]
    notes = []
    if target not in files:
        if len(notebooks) != 1:
            raise CourseError(f"{where}: expected one notebook (ideally {target}), found "
                              f"{[str(p) for p in notebooks] or 'none'}")
        files = {(target if p == notebooks[0] else p): data for p, data in files.items()}
        notes.append(f"{notebooks[0]} stored as {target}")
    return files, notes


def _target(course_root: Path, assignment: Assignment, student: str) -> Path:
    return Path(course_root) / SUBMITTED_STEP / _student(student) / assignment.id


def _with_timestamp(files: dict[PurePosixPath, bytes], notes: list[str], timestamp: str | None,
                    keep_timestamps: bool) -> tuple[dict[PurePosixPath, bytes], list[str]]:
    """The files as stored: with the instructor's ``timestamp``, and without a student's own one."""
    stamp = PurePosixPath(TIMESTAMP_NAME)
    if timestamp is not None:
        return {**files, stamp: (check_timestamp(timestamp) + "\n").encode("utf-8")}, notes
    if stamp in files and not keep_timestamps:
        kept = {path: data for path, data in files.items() if path != stamp}
        return kept, [*notes, f"its own {TIMESTAMP_NAME} ignored (--keep-timestamps keeps it)"]
    return files, notes


def _current(folder: Path) -> dict[PurePosixPath, bytes] | None:
    return _folder_files(folder) if folder.is_dir() else None


def _write_all(course_root: Path, assignment: Assignment,
               planned: list[tuple[str, dict[PurePosixPath, bytes], list[str]]], *,
               timestamp: str | None, keep_timestamps: bool, overwrite: bool) -> list[Placed]:
    """Check every student first (nothing is written if one cannot be), then write each."""
    final = [(who, *_with_timestamp(files, notes, timestamp, keep_timestamps)) for who, files, notes in planned]
    taken = [str(_target(course_root, assignment, who)) for who, files, _ in final
             if _target(course_root, assignment, who).exists()
             and _current(_target(course_root, assignment, who)) != files]
    if taken and not overwrite:
        listed = ", ".join(taken[:5]) + (" ..." if len(taken) > 5 else "")
        raise CourseError(f"{len(taken)} student(s) already have a different submission ({listed}); "
                          "pass --force to replace them")
    return [_write_student(_target(course_root, assignment, who), who, files, notes)
            for who, files, notes in final]


def _write_student(folder: Path, student: str, files: dict[PurePosixPath, bytes], notes: list[str]) -> Placed:
    if _current(folder) == files:
        return Placed(student, folder, tuple(sorted(map(str, files))), (*notes, "already in place"))
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{student}.", dir=folder.parent))
    try:
        for relative, data in files.items():
            path = staging.joinpath(*relative.parts)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        os.chmod(staging, 0o777 & ~umask())
        if folder.is_dir() and not folder.is_symlink():
            shutil.rmtree(folder)
        elif folder.exists() or folder.is_symlink():
            folder.unlink()
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Placed(student, folder, tuple(sorted(map(str, files))), tuple(notes))


def place(course_root: Path, assignment: Assignment, sources: list[Path], *, student: str | None = None,
          timestamp: str | None = None, keep_timestamps: bool = False, overwrite: bool = False) -> list[Placed]:
    """Put each of ``sources`` (a notebook, or a folder of one student's files) into ``submitted/``."""
    if student is not None and len(sources) != 1:
        raise CourseError("--student names the student of one PATH only")
    planned = []
    for source in sources:
        source = Path(source)
        if source.is_dir():
            files = _folder_files(source)
            who = student or source.name
        elif source.is_file() and source.suffix == ".ipynb":
            files = {PurePosixPath(source.name): source.read_bytes()}
            who = student or source.stem
        else:
            raise CourseError(f"{source}: not a notebook (.ipynb) or a folder; a zip of many students "
                              "goes to `autograder nbgrader collect`")
        files, notes = _normalised(assignment, files, where=str(source))
        planned.append((_student(who), files, notes))
    duplicates = sorted({who for who, _, _ in planned if [w for w, _, _ in planned].count(who) > 1})
    if duplicates:
        raise CourseError(f"more than one submission for {duplicates}")
    return _write_all(course_root, assignment, planned, timestamp=timestamp, keep_timestamps=keep_timestamps,
                      overwrite=overwrite)


def _safe_member(info: zipfile.ZipInfo) -> PurePosixPath | None:
    """The member's relative path, or None for a link, a folder or a path that could escape."""
    name = info.filename.replace("\\", "/")
    mode = info.external_attr >> 16
    if info.is_dir() or stat.S_ISLNK(mode):
        return None
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or ":" in path.parts[0]:
        return None
    return path


def _archive_files(archive: Path) -> dict[PurePosixPath, bytes]:
    if archive.is_dir():
        return _folder_files(archive)
    files: dict[PurePosixPath, bytes] = {}
    total = 0
    try:
        with zipfile.ZipFile(archive) as bundle:
            for info in bundle.infolist():
                path = _safe_member(info)
                if path is None or not _visible(path):
                    continue
                if info.file_size > MAX_MEMBER_BYTES:
                    raise CourseError(f"{archive}: {info.filename} is larger than "
                                      f"{MAX_MEMBER_BYTES // 1024 // 1024} MiB")
                total += info.file_size
                if total > MAX_ARCHIVE_BYTES:
                    raise CourseError(f"{archive}: more than {MAX_ARCHIVE_BYTES // 1024 ** 3} GiB unpacked")
                data = bundle.read(info)
                if len(data) > MAX_MEMBER_BYTES:
                    raise CourseError(f"{archive}: {info.filename} unpacks larger than it says")
                files[path] = data
    except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError) as err:
        raise CourseError(f"{archive}: not a readable zip ({type(err).__name__}: {err})") from None
    return files


def _refuse_lms_download(archive: Path, tops: list[str]) -> None:
    """An LMS download without ``--pattern`` would make a student of each file or folder name
    (``doejane_12345_987_activations``): one line naming the layout and a pattern to adapt."""
    from autograder.lms.download_layout import NBGRADER_PATTERNS, download_of_names

    download = download_of_names(tops)
    if download is not None:
        layout, _ = download
        raise CourseError(f"{archive} is a {layout} download: name its students with --pattern, e.g. "
                          f"--pattern '{NBGRADER_PATTERNS[layout]}', adapted so that the group student "
                          "is the id your nbgrader course knows")


def collect(course_root: Path, assignment: Assignment, archive: Path, *, pattern: str | None = None,
            timestamp: str | None = None, keep_timestamps: bool = False, overwrite: bool = False) -> list[Placed]:
    """Place every student of ``archive`` (a zip or a folder); see the module's docstring.

    Nothing is written unless every student's files can be placed.
    """
    members = _archive_files(Path(archive))
    regex = re.compile(pattern) if pattern else None
    if regex is not None and "student" not in regex.groupindex:
        raise CourseError("--pattern needs a group named student: (?P<student>...)")
    if regex is None:
        _refuse_lms_download(archive, sorted({path.parts[0] for path in members}))
    by_student: dict[str, dict[PurePosixPath, bytes]] = {}
    for path, data in members.items():
        if regex is not None:
            match = regex.search(str(path))
            if match is None:
                continue
            who, relative = match.group("student"), PurePosixPath(path.name)
        elif len(path.parts) == 1:
            who, relative = path.stem, path
        else:
            who, relative = path.parts[0], PurePosixPath(*path.parts[1:])
            if len(relative.parts) > 1 and relative.parts[0] == assignment.id:
                relative = PurePosixPath(*relative.parts[1:])  # <student>/<id>/... as in submitted/
        by_student.setdefault(who, {})[relative] = data
    if not by_student:
        raise CourseError(f"{archive}: no submission found" + (f" matching {pattern!r}" if pattern else ""))
    planned = []
    for who, files in sorted(by_student.items()):
        files, notes = _normalised(assignment, files, where=f"{archive}: {who}")
        planned.append((_student(who), files, notes))
    return _write_all(course_root, assignment, planned, timestamp=timestamp, keep_timestamps=keep_timestamps,
                      overwrite=overwrite)
