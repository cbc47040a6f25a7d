"""``questions.toml``: the question component of an assignment (instructor-only).

Beside an assignment's ``manifest.toml``, an optional ``questions.toml`` adds a
question sheet, one variant per student. Schema (``QUESTIONS_KEYS``)::

    version = 1
    secret_env = "AUTOGRADER_VARIANT_SECRET"   # the environment variable holding the course secret

    [[question]]                  # a question the reference derives: its id names a bank entry
    id = "zero_centred"
    points = 2

    [[question]]                  # a question the reference cannot decide: the instructor keys it
    id = "fastest"
    points = 1
    kind = "one"                  # one, many, bool or number
    prompt = "Which of these is the fastest to compute?"
    options = ["sigmoid", "tanh", "relu"]
    key = "relu"
    reason = "ReLU is a comparison, sigmoid and tanh evaluate an exponential"

The secret is never written in the file, so the file can live in a shared
repository: ``release`` and ``grade`` refuse to draw a variant without it.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.questions.model import KINDS, Key, Kind

QUESTIONS_NAME = "questions.toml"
QUESTIONS_VERSION = 1

QUESTIONS_KEYS: dict[str, str] = {
    "version": f"schema version; must be {QUESTIONS_VERSION}",
    "secret_env": "the environment variable that holds the course secret (variants are keyed by it)",
    "question": "[[question]] tables: id and points; an instructor-keyed question also has kind, prompt, "
                "options (one, many), key and reason",
}
DERIVED_KEYS = frozenset({"id", "points"})
INSTRUCTOR_KEYS = frozenset({"id", "points", "kind", "prompt", "options", "key", "reason"})


class QuestionsError(ValueError):
    """A ``questions.toml`` that is missing, malformed or names an unknown question."""


@dataclass(frozen=True)
class InstructorQuestion:
    """A question keyed in ``questions.toml`` (the reference cannot decide it)."""

    kind: Kind
    prompt: str
    options: tuple[str, ...]
    key: Key
    reason: str


@dataclass(frozen=True)
class Entry:
    """One ``[[question]]``: a bank id (``instructor`` is None) or an instructor's question."""

    id: str
    points: float
    instructor: InstructorQuestion | None = None


@dataclass(frozen=True)
class QuestionsConfig:
    secret_env: str
    entries: tuple[Entry, ...]

    @property
    def total_points(self) -> float:
        return sum(e.points for e in self.entries)


def _key(kind: Kind, raw: Any, options: tuple[str, ...], where: str) -> Key:
    if kind == "bool" and isinstance(raw, bool):
        return raw
    if kind == "number" and isinstance(raw, (int, float)) and not isinstance(raw, bool) and math.isfinite(raw):
        return float(raw)
    if kind == "one" and isinstance(raw, str) and raw in options:
        return raw
    if kind == "many" and isinstance(raw, list) and all(isinstance(r, str) and r in options for r in raw):
        return tuple(raw)
    raise QuestionsError(f"{where}: key {raw!r} does not fit kind {kind!r} and its options {list(options)}")


def _instructor(raw: dict[str, Any], where: str) -> InstructorQuestion:
    kind = raw.get("kind")
    if kind not in KINDS:
        raise QuestionsError(f"{where}: kind must be one of {', '.join(KINDS)}, got {kind!r}")
    options = raw.get("options", [])
    if not isinstance(options, list) or not all(isinstance(o, str) for o in options) \
            or len(set(options)) != len(options) or (kind in ("one", "many") and len(options) < 2):
        raise QuestionsError(f"{where}: options must be two or more distinct strings, got {options!r}")
    for text in ("prompt", "reason"):
        if not isinstance(raw.get(text), str) or not raw[text].strip():
            raise QuestionsError(f"{where}: {text} must be a non-empty string")
    return InstructorQuestion(kind, raw["prompt"], tuple(options), _key(kind, raw.get("key"), tuple(options), where),
                              raw["reason"])


def _entry(raw: Any, known: frozenset[str], where: str) -> Entry:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
        raise QuestionsError(f"{where}: each [[question]] needs an id, got {raw!r}")
    where = f"{where}: question {raw['id']!r}"
    points = raw.get("points")
    if isinstance(points, bool) or not isinstance(points, (int, float)) or not math.isfinite(points) or points <= 0:
        raise QuestionsError(f"{where}: points must be a positive number, got {points!r}")
    if set(raw) == DERIVED_KEYS:
        if raw["id"] not in known:
            raise QuestionsError(f"{where}: no derived question of that id; known: {', '.join(sorted(known))} "
                                 "(an instructor-keyed question needs kind, prompt, key and reason)")
        return Entry(raw["id"], float(points))
    unknown = set(raw) - INSTRUCTOR_KEYS
    if unknown:
        raise QuestionsError(f"{where}: unknown keys {sorted(unknown)}")
    if raw["id"] in known:
        raise QuestionsError(f"{where}: the reference derives this question's key; give only id and points")
    return Entry(raw["id"], float(points), _instructor(raw, where))


def parse_questions(text: str, known: frozenset[str], where: str = QUESTIONS_NAME) -> QuestionsConfig:
    """A checked ``QuestionsConfig``; ``known`` are the bank's ids."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise QuestionsError(f"cannot read {where}: {err}") from None
    unknown = set(raw) - set(QUESTIONS_KEYS)
    if unknown:
        raise QuestionsError(f"{where}: unknown keys {sorted(unknown)}")
    if raw.get("version") != QUESTIONS_VERSION:
        raise QuestionsError(f"{where}: version must be {QUESTIONS_VERSION}, got {raw.get('version')!r}")
    secret_env = raw.get("secret_env")
    if not isinstance(secret_env, str) or not secret_env.isidentifier():
        raise QuestionsError(f"{where}: secret_env must name an environment variable, got {secret_env!r}")
    entries = tuple(_entry(q, known, where) for q in raw.get("question", []))
    ids = [e.id for e in entries]
    if not entries or len(set(ids)) != len(ids):
        raise QuestionsError(f"{where}: questions must be a non-empty list of distinct ids, got {ids}")
    return QuestionsConfig(secret_env, entries)


def questions_path(assignment_root: Path) -> Path:
    return Path(assignment_root) / QUESTIONS_NAME
