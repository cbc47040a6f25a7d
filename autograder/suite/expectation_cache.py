"""Remembered expected values: ``derive`` pays for the reference once per input.

Every expected value of a suite is ``derive(fn, *args, **kwargs)`` with ``fn``
a function of ``reference`` (SymPy-backed: importing SymPy alone costs 0.3 s,
compiling an evaluator more). The same suite asks for the same values for
every submission, so they are remembered:

* **in memory**, for the life of the process: a batch grader runs the suite
  once per submission, and every ``derive`` after the first submission is a
  hit;
* **on disk**, for a fresh process (``autograder check``): one JSON file per
  suite folder in the user's cache folder, loaded on the first ``derive`` from
  that folder and written by ``save_expectations()`` at the end of a run.

A hit never calls the reference function (so SymPy is never imported) and
returns a fresh copy (a test may mutate what it gets).

What is remembered, and under which key
---------------------------------------
The key is a SHA-256 of the function's identity (module and qualified name; for
a bound method of a reference object, such as ``get_activation("elu").grad``,
also that object's ``name``) and of the arguments by content: numpy arrays by
dtype, shape and bytes, floats by ``repr``, and str, int, bool, None, tuples,
lists and dicts recursively. A call with any other argument (or a lambda, a
nested function, an unnamed object) is not remembered: it is simply made.
Values are remembered only if they are made of the same kinds of data (numpy
arrays and scalars of a numeric dtype included); anything else is recomputed
at every call.

On disk
-------
``$AUTOGRADER_CACHE`` names the cache folder; else ``$XDG_CACHE_HOME/dl-gradekit``;
else ``~/.cache/dl-gradekit``. ``AUTOGRADER_CACHE=off`` turns the disk cache off
(the in-memory one stays). Files live in ``<cache>/expectations/``.

Each file records a hash of every ``reference/*.py`` source and of the numpy,
SymPy and Python versions: a file written by any other reference is ignored,
so a changed reference never serves a stale value. The format is JSON only
(never pickle: a cache file must not be able to run code): arrays as dtype,
shape and base64 bytes, floats as ``float.hex`` (bit for bit), containers
tagged so that tuples stay tuples. An unreadable or corrupt file is ignored
(the values are recomputed); writes are atomic (a temporary file, then
``os.replace``) and a failed write is silent.
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import importlib.util
import json
import sys
import threading
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from autograder.files import cache_folder, write_atomically
from autograder.fingerprint import installed_version

FORMAT = 1
"""Version of the file layout; a file of another version is ignored."""

_NUMERIC_KINDS = "biufc"
"""numpy dtype kinds whose bytes are the whole value (no objects, no records)."""


class _Unsupported(Exception):
    """A value or an argument that is not plain data: the call is not remembered."""


# ---------------------------------------------------------------- the key


def _reference_module(module: object) -> bool:
    return isinstance(module, str) and (module == "reference" or module.startswith("reference."))


def function_identity(fn: Callable[..., Any]) -> str | None:
    """What names ``fn`` across processes, or None when no name is stable enough.

    A plain function is its module and qualified name. A bound method of a
    reference object (``get_activation("elu").grad``) and a callable reference
    object (``get_activation("elu")``) add the object's ``name``: the registry
    holds one object per name. Lambdas and nested functions may close over
    state that no name captures, so they are not remembered.
    """
    owner = getattr(fn, "__self__", None)
    if isinstance(fn, types.MethodType):
        method = fn.__func__.__qualname__
        return _owned(owner, method)
    if isinstance(fn, (types.FunctionType, types.BuiltinFunctionType)) or hasattr(fn, "__wrapped__"):
        module, qualname = getattr(fn, "__module__", None), getattr(fn, "__qualname__", None)
        if not _reference_module(module) or not isinstance(qualname, str) or "<" in qualname:
            return None
        return f"{module}.{qualname}"
    return _owned(fn, f"{type(fn).__qualname__}.__call__")


def _owned(owner: object, method: str) -> str | None:
    name = getattr(owner, "name", None)
    if not _reference_module(type(owner).__module__) or type(name) is not str or "<" in method:
        return None
    return f"{type(owner).__module__}.{method}@{name}"


def _feed(digest: Any, tag: bytes, payload: bytes) -> None:
    digest.update(tag + len(payload).to_bytes(8, "little") + payload)


def _feed_value(digest: Any, value: Any) -> None:
    """Hash ``value`` by content, length-prefixed so no two values share a stream."""
    kind = type(value)
    if value is None:
        _feed(digest, b"N", b"")
    elif kind is bool:
        _feed(digest, b"B", b"1" if value else b"0")
    elif kind is int:
        _feed(digest, b"I", str(value).encode())
    elif kind is float:
        _feed(digest, b"F", repr(value).encode())
    elif kind is str:
        _feed(digest, b"S", value.encode("utf-8", "surrogatepass"))
    elif kind is np.ndarray or isinstance(value, np.generic):
        array = np.asarray(value)
        if array.dtype.kind not in _NUMERIC_KINDS:
            raise _Unsupported(f"an array of dtype {array.dtype}")
        tag = b"A" if kind is np.ndarray else b"G"
        _feed(digest, tag, f"{array.dtype.str}{array.shape}".encode())
        _feed(digest, b"D", np.ascontiguousarray(array).tobytes())
    elif kind in (tuple, list):
        _feed(digest, b"T" if kind is tuple else b"L", str(len(value)).encode())
        for item in value:
            _feed_value(digest, item)
    elif kind is dict:
        _feed(digest, b"M", str(len(value)).encode())
        for key, item in value.items():
            _feed_value(digest, key)
            _feed_value(digest, item)
    else:
        raise _Unsupported(f"a {kind.__name__}")


def fingerprint(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> str | None:
    """The key of ``fn(*args, **kwargs)``, or None when that call is not to be remembered."""
    identity = function_identity(fn)
    if identity is None:
        return None
    digest = hashlib.sha256()
    _feed(digest, b"fn", identity.encode())
    try:
        _feed_value(digest, args)
        _feed_value(digest, dict(sorted(kwargs.items())))
    except _Unsupported:
        return None
    return digest.hexdigest()


# ---------------------------------------------------------------- the values


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def encode(value: Any) -> Any:
    """``value`` as JSON data: every non-JSON-native value is a one-key tagged object.

    Raises ``_Unsupported`` for anything but plain data (see the module docstring).
    """
    kind = type(value)
    if value is None or kind in (bool, int, str):
        return value
    if kind is float:
        return {"float": value.hex()}
    if kind is np.ndarray or isinstance(value, np.generic):
        array = np.asarray(value)
        if array.dtype.kind not in _NUMERIC_KINDS:
            raise _Unsupported(f"an array of dtype {array.dtype}")
        data = {"dtype": array.dtype.str, "shape": list(array.shape),
                "bytes": _b64(np.ascontiguousarray(array).tobytes())}
        return {"ndarray" if kind is np.ndarray else "scalar": data}
    if kind is list:
        return {"list": [encode(item) for item in value]}
    if kind is tuple:
        return {"tuple": [encode(item) for item in value]}
    if kind is dict:
        return {"dict": [[encode(k), encode(v)] for k, v in value.items()]}
    raise _Unsupported(f"a {kind.__name__}")


def _array(data: Mapping[str, Any]) -> Any:
    dtype = np.dtype(data["dtype"])
    if dtype.kind not in _NUMERIC_KINDS:
        raise ValueError(f"dtype {dtype} in a cache file")
    buffer = bytearray(base64.b64decode(data["bytes"], validate=True))
    return np.frombuffer(buffer, dtype=dtype).reshape([int(n) for n in data["shape"]])


def decode(data: Any) -> Any:
    """The value ``encode`` turned into ``data``: new objects every time (a fresh copy).

    Raises ``ValueError``, ``TypeError`` or ``KeyError`` on data ``encode`` cannot have made.
    """
    if data is None or type(data) in (bool, int, str):
        return data
    if type(data) is not dict or len(data) != 1:
        raise ValueError(f"not an encoded value: {data!r:.80}")
    (tag, inner), = data.items()
    if tag == "float":
        return float.fromhex(inner)
    if tag == "ndarray":
        return _array(inner)
    if tag == "scalar":
        return _array(inner)[()]
    if tag == "list":
        return [decode(item) for item in inner]
    if tag == "tuple":
        return tuple(decode(item) for item in inner)
    if tag == "dict":
        return {decode(k): decode(v) for k, v in inner}
    raise ValueError(f"unknown tag {tag!r}")


# ---------------------------------------------------------------- where, and for which reference


def _reference_sources() -> list[Path]:
    spec = importlib.util.find_spec("reference")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    return sorted(path for folder in folders for path in Path(folder).rglob("*.py"))


def compute_reference_hash() -> str:
    """A hash of what the expected values depend on: the reference's sources, numpy,
    SymPy and Python. Any change gives another hash, and the old files are ignored."""
    digest = hashlib.sha256(f"format {FORMAT}".encode())
    for path in _reference_sources():
        _feed(digest, b"path", path.name.encode())
        _feed(digest, b"source", path.read_bytes())
    versions = f"numpy {np.__version__} sympy {installed_version('sympy', 'release.py')} python {sys.version_info[:2]}"
    _feed(digest, b"versions", versions.encode())
    return digest.hexdigest()


_reference_hash: str | None = None


def reference_hash() -> str:
    """``compute_reference_hash()``, once per process."""
    global _reference_hash
    if _reference_hash is None:
        _reference_hash = compute_reference_hash()
    return _reference_hash


def cache_file(suite: Path, folder: Path) -> Path:
    """The file that remembers the values of the suite in ``suite`` (a readable name, then
    a hash of the absolute path, so two courses' ``tests/public`` never share one)."""
    resolved = suite.resolve()
    label = "-".join(part for part in resolved.parts[-3:] if part.isidentifier()) or "suite"
    digest = hashlib.sha256(str(resolved).encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return folder / "expectations" / f"{label}-{digest}.json"


def read_entries(path: Path, expected_hash: str) -> dict[str, Any]:
    """The entries of one cache file; empty if it is missing, unreadable, corrupt, of
    another format or written for another reference."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if (type(data) is not dict or data.get("format") != FORMAT
            or data.get("reference") != expected_hash or type(data.get("entries")) is not dict):
        return {}
    return {k: v for k, v in data["entries"].items() if type(k) is str}


def write_entries(path: Path, reference: str, suite: Path, entries: Mapping[str, Any]) -> bool:
    """Write one cache file atomically (``autograder.files.write_atomically``, private); False if
    that failed, which is never an error: the values are recomputed next time."""
    document = {"format": FORMAT, "reference": reference, "suite": str(suite), "entries": dict(entries)}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, json.dumps(document, separators=(",", ":")), private=True)
    except (OSError, TypeError, ValueError):
        return False
    return True


# ---------------------------------------------------------------- the memo


@dataclass
class _Suite:
    """What one suite folder's cache file holds (loaded and new keys) and whether it changed."""

    keys: set[str] = field(default_factory=set)
    dirty: bool = False


class ExpectationCache:
    """The in-memory memo of encoded values, and the suites whose files it writes.

    With ``save_at_exit`` (the default), new values are also written when the
    process exits, for runners that do not call ``save()`` themselves; a
    throwaway cache (a test's) passes False.
    """

    def __init__(self, *, save_at_exit: bool = True) -> None:
        self._values: dict[str, Any] = {}
        self._suites: dict[Path, _Suite] = {}
        self._lock = threading.RLock()
        self._exit_hook = not save_at_exit

    def clear(self) -> None:
        """Forget everything in memory (the files stay)."""
        with self._lock:
            self._values.clear()
            self._suites.clear()

    def _suite(self, suite: Path) -> _Suite:
        """The record of ``suite``, loading its cache file the first time it is seen."""
        record = self._suites.get(suite)
        if record is None:
            record = self._suites[suite] = _Suite()
            folder = cache_folder()
            if folder is not None:
                for key, data in read_entries(cache_file(suite, folder), reference_hash()).items():
                    self._values.setdefault(key, data)
                    record.keys.add(key)
        return record

    def lookup(self, key: str, suite: Path | None) -> tuple[bool, Any]:
        """(True, a fresh copy of the value) on a hit, else (False, None)."""
        with self._lock:
            record = self._suite(suite) if suite is not None else None
            data = self._values.get(key)
            if data is None:
                return False, None
            if record is not None and key not in record.keys:
                record.keys.add(key)
                record.dirty = True
        try:
            return True, decode(data)
        except (KeyError, TypeError, ValueError):  # a corrupt entry: forget it, recompute
            with self._lock:
                self._values.pop(key, None)
            return False, None

    def store(self, key: str, value: Any, suite: Path | None) -> None:
        """Remember ``value`` (a snapshot: later changes to it are not seen), if it is plain data."""
        try:
            data = encode(value)
        except _Unsupported:
            return
        with self._lock:
            self._values[key] = data
            if suite is not None:
                record = self._suite(suite)
                record.keys.add(key)
                record.dirty = True
                self._save_at_exit()

    def _save_at_exit(self) -> None:
        if not self._exit_hook:
            self._exit_hook = True
            atexit.register(self.save)

    def unsaved(self) -> bool:
        """Whether some suite has values its file does not hold yet."""
        with self._lock:
            return any(record.dirty for record in self._suites.values())

    def save(self) -> None:
        """Write the file of every suite with new values (never raises)."""
        folder = cache_folder()
        with self._lock:
            pending = [(suite, record) for suite, record in self._suites.items() if record.dirty]
            if folder is None or not pending:
                return
            snapshot = [(suite, record, {k: self._values[k] for k in record.keys if k in self._values})
                        for suite, record in pending]
            reference = reference_hash()
        for suite, record, entries in snapshot:
            if write_entries(cache_file(suite, folder), reference, suite, entries):
                record.dirty = False


CACHE = ExpectationCache()
"""The process's memo, shared by every suite run in it."""


def _solution_run_mark(suite_key: str, folder: Path) -> Path:
    """The file whose presence says that a run of the instructor solution on the suite ``suite_key``
    names (its files, sizes and times) saved every value it derived, under this reference."""
    digest = hashlib.sha256(f"{suite_key}\0{reference_hash()}".encode("utf-8", "surrogatepass")).hexdigest()
    return folder / "expectations" / "solution-runs" / digest[:32]


def solution_values_saved(suite_key: str) -> bool:
    """Whether ``mark_solution_values_saved(suite_key)`` was called under this reference (never,
    with ``AUTOGRADER_CACHE=off``): a warm grading process then need not run the solution to derive
    them, as a fork that asks for them finds them on disk."""
    folder = cache_folder()
    return folder is not None and _solution_run_mark(suite_key, folder).is_file()


def mark_solution_values_saved(suite_key: str, memo: ExpectationCache) -> None:
    """Record that the values a solution run of ``suite_key`` derived into ``memo`` are all on disk
    (nothing is recorded while some are not; a failed write is silent: the next process runs the
    solution)."""
    folder = cache_folder()
    if folder is None or memo.unsaved():
        return
    mark = _solution_run_mark(suite_key, folder)
    try:
        mark.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(mark, "", private=True)
    except OSError:
        pass
