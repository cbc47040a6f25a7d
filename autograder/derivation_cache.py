"""Remembered derivations: what SymPy derives for the reference and the derived mistakes, kept on disk.

An activation's evaluators and output identity (``reference.activations``) and the derived
mistakes of a function (``autograder.mutants``) are the same in every process of one kit and
reference, yet deriving them costs a process SymPy's import (about 0.7 s) and its work (about
1.5 s for the activations assignment's functions). ``DERIVATIONS`` is the store
``reference.remembered`` answers from once this module is imported: in memory for the process,
and on disk for every later one, so a grading process and its forks import no SymPy for them.

On disk: one JSON file per key in ``<cache>/derived/<version>/`` (``autograder.files.cache_folder``;
nothing with ``AUTOGRADER_CACHE=off``). The version is a hash of the reference's sources, of
``autograder/mutants``' sources, and of numpy's, SymPy's and Python's versions
(``expectation_cache.compute_reference_hash``): any change derives afresh. Values are plain data
and ``NumpyForm``s (numpy code as text, compiled only after a check of its syntax tree:
``reference.numeric_form``), never pickle. A value holding anything else, or a form that could not
be printed (``NumpyForm.storable``), stays in memory only. An unreadable, corrupt or foreign
file is ignored (derived again and rewritten); writes are atomic and private, and a failed write
is silent.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from autograder.files import cache_folder, prune_cache, write_atomically
from reference import remembered
from reference.numeric_form import NumpyForm, checked

T = TypeVar("T")
FORMAT = 1
FOLDER = "derived"
KEPT_VERSIONS = 4
"""Folders of derivations kept for other versions of the kit or the reference (the newest; a
version's folder holds about 50 small files)."""
_MUTANTS = Path(__file__).resolve().parent / "mutants"


class _Unsupported(Exception):
    """A value that is not plain data and storable forms: kept in memory only."""


def encode(value: Any) -> Any:
    """``value`` as JSON data (``_Unsupported`` for anything else than the module doc lists)."""
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        return {"float": value.hex()}
    if kind in (list, tuple):
        return {kind.__name__: [encode(item) for item in value]}
    if kind is dict and all(type(k) is str for k in value):
        return {"dict": {k: encode(v) for k, v in value.items()}}
    if kind is NumpyForm and value.storable:
        return {"form": {"arguments": list(value.arguments), "body": value.body,
                         "branches": [list(b) for b in value.branches], "raw": value.raw}}
    raise _Unsupported(kind.__name__)


def _strings(data: Any) -> tuple[str, ...]:
    if type(data) is not list or not all(type(item) is str for item in data):
        raise ValueError("expected a list of strings")
    return tuple(data)


def decode(data: Any) -> Any:
    """The value ``encode`` made ``data`` of; ``ValueError`` for data it cannot have made."""
    if data is None or type(data) in (bool, int, str):
        return data
    if type(data) is not dict or len(data) != 1:
        raise ValueError(f"not an encoded value: {data!r:.60}")
    (tag, inner), = data.items()
    if tag == "float" and type(inner) is str:
        return float.fromhex(inner)
    if tag in ("list", "tuple") and type(inner) is list:
        items = [decode(item) for item in inner]
        return items if tag == "list" else tuple(items)
    if tag == "dict" and type(inner) is dict:
        return {str(k): decode(v) for k, v in inner.items()}
    if tag == "form" and type(inner) is dict and type(inner.get("raw")) is bool and type(inner.get("body")) is str:
        branches = inner.get("branches")
        if type(branches) is not list:
            raise ValueError("a form's branches")
        pairs = tuple(_strings(b) for b in branches)
        if any(len(pair) != 2 for pair in pairs):
            raise ValueError("a form's branch is no (value, condition) pair")
        return checked(NumpyForm(_strings(inner.get("arguments")), body=inner["body"],
                                 branches=tuple((value, condition) for value, condition in pairs), raw=inner["raw"]))
    raise ValueError(f"unknown tag {tag!r}")


def compute_version() -> str:
    """What the remembered derivations depend on (see the module doc), as a hex digest."""
    from autograder.suite.expectation_cache import compute_reference_hash

    digest = hashlib.sha256(f"derived {FORMAT} {compute_reference_hash()}".encode())
    for path in sorted(_MUTANTS.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def file_name(key: str) -> str:
    """A key's file: readable, then a hash of the key (two keys never share a file)."""
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "-", key)[:80]
    return f"{readable}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"


class DerivationCache:
    """``reference.remembered``'s store: each key's value, derived once per kit and reference."""

    def __init__(self) -> None:
        self._values: dict[str, Any] = {}
        self._version: str | None = None

    @property
    def version(self) -> str:
        if self._version is None:
            self._version = compute_version()
        return self._version

    def folder(self) -> Path | None:
        root = cache_folder()
        return None if root is None else root / FOLDER / self.version[:32]

    def remembered(self, key: str, derive: Callable[[], T]) -> T:
        if key in self._values:
            value: T = self._values[key]
            return value
        folder = self.folder()
        path = None if folder is None else folder / file_name(key)
        found = self._read(path, key) if path is not None else None
        if found is not None:
            value = found[0]
        else:
            value = derive()
            if path is not None:
                self._write(path, key, value)
        self._values[key] = value
        return value

    def _read(self, path: Path, key: str) -> tuple[Any] | None:
        try:
            document = json.loads(path.read_bytes())
            if (type(document) is not dict or document.get("format") != FORMAT
                    or document.get("version") != self.version or document.get("key") != key):
                return None
            return (decode(document["value"]),)
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            return None

    def _write(self, path: Path, key: str, value: Any) -> None:
        try:
            document = {"format": FORMAT, "version": self.version, "key": key, "value": encode(value)}
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, json.dumps(document, separators=(",", ":")), private=True)
        except (_Unsupported, OSError, TypeError, ValueError):
            pass

    def prepared(self, label: str, derive_all: Callable[[], object]) -> bool:
        """Run ``derive_all`` (which asks ``remembered`` for every value of ``label``) unless a run
        of it completed with this version before; whether it ran. Nothing runs without a disk
        cache (``AUTOGRADER_CACHE=off``): no later process would find its values."""
        folder = self.folder()
        if folder is None:
            return False
        mark = folder / file_name(f"prepared/{label}")
        if mark.is_file():
            return False
        derive_all()
        prune_cache(folder.parent, keep=folder, count=KEPT_VERSIONS)
        try:
            write_atomically(mark, json.dumps({"format": FORMAT, "version": self.version, "label": label}),
                             private=True)
        except OSError:
            pass
        return True


DERIVATIONS = DerivationCache()
remembered.install(DERIVATIONS)
