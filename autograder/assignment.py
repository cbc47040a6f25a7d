"""An assignment and its manifest, and where assignments live: the one place that says both.

The kit holds no assignment. The instructor's material lives in a **course
folder**, one sub-folder per assignment::

    <course>/<id>/manifest.toml          points, limits, skills (schema: MANIFEST_KEYS)
    <course>/<id>/source.py              the instructor source, solutions and hidden tests in it
    <course>/<id>/tests/public/          the public suite (released)
    <course>/<id>/tests/hidden/          the hidden suite (never released)
    <course>/<id>/misconceptions.toml    chaffs and wheats (optional, never released)

``find_course`` says which folder that is: ``--course DIR``, else the
``AUTOGRADER_COURSE`` environment variable, else ``assignments/`` found from the
current folder (itself, or an ``assignments/`` in it or in a parent, as in a clone
of the kit), else the ``assignments/`` of the clone the kit runs from. A student's
**release folder** stands on its own: ``assignment.toml`` (the manifest, public
keys only) beside the stub, and the public suite in ``tests/`` (``load_release``).

Each manifest is read into an ``Assignment``. Every key has a type and a
description (``MANIFEST_KEYS``); limits have defaults (``Limits``). Unknown
keys and wrong types are errors, so a typo cannot silently fall back to a default.
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from autograder.limits import CALL_TIMEOUT_S, CPU_SECONDS, IMPORT_TIMEOUT_S, MEMORY_MB, SUBMISSION_TIMEOUT_S

MANIFEST_VERSION = 1
MANIFEST_NAME = "manifest.toml"
RELEASE_MANIFEST_NAME = "assignment.toml"
"""The manifest a release folder carries, so ``check`` needs no course folder."""
COURSE_ENV = "AUTOGRADER_COURSE"
"""The environment variable naming the course folder when ``--course`` is not given."""
COURSE_FOLDER_NAME = "assignments"
"""The course folder of a clone of the kit (and the one looked for from the current folder)."""


class ManifestError(ValueError):
    """A manifest that is missing, malformed or inconsistent."""


class CourseError(ManifestError):
    """No course folder could be found, or the one named does not exist."""


FEEDBACK_LEVELS = ("full", "names")
"""What students are told about the hidden suite's checks (the manifest's ``feedback`` key):
``full``, every failing check with its input, expected and returned values and hint;
``names``, only each check's name and whether it passed (and the points)."""


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission's sandboxed worker."""

    call_timeout_s: float = CALL_TIMEOUT_S
    import_timeout_s: float = IMPORT_TIMEOUT_S
    memory_mb: int = MEMORY_MB
    cpu_seconds: int = CPU_SECONDS
    submission_timeout_s: float = SUBMISSION_TIMEOUT_S


@dataclass(frozen=True)
class Skill:
    """One graded skill: a function, or a lecture idea, and its share of the points."""

    name: str
    points: float
    title: str


@dataclass(frozen=True)
class CreditModel:
    """How an assignment's points are shared (see ``autograder/grading/credit.py``).

    Each skill's points are split between its value checks and its contract
    checks (int input, shapes, no mutation, stability); the contract checks
    carry ``contract_share`` of them, and earn only as far as the skill's value
    checks pass, so a wrong function earns nothing from them.
    """

    skills: tuple[Skill, ...]
    contract_share: float = 0.2
    rule_costs: tuple[tuple[str, float], ...] = ()
    """The manifest's ``[rules]``: rule id and the share of a skill's points that a failing check
    of the rule costs at least (``rule_cost``)."""

    def skill(self, name: str) -> Skill | None:
        return next((s for s in self.skills if s.name == name), None)

    def rule_cost(self, rule_id: str) -> float:
        """The least share of its skill's points a failing check of ``rule_id`` costs (where the
        skill's values are right): the manifest's ``[rules]`` entry, else ``contract_share``. Every
        rule is stated to students (the release README or the docstring); one contract check among
        many would otherwise cost a sliver of a point (an overflowing sigmoid 0.35 of 100, an
        input modified 0.15). A manifest may set a rule's cost to 0: it then costs its own share."""
        return dict(self.rule_costs).get(rule_id, self.contract_share)

    @property
    def total(self) -> float:
        return sum(s.points for s in self.skills)


@dataclass(frozen=True)
class ScoreFlag:
    """A score range the instructor wants to look at (the manifest's ``needs_look_scores``), in points."""

    reason: str
    at_least: float | None = None
    at_most: float | None = None

    def matches(self, score: float) -> bool:
        return ((self.at_least is None or score >= self.at_least - 1e-9)
                and (self.at_most is None or score <= self.at_most + 1e-9))


@dataclass(frozen=True)
class Assignment:
    """One assignment: its source, suites, limits and credit model."""

    id: str
    title: str
    module: str
    functions: tuple[str, ...]
    total_points: float
    limits: Limits
    root: Path
    credit: CreditModel = CreditModel(())
    manifest_version: int = MANIFEST_VERSION
    released: bool = False
    """True for a student's release folder: public suite in ``tests/``, nothing secret."""
    feedback: str = "full"
    """How much students see of the hidden checks: one of ``FEEDBACK_LEVELS``."""
    questions_points: float = 0.0
    """Points of the question sheet (``questions.toml``), on top of ``total_points``; 0: no sheet."""
    needs_look_scores: tuple[ScoreFlag, ...] = ()
    """Scores the instructor flags under "needs a look", each with the instructor's reason."""

    @property
    def source_path(self) -> Path:
        """The instructor's source (a jupytext percent script with solutions)."""
        return self.root / "source.py"

    @property
    def public_tests(self) -> Path:
        return self.root / "tests" if self.released else self.root / "tests" / "public"

    @property
    def hidden_tests(self) -> Path:
        return self.root / "tests" / "hidden"

    @property
    def misconceptions_path(self) -> Path:
        """The catalog of known-wrong (chaffs) and known-right (wheats) implementations."""
        return self.root / "misconceptions.toml"


MANIFEST_KEYS: dict[str, tuple[type, str]] = {
    "manifest_version": (int, f"schema version of this file; must be {MANIFEST_VERSION}"),
    "id": (str, "assignment id, equal to its folder name"),
    "title": (str, "human title shown in reports"),
    "module": (str, "file stem students submit (activations -> activations.py / .ipynb)"),
    "functions": (list, "names of the functions students implement"),
    "total_points": (float, "points of the hidden suite; must equal the sum of its skills' points"),
    "limits": (dict, "call_timeout_s, import_timeout_s, memory_mb, cpu_seconds, submission_timeout_s"),
    "contract_share": (float, "share (0 to 0.5) of each skill's points carried by its contract checks"),
    "skill": (list, "the graded skills, [[skill]] tables of name, points and title; "
                    "their points add up to total_points"),
    "rules": (dict, "rule id = the least share (0 to 1) of its skill's points that failing a check of the "
                    "rule (@pytest.mark.rule) costs where the values are right; default: contract_share for "
                    "every rule (0: the check costs only its own share)"),
    "feedback": (str, "what students see of the hidden checks: \"full\" (default: inputs, expected and "
                      "returned values, hints) or \"names\" (each check's name and pass/fail only)"),
    "questions_points": (float, "points of the question sheet (questions.toml), on top of total_points; "
                                "must equal the sum of its questions' points (default 0: no sheet graded)"),
    "needs_look_scores": (list, "scores to flag under needs a look: a list of { at_least = points, "
                                "at_most = points, reason = \"...\" } (at_least and/or at_most, and a reason)"),
}

SKILL_KEYS: dict[str, tuple[type, str]] = {
    "name": (str, "the name suites use in @pytest.mark.skill(name)"),
    "points": (float, "the skill's share of total_points"),
    "title": (str, "what the skill is, as students read it"),
}
OPTIONAL_KEYS = frozenset({"limits", "contract_share", "feedback", "rules", "questions_points", "needs_look_scores"})
# Keys that concern the instructor's review of grades only: never written into a release.
GRADING_ONLY_KEYS = frozenset({"needs_look_scores"})


def _checked(raw: dict[str, Any], path: Path) -> dict[str, Any]:
    unknown = set(raw) - set(MANIFEST_KEYS)
    if unknown:
        raise ManifestError(f"{path}: unknown keys {sorted(unknown)}")
    for key, (kind, _) in MANIFEST_KEYS.items():
        if key not in OPTIONAL_KEYS and key not in raw:
            raise ManifestError(f"{path}: missing key {key!r}")
        value = raw.get(key)
        ok = isinstance(value, (int, float)) if kind is float else isinstance(value, kind)
        if key in raw and (not ok or isinstance(value, bool)):
            raise ManifestError(f"{path}: {key!r} should be {kind.__name__}, got {value!r}")
    names = raw["functions"]
    if not names or not all(isinstance(n, str) and n.isidentifier() for n in names):
        raise ManifestError(f"{path}: functions should be a non-empty list of Python names, got {names!r}")
    if not math.isfinite(float(raw["total_points"])) or raw["total_points"] <= 0:
        raise ManifestError(f"{path}: total_points must be a positive finite number, got {raw['total_points']!r}")
    sheet = raw.get("questions_points", 0)
    if not math.isfinite(float(sheet)) or sheet < 0:
        raise ManifestError(f"{path}: questions_points must be a finite number, 0 or more, got {sheet!r}")
    if raw.get("feedback", "full") not in FEEDBACK_LEVELS:
        raise ManifestError(f"{path}: feedback must be one of {', '.join(map(repr, FEEDBACK_LEVELS))}, "
                            f"got {raw['feedback']!r}")
    if raw["manifest_version"] != MANIFEST_VERSION:
        raise ManifestError(f"{path}: manifest_version {raw['manifest_version']} is not {MANIFEST_VERSION}")
    return raw


def _limits(raw: dict[str, Any], path: Path) -> Limits:
    defaults = Limits()
    known = {f.name for f in fields(Limits)}
    unknown = set(raw) - known
    if unknown:
        raise ManifestError(f"{path}: unknown limits {sorted(unknown)}")
    for key, value in raw.items():
        kind = type(getattr(defaults, key))
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not numeric or (kind is int and not isinstance(value, int)):
            raise ManifestError(f"{path}: limits.{key} should be {kind.__name__}, got {value!r}")
        if not math.isfinite(value) or value <= 0:
            raise ManifestError(f"{path}: limits.{key} must be positive and finite, got {value!r}")
    return Limits(**raw)


def _skill(raw: Any, path: Path) -> Skill:
    if not isinstance(raw, dict) or set(raw) != set(SKILL_KEYS):
        raise ManifestError(f"{path}: each [[skill]] needs exactly {sorted(SKILL_KEYS)}, got {raw!r}")
    points = raw["points"]
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not math.isfinite(points) \
            or points <= 0:
        raise ManifestError(f"{path}: skill {raw.get('name')!r} points must be positive and finite")
    if not isinstance(raw["name"], str) or not raw["name"] or not isinstance(raw["title"], str):
        raise ManifestError(f"{path}: skill name and title should be non-empty strings, got {raw!r}")
    return Skill(raw["name"], float(points), raw["title"])


def _score_flag(raw: Any, path: Path) -> ScoreFlag:
    """One ``needs_look_scores`` entry: a non-empty reason and at least one finite bound in points."""
    bounds = {key: raw.get(key) for key in ("at_least", "at_most")} if isinstance(raw, dict) else {}
    given = {key: value for key, value in bounds.items() if value is not None}
    if (not isinstance(raw, dict) or set(raw) - {"at_least", "at_most", "reason"} or not given
            or not isinstance(raw.get("reason"), str) or not raw["reason"].strip()
            or any(isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)
                   for v in given.values())):
        raise ManifestError(f"{path}: each needs_look_scores entry needs a reason and at_least and/or at_most "
                            f"(points), as in {{ at_least = 100, reason = \"full marks\" }}, got {raw!r}")
    return ScoreFlag(raw["reason"].strip(), *(None if v is None else float(v) for v in bounds.values()))


_RULE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
"""A rule id as ``autograder.suite.rules`` writes them (that package imports numpy; a manifest is read
without it)."""


def _rule_costs(raw: dict[str, Any], path: Path) -> tuple[tuple[str, float], ...]:
    """The ``[rules]`` table: rule ids (lower-case words joined by hyphens) to shares in [0, 1]."""
    costs = []
    for rule_id, cost in raw.items():
        if not _RULE_ID.match(rule_id):
            raise ManifestError(f"{path}: [rules] key {rule_id!r} is not a rule id "
                                "(lower-case words joined by hyphens, as in @pytest.mark.rule)")
        if isinstance(cost, bool) or not isinstance(cost, (int, float)) or not 0 <= cost <= 1:
            raise ManifestError(f"{path}: rules.{rule_id} must be a share of the skill's points in [0, 1], "
                                f"got {cost!r}")
        costs.append((rule_id, float(cost)))
    return tuple(costs)


def _credit(raw: dict[str, Any], path: Path) -> CreditModel:
    skills = tuple(_skill(entry, path) for entry in raw["skill"])
    names = [s.name for s in skills]
    if not skills or len(set(names)) != len(names):
        raise ManifestError(f"{path}: skills should be a non-empty list of distinct names, got {names}")
    share = raw.get("contract_share", CreditModel(()).contract_share)
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 0.5:
        raise ManifestError(f"{path}: contract_share must be a number in [0, 0.5], got {share!r}")
    model = CreditModel(skills, float(share), _rule_costs(raw.get("rules", {}), path))
    if not math.isclose(model.total, float(raw["total_points"]), rel_tol=0, abs_tol=1e-9):
        raise ManifestError(f"{path}: skills add up to {model.total:g} points, "
                            f"total_points says {raw['total_points']:g}")
    return model


def _read_manifest(path: Path) -> dict[str, Any]:
    try:
        return _checked(tomllib.loads(path.read_text(encoding="utf-8")), path)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ManifestError(f"cannot read {path}: {err}") from None


def _assignment(raw: dict[str, Any], root: Path, path: Path, *, released: bool = False) -> Assignment:
    return Assignment(id=raw["id"], title=raw["title"], module=raw["module"],
                      functions=tuple(raw["functions"]), total_points=float(raw["total_points"]),
                      limits=_limits(raw.get("limits", {}), path), root=root,
                      credit=_credit(raw, path), released=released,
                      feedback=raw.get("feedback", "full"),
                      questions_points=float(raw.get("questions_points", 0)),
                      needs_look_scores=tuple(_score_flag(f, path) for f in raw.get("needs_look_scores", [])))


def load_manifest(root: Path) -> Assignment:
    """Read and check ``root/manifest.toml`` (an assignment folder of a course)."""
    path = root / MANIFEST_NAME
    raw = _read_manifest(path)
    if raw["id"] != root.name:
        raise ManifestError(f"{path}: id {raw['id']!r} differs from folder {root.name!r}")
    return _assignment(raw, root, path)


def load_release(folder: Path) -> Assignment:
    """The assignment of a student's release folder, from its ``assignment.toml``.

    The folder may have been renamed or moved (a student unzips it anywhere), so
    its name need not be the id.
    """
    folder = Path(folder)
    path = folder / RELEASE_MANIFEST_NAME
    return _assignment(_read_manifest(path), folder, path, released=True)


def _toml_value(value: Any) -> str:
    if isinstance(value, str):  # a TOML basic string: JSON's escapes, and DEL escaped too
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ManifestError(f"cannot write {value!r} to a manifest")
    return repr(value)


def release_manifest(assignment: Assignment) -> str:
    """``assignment.toml`` of the release: every manifest key but ``GRADING_ONLY_KEYS``, written from the typed
    ``Assignment`` (no comment of the instructor's manifest is copied), read by ``load_release``."""
    limits = assignment.limits
    lines = [
        "# Written by `autograder release`: what `autograder check` reads in this folder.",
        "# The points and the rules are explained in README.md.",
        f"manifest_version = {assignment.manifest_version}",
        f"id = {_toml_value(assignment.id)}",
        f"title = {_toml_value(assignment.title)}",
        f"module = {_toml_value(assignment.module)}",
        "functions = [" + ", ".join(_toml_value(f) for f in assignment.functions) + "]",
        f"total_points = {_toml_value(assignment.total_points)}",
        f"contract_share = {_toml_value(assignment.credit.contract_share)}",
        f"feedback = {_toml_value(assignment.feedback)}",
        f"questions_points = {_toml_value(assignment.questions_points)}",
        "",
        "[limits]",
        *(f"{f.name} = {_toml_value(getattr(limits, f.name))}" for f in fields(Limits)),
    ]
    lines += ["", "[rules]",  # always written: every manifest key is in the release, even when empty
              *(f"{rule_id} = {_toml_value(cost)}" for rule_id, cost in assignment.credit.rule_costs)]
    for skill in assignment.credit.skills:
        lines += ["", "[[skill]]", f"name = {_toml_value(skill.name)}",
                  f"points = {_toml_value(skill.points)}", f"title = {_toml_value(skill.title)}"]
    return "\n".join(lines) + "\n"


def _holds_assignments(folder: Path) -> bool:
    """A folder with at least one ``<id>/manifest.toml`` in it."""
    try:
        return folder.is_dir() and any((child / MANIFEST_NAME).is_file() for child in folder.iterdir())
    except OSError:
        return False


@dataclass(frozen=True)
class Course:
    """A course folder: one ``<id>/`` folder per assignment (see the module's docstring).

    ``found_by`` says how it was chosen (``--course``, the environment variable, the
    current folder or the kit's clone), for messages.
    """

    root: Path
    found_by: str = "--course"

    def ids(self) -> list[str]:
        """Ids of the assignments in the course, sorted."""
        try:
            children = list(self.root.iterdir())
        except OSError:
            return []
        return sorted(p.name for p in children if (p / MANIFEST_NAME).is_file())

    def assignment(self, assignment_id: str) -> Assignment:
        """The assignment ``assignment_id``, or a one-line ``ManifestError`` listing the known ones."""
        root = self.root / assignment_id
        if (not assignment_id or Path(assignment_id).name != assignment_id or assignment_id.startswith(".")
                or not (root / MANIFEST_NAME).is_file()):
            known = ", ".join(self.ids()) or "none"
            raise ManifestError(f"no assignment {assignment_id!r} in course {self.root}; known: {known}")
        return load_manifest(root)

    def assignments(self) -> list[Assignment]:
        return [self.assignment(i) for i in self.ids()]


def _kit_clone_course() -> Path | None:
    """``assignments/`` of the clone this kit runs from (an editable install or a checkout)."""
    clone = Path(__file__).resolve().parent.parent
    course = clone / COURSE_FOLDER_NAME
    return course if (clone / "pyproject.toml").is_file() and _holds_assignments(course) else None


def find_course(course: Path | str | None = None, *, cwd: Path | None = None) -> Course:
    """The course folder: ``course`` if given (``--course``), else ``$AUTOGRADER_COURSE``, else
    ``cwd`` itself when it holds assignments, else ``assignments/`` in ``cwd`` or a parent, else
    the kit's own clone's ``assignments/``. A one-line ``CourseError`` when there is none."""
    if course is None and os.environ.get(COURSE_ENV):
        course, found_by = os.environ[COURSE_ENV], f"${COURSE_ENV}"
    else:
        found_by = "--course"
    if course is not None:
        root = Path(course).expanduser().resolve()
        if not root.is_dir():
            raise CourseError(f"course folder {root} (from {found_by}) does not exist or is not a folder")
        return Course(root, found_by)
    here = Path.cwd() if cwd is None else Path(cwd)
    here = here.resolve()
    if _holds_assignments(here):
        return Course(here, "the current folder")
    for folder in (here, *here.parents):
        if _holds_assignments(folder / COURSE_FOLDER_NAME):
            return Course(folder / COURSE_FOLDER_NAME, "the current folder")
    clone = _kit_clone_course()
    if clone is not None:
        return Course(clone, "the kit's clone")
    # an installed (not editable) kit cannot know its clone: say how to name the course instead
    raise CourseError(f"no course folder found from {here}: name it before the command, `autograder --course "
                      f"DIR ...`, or set {COURSE_ENV}=DIR (a folder of <id>/{MANIFEST_NAME}, such as a clone's "
                      f"{COURSE_FOLDER_NAME}/); a kit installed with `pip install .` or from a wheel does not "
                      "know where its clone is")


def available_assignments(course: Path | str | None = None) -> list[str]:
    """Ids of the course's assignments (``find_course(course)``)."""
    return find_course(course).ids()


def get_assignment(assignment_id: str, course: Path | str | None = None) -> Assignment:
    """The course's assignment ``assignment_id``, or a one-line ``ManifestError`` listing the known ones."""
    return find_course(course).assignment(assignment_id)


def _release_folders(file: Path) -> list[Path]:
    file = Path(file)
    folders = [file] if file.is_dir() else []
    return [*folders, file.parent, Path.cwd()]


def assignment_for_file(file: Path, assignment_id: str | None = None,
                        course: Path | str | None = None) -> Assignment:
    """The assignment a student's ``file`` is checked against.

    Without an explicit ``course``, a release folder's ``assignment.toml`` (beside
    ``file``, or in the current folder) comes first: a student needs nothing else.
    Otherwise the course's ``assignment_id``, or the assignment whose module is the
    file's name (``activations.py`` -> ``activations``).
    """
    file = Path(file)
    if course is None:
        for folder in dict.fromkeys(p.resolve() for p in _release_folders(file)):
            if (folder / RELEASE_MANIFEST_NAME).is_file():
                released = load_release(folder)
                if assignment_id in (None, released.id):
                    return released
    found = find_course(course)
    if assignment_id is not None:
        return found.assignment(assignment_id)
    return _assignment_named_by(file, found)


def _assignment_named_by(file: Path, course: Course) -> Assignment:
    """The one assignment whose module the file's names refer to (``activations (1).py``, or a
    folder or zip holding ``Activations-final.ipynb``); else an error saying what to pass."""
    from autograder.naming import modules_named
    from autograder.submission import source_names  # reads a folder's or a zip's names

    by_module = {assignment.module: assignment for assignment in course.assignments()}
    if not by_module:
        raise ManifestError(f"cannot tell the assignment from {file.name}: no assignment in course {course.root}")
    found = modules_named(source_names(file) if file.exists() else [file.name], by_module)
    if len(found) == 1:
        return by_module[found[0]]
    options = [f"--assignment {by_module[m].id}" for m in (found or list(by_module))]
    choice = ", ".join(options[:-1]) + f" or {options[-1]}" if len(options) > 1 else options[0]
    why = (f"its file names could be {' or '.join(by_module[m].id for m in found)}" if found else
           f"no file name in it mentions {', '.join(a.id for a in by_module.values())}")
    raise ManifestError(f"cannot tell the assignment from {file.name} ({why}); pass {choice}")
