"""An assignment and its manifest: the one typed place for its configuration.

Each ``assignments/<id>/manifest.toml`` is read into an ``Assignment``. Every
key has a type and a description (``MANIFEST_KEYS``); limits have defaults
(``Limits``). Unknown keys and wrong types are errors,
so a typo cannot silently fall back to a default.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import assignments as _assignments_package

MANIFEST_VERSION = 1
ASSIGNMENTS_ROOT = Path(_assignments_package.__file__).resolve().parent


class ManifestError(ValueError):
    """A manifest that is missing, malformed or inconsistent."""


FEEDBACK_LEVELS = ("full", "names")
"""What students are told about the hidden suite's checks (the manifest's ``feedback`` key):
``full``, every failing check with its input, expected and returned values and hint;
``names``, only each check's name and whether it passed (and the points)."""


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission's sandboxed worker."""

    call_timeout_s: float = 5.0
    import_timeout_s: float = 10.0
    memory_mb: int = 1024
    cpu_seconds: int = 120
    submission_timeout_s: float = 300.0


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

    def skill(self, name: str) -> Skill | None:
        return next((s for s in self.skills if s.name == name), None)

    @property
    def total(self) -> float:
        return sum(s.points for s in self.skills)


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
    feedback: str = "full"
    """How much students see of the hidden checks: one of ``FEEDBACK_LEVELS``."""

    @property
    def source_path(self) -> Path:
        """The instructor's source (a jupytext percent script with solutions)."""
        return self.root / "source.py"

    @property
    def public_tests(self) -> Path:
        return self.root / "tests" / "public"

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
    "feedback": (str, "what students see of the hidden checks: \"full\" (default: inputs, expected and "
                      "returned values, hints) or \"names\" (each check's name and pass/fail only)"),
}

SKILL_KEYS: dict[str, tuple[type, str]] = {
    "name": (str, "the name suites use in @pytest.mark.skill(name)"),
    "points": (float, "the skill's share of total_points"),
    "title": (str, "what the skill is, as students read it"),
}
OPTIONAL_KEYS = frozenset({"limits", "contract_share", "feedback"})


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


def _credit(raw: dict[str, Any], path: Path) -> CreditModel:
    skills = tuple(_skill(entry, path) for entry in raw["skill"])
    names = [s.name for s in skills]
    if not skills or len(set(names)) != len(names):
        raise ManifestError(f"{path}: skills should be a non-empty list of distinct names, got {names}")
    share = raw.get("contract_share", CreditModel(()).contract_share)
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 0.5:
        raise ManifestError(f"{path}: contract_share must be a number in [0, 0.5], got {share!r}")
    model = CreditModel(skills, float(share))
    if not math.isclose(model.total, float(raw["total_points"]), rel_tol=0, abs_tol=1e-9):
        raise ManifestError(f"{path}: skills add up to {model.total:g} points, "
                            f"total_points says {raw['total_points']:g}")
    return model


def load_manifest(root: Path) -> Assignment:
    """Read and check ``root/manifest.toml``."""
    path = root / "manifest.toml"
    try:
        raw = _checked(tomllib.loads(path.read_text(encoding="utf-8")), path)
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ManifestError(f"cannot read {path}: {err}") from None
    if raw["id"] != root.name:
        raise ManifestError(f"{path}: id {raw['id']!r} differs from folder {root.name!r}")
    return Assignment(id=raw["id"], title=raw["title"], module=raw["module"],
                      functions=tuple(raw["functions"]), total_points=float(raw["total_points"]),
                      limits=_limits(raw.get("limits", {}), path), root=root,
                      credit=_credit(raw, path), feedback=raw.get("feedback", "full"))


def available_assignments() -> list[str]:
    """Ids of the bundled assignments."""
    return sorted(p.name for p in ASSIGNMENTS_ROOT.iterdir() if (p / "manifest.toml").is_file())


def get_assignment(assignment_id: str) -> Assignment:
    """The bundled assignment ``assignment_id``, or a ``ManifestError`` listing the known ones."""
    root = ASSIGNMENTS_ROOT / assignment_id
    if not (root / "manifest.toml").is_file():
        known = ", ".join(available_assignments()) or "none"
        raise ManifestError(f"no assignment {assignment_id!r}; known: {known}")
    return load_manifest(root)
