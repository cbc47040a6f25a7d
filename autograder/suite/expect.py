"""Assertion helpers that speak to the student.

Every expected value a suite checks against is an ``Expected``, and the only
way to make one is ``derive``, which calls a function of the ``reference``
package. A suite that compares against a number typed by hand fails with
``UnderivedExpectation`` the first time it runs, which ``autograder validate``
turns into a loud error.

Messages read ``sigmoid_derivative(x=-1000): got 0.5, should be 1.2e-300``
and carry a hint; the helpers hide their own frames from tracebacks.

Anything wrong with a value the student returned (a type, an int too large for
a float, a list that is not a rectangle) fails that student's test with a
message; it never surfaces as an error of the kit.

``derive`` remembers what it derived (``autograder.suite.expectation_cache``):
in memory for the life of the process, and on disk per suite folder for the
next process, so neither a batch nor ``autograder check`` pays SymPy per run.
A runner calls ``save_expectations()`` when a suite run ends to write the
disk cache. Configuration: ``AUTOGRADER_CACHE=DIR`` puts the cache in DIR
(default ``$XDG_CACHE_HOME/dl-gradekit``, else ``~/.cache/dl-gradekit``);
``AUTOGRADER_CACHE=off`` keeps expected values in memory only.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import numpy.typing as npt

from autograder.curves import CURVE_ATTRIBUTE, Curve, capture
from autograder.gradcheck import GradcheckReport
from autograder.sandbox.session import StudentRaised
from autograder.suite.expectation_cache import CACHE, fingerprint
from autograder.tolerances import VALUES, Tolerance
from autograder.wording import a_type, with_article

FloatArray = npt.NDArray[np.float64]


class UnderivedExpectation(TypeError):
    """A suite compared against a value that does not come from ``reference``."""


_ISSUED_BY_DERIVE = object()


@dataclass(frozen=True)
class Expected:
    """A value computed by the SymPy-backed reference, and how it was obtained.

    Only ``derive`` (and ``part``/``map`` of an existing one) can make one: a
    hand-built ``Expected(0.5, "typed")`` raises ``UnderivedExpectation``.
    """

    value: Any
    derived_from: str
    _issuer: object = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._issuer is not _ISSUED_BY_DERIVE:
            raise UnderivedExpectation(
                f"Expected({self.value!r}) was built by hand; expected values come from derive(...)")

    def part(self, key: Any) -> Expected:
        """One entry of a derived container (``derive(network.backward, ...).part("w1")``)."""
        return Expected(self.value[key], f"{self.derived_from}[{key!r}]", _ISSUED_BY_DERIVE)

    def map(self, transform: Callable[[Any], Any], description: str) -> Expected:
        """A plain transform of a derived value (a sum over an axis, a reshape)."""
        return Expected(transform(self.value), f"{description} of {self.derived_from}",
                        _ISSUED_BY_DERIVE)


def _is_reference_callable(fn: Callable[..., Any]) -> bool:
    module = getattr(fn, "__module__", None) or ""
    return module == "reference" or module.startswith("reference.")


def _calling_suite() -> Path | None:
    """The folder of the code that called ``derive``: the suite whose cache file holds
    the value (None for code that has no file, such as ``python -c``)."""
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename == __file__:
        frame = frame.f_back
    return _folder_of(frame.f_code.co_filename)


@functools.lru_cache(maxsize=64)
def _folder_of(filename: str) -> Path | None:
    """The folder of a module's file (a suite calls ``derive`` from a handful of files, many times)."""
    if filename.startswith("<") or not filename.endswith(".py"):
        return None
    return Path(filename).parent


def _remembered(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``fn(*args, **kwargs)``, from the expectation cache when that call was made before."""
    key = fingerprint(fn, args, kwargs)
    if key is None:
        return fn(*args, **kwargs)
    suite = _calling_suite()
    hit, value = CACHE.lookup(key, suite)
    if hit:
        return value
    value = fn(*args, **kwargs)
    CACHE.store(key, value, suite)
    return value


def derive(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Expected:
    """Call ``fn`` (a function of the ``reference`` package) and wrap its result.

    The result is remembered (see the module docstring): the same call again,
    in this process or, after ``save_expectations()``, in the next one, returns
    a fresh copy of it without calling ``fn``.
    """
    if not _is_reference_callable(fn):
        raise UnderivedExpectation(
            f"{getattr(fn, '__qualname__', fn)!r} is not part of the reference package; "
            "expected values must be derived by reference/")
    name = getattr(fn, "__qualname__", getattr(fn, "__name__", repr(fn)))
    return Expected(_remembered(fn, args, kwargs), f"{fn.__module__}.{name}", _ISSUED_BY_DERIVE)


def save_expectations() -> None:
    """Write the disk cache of every suite that derived new values (call it when a suite
    run ends; it never raises, and does nothing with ``AUTOGRADER_CACHE=off``)."""
    CACHE.save()


def _require_expected(want: object) -> Expected:
    if not isinstance(want, Expected):
        raise UnderivedExpectation(
            f"expected value {want!r} was not derived from the reference (use derive(...))")
    return want


MAX_SHOWN_CHARS = 300
"""A value shown in a failure message is cut to this many characters."""


def _clip(text: str) -> str:
    return text if len(text) <= MAX_SHOWN_CHARS else text[:MAX_SHOWN_CHARS] + "..."


def _short(value: Any) -> str:
    try:
        array = np.asarray(value)
        if array.ndim == 0:
            return _clip(f"{array.item():.10g}" if array.dtype.kind == "f" else repr(array.item()))
        return _clip(np.array2string(array, precision=8, threshold=8, separator=", "))
    except (OverflowError, TypeError, ValueError):
        return f"<a {type(value).__name__}>"


def fail(call: str, detail: str = "", hint: str = "", *, curve: Curve | None = None) -> NoReturn:
    """Fail the current test with a student-facing message: ``call: detail`` and a hint.

    ``curve`` (the values over the tested range) rides along as the error's
    ``curve`` attribute, for the grader to draw; the message never depends on it.
    """
    __tracebackhide__ = True
    text = f"{call}: {detail}" if detail else call
    error = AssertionError(text + (f"\nHint: {hint}" if hint else ""))
    if curve is not None:
        setattr(error, CURVE_ATTRIBUTE, curve)
    raise error


def as_float_array(got: Any, *, call: str, hint: str = "") -> FloatArray:
    """``got``'s values as an exact float64 ndarray, or a failure saying what came back instead.

    Accepts a plain ``np.ndarray`` of a real numeric dtype, a Python int/float, and a
    list or tuple (nested or not) of those: a wrong container with the right values is the
    contract checks' business (``assert_float_array_like``), not a wrong value. Subclasses
    and other objects never get through: their methods (``__eq__``, ``__sub__``, ...) are
    never called.
    """
    __tracebackhide__ = True
    if _plain_numbers(got, depth=0):
        try:
            return np.array(got, dtype=np.float64)
        except (OverflowError, TypeError, ValueError) as err:
            fail(call, f"got {_short(got)}, which is not a float64 value ({err})", hint)
    fail(call, f"got {a_type(got)}, should be a numpy array of floats", hint)


_MAX_NESTING = 32
"""A list deeper than this is not taken for numbers (the wire allows 64 levels)."""


def _plain_numbers(got: Any, *, depth: int) -> bool:
    """Whether ``got`` is a number, a real numeric ndarray, or a list/tuple of those (exact types)."""
    if type(got) in (int, float, np.float64) or (type(got) is np.ndarray and got.dtype.kind in "iuf"):
        return True
    if type(got) in (list, tuple) and depth < _MAX_NESTING:
        return all(_plain_numbers(item, depth=depth + 1) for item in got)
    return False


def _first_wrong(close: npt.NDArray[np.bool_], array: FloatArray, expected: FloatArray,
                 inputs: Any) -> str:
    """`` at x=2.5 (index 3): got 0.9, should be 0.92`` for the first element that is off."""
    if close.ndim == 0:
        return ""
    bad = np.unravel_index(int(np.argmin(close)), close.shape)
    index = tuple(int(i) for i in bad)
    shown_index = index[0] if len(index) == 1 else index
    where = f"index {shown_index}"
    if inputs is not None and np.shape(inputs) == close.shape:
        where = f"x={_short(np.asarray(inputs)[bad])} (index {shown_index})"
    return f"\nfirst wrong at {where}: got {_short(array[bad])}, should be {_short(expected[bad])}"


def assert_close(got: Any, want: Expected, *, call: str, tol: Tolerance = VALUES,
                 hint: str = "", inputs: Any = None) -> None:
    """``got`` matches the reference value elementwise within ``tol``, with the same shape.

    ``inputs`` (the array the function was called on, same shape) lets the
    message name the x where the values first go wrong; for a 1-D float input
    of a few points the failure also carries the values over the whole range
    (``autograder.curves.Curve``, the error's ``curve`` attribute), which
    ``feedback.html`` draws.
    """
    __tracebackhide__ = True
    expected = np.asarray(_require_expected(want).value, dtype=np.float64)
    array = as_float_array(got, call=call, hint=hint)
    if array.shape != expected.shape:
        fail(call, f"got shape {array.shape}, should be {expected.shape}", hint)
    close = tol.close(array, expected)
    if not np.all(close):
        first = _first_wrong(close, array, expected, inputs)
        # The curve is plain floats: the error may be kept while ``array`` must not be.
        curve = capture(inputs, array, expected, close, call)
        fail(call, f"got {_short(array)}, should be {_short(expected)}{first}", hint, curve=curve)


def assert_equal_value(got: Any, want: Expected, *, call: str, hint: str = "") -> None:
    """Exact match for non-numeric answers (strings, lists of strings)."""
    __tracebackhide__ = True
    expected = _require_expected(want).value
    try:
        equal = type(got) is type(expected) and bool(got == expected)
    except (OverflowError, TypeError, ValueError):  # e.g. a list holding arrays
        equal = False
    if not equal:
        fail(call, f"got {_clip(repr(got))}, should be {_clip(repr(expected))}", hint)


def assert_float_array_like(got: Any, *, call: str, shape: Sequence[int], hint: str = "") -> FloatArray:
    """``got`` is a float64 ndarray of ``shape`` with only finite values."""
    __tracebackhide__ = True
    if type(got) is not np.ndarray or got.dtype != np.float64:
        kind = f"{type(got).__name__}" + (f" of {got.dtype}" if type(got) is np.ndarray else "")
        fail(call, f"got {with_article(kind)}, should be a float64 numpy array", hint)
    if got.shape != tuple(shape):
        fail(call, f"got shape {got.shape}, should be {tuple(shape)}", hint)
    if not np.all(np.isfinite(got)):
        fail(call, f"got non-finite values {_short(got)}", hint)
    return got


def assert_raises_value_error(call_student: Callable[[], object], *, call: str, hint: str) -> None:
    """``call_student()`` must raise ValueError (rule ``raises-on-unknown-name``): returning anything,
    or raising another type, fails with a message naming ``call``. A stub's NotImplementedError
    propagates, so an unfilled function reads as unfilled."""
    __tracebackhide__ = True
    try:
        got = call_student()
    except StudentRaised as raised:
        if raised.type == "NotImplementedError":
            raise
        if raised.type != "ValueError":
            fail(call, f"raised {raised.type}, should raise ValueError", hint)
        return
    fail(call, f"returned {_short(got)}, should raise ValueError", hint)


def assert_gradcheck(report: GradcheckReport, *, call: str, hint: str = "") -> None:
    """A gradient check passed; otherwise name the worst input."""
    __tracebackhide__ = True
    if not report.passed:
        fail(call, report.describe(), hint)
