"""An assignment's catalog of misconceptions (chaffs) and correct variants (wheats).

``assignments/<id>/misconceptions.toml`` lists:

* ``[[misconception]]``: ``id``, ``function``, ``explanation`` (student-facing,
  tied to the lecture), ``source`` (where students write it) and ``chaff``
  (Python that redefines ``function`` wrongly, appended to the solution);
  optionally ``hidden_only`` and ``cost = [low, high]``, the points it is
  expected to cost;
* ``[[wheat]]``: ``id``, ``function``, ``description`` and ``code`` (a correct
  redefinition written differently).

``autograder validate`` grades every chaff (it must lose points and be
diagnosed by its own id) and every wheat (it must score 100 %). At grading
time the diagnosis (``autograder.grading.diagnose``) evaluates the chaffs in
the trusted process, so a chaff is instructor code: trusted, deterministic.
"""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.assignment import Assignment


class CatalogError(ValueError):
    """A catalog file that is malformed or inconsistent."""


@dataclass(frozen=True)
class Misconception:
    """A known-wrong implementation of one function, and what to tell the student."""

    id: str
    function: str
    explanation: str
    source: str
    chaff: str
    hidden_only: bool = False
    """The instructor keeps this mistake out of the public tests (``validate`` does not ask for a
    public case that catches it)."""
    cost: tuple[float, float] | None = None
    """The points this mistake is expected to cost, low and high (``cost = [10, 20]``); ``validate``
    fails when the chaff's grade falls outside, so the severity ordering is a tested property."""
    parts: tuple[Misconception, ...] = ()
    """The mistakes a combined diagnosis names (``combined``); empty for a single one."""


SEPARATOR = " + "
"""Between the ids of the mistakes one diagnosis names."""


def combined(found: tuple[Misconception, ...]) -> Misconception | None:
    """One diagnosis naming every mistake found (None for none, the mistake itself for one)."""
    if len(found) <= 1:
        return found[0] if found else None
    return Misconception(SEPARATOR.join(m.id for m in found), found[0].function,
                         " ".join(m.explanation for m in found), "", "", parts=found)


@dataclass(frozen=True)
class Wheat:
    """A correct implementation of one function, written differently from the solution."""

    id: str
    function: str
    description: str
    code: str


@dataclass(frozen=True)
class Catalog:
    misconceptions: tuple[Misconception, ...] = ()
    wheats: tuple[Wheat, ...] = ()

    def for_function(self, function: str) -> tuple[Misconception, ...]:
        return tuple(m for m in self.misconceptions if m.function == function)

    def get(self, misconception_id: str) -> Misconception | None:
        return next((m for m in self.misconceptions if m.id == misconception_id), None)


MISCONCEPTION_KEYS = ("id", "function", "explanation", "source", "chaff")
WHEAT_KEYS = ("id", "function", "description", "code")


def _defined_functions(code: str, where: str) -> set[str]:
    try:
        tree = ast.parse(code)
    except SyntaxError as err:
        raise CatalogError(f"{where}: the code does not parse: {err}") from None
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


OPTIONAL_FLAGS = ("hidden_only",)
"""A misconception's optional true/false keys."""


COST_KEY = "cost"
"""A misconception's optional expected cost in points: ``[low, high]``."""


def _cost(raw: dict[str, Any], where: str) -> tuple[float, float] | None:
    """The entry's ``cost = [low, high]`` (None without one): two numbers, 0 <= low <= high. No bound
    by the total: a catalog copied beside a smaller suite must still load (validate then says)."""
    if COST_KEY not in raw:
        return None
    cost = raw[COST_KEY]
    numbers = isinstance(cost, list) and len(cost) == 2 and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in cost)
    if not numbers or not 0 <= cost[0] <= cost[1]:
        raise CatalogError(f"{where}: cost should be [low, high] points with 0 <= low <= high, got {cost!r}")
    return float(cost[0]), float(cost[1])


def _entry(raw: Any, keys: tuple[str, ...], code_key: str, assignment: Assignment, path: Path) -> dict[str, Any]:
    flags = OPTIONAL_FLAGS if code_key == "chaff" else ()
    extra = (COST_KEY,) if code_key == "chaff" else ()
    if (not isinstance(raw, dict) or not set(keys) <= set(raw) <= set(keys) | set(flags) | set(extra)
            or not all(isinstance(raw[k], str) and raw[k] for k in keys)
            or not all(isinstance(raw[f], bool) for f in flags if f in raw)):
        raise CatalogError(f"{path}: every entry needs exactly the text keys {list(keys)} "
                           f"(optional true/false: {list(flags)}; optional: {list(extra)}), got {raw!r}")
    where = f"{path}: {raw['id']}"
    entry: dict[str, Any] = {**raw, COST_KEY: _cost(raw, where)} if extra else dict(raw)
    if raw["function"] not in assignment.functions:
        raise CatalogError(f"{where}: {raw['function']!r} is not a function of {assignment.id}")
    defined = _defined_functions(raw[code_key], where)
    if defined != {raw["function"]}:
        raise CatalogError(f"{where}: the code must define exactly {raw['function']}, defines {sorted(defined)}")
    return entry


def load_catalog(assignment: Assignment) -> Catalog:
    """The assignment's catalog (empty when it has no ``misconceptions.toml``)."""
    path = assignment.misconceptions_path
    if not path.is_file():
        return Catalog()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise CatalogError(f"cannot read {path}: {err}") from None
    unknown = set(raw) - {"misconception", "wheat"}
    if unknown:
        raise CatalogError(f"{path}: unknown keys {sorted(unknown)}")
    chaffs = tuple(Misconception(**_entry(e, MISCONCEPTION_KEYS, "chaff", assignment, path))
                   for e in raw.get("misconception", []))
    wheats = tuple(Wheat(**_entry(e, WHEAT_KEYS, "code", assignment, path)) for e in raw.get("wheat", []))
    ids = [m.id for m in chaffs] + [w.id for w in wheats]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise CatalogError(f"{path}: ids used twice: {', '.join(duplicates)}")
    return Catalog(chaffs, wheats)


def with_redefinition(solution: str, code: str) -> str:
    """The solution with ``code`` appended: its definitions win, as in a notebook."""
    return f"{solution}\n\n# --- redefined ---\n{code}"
