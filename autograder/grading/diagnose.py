"""Naming the mistake: match a failing case's calls against the catalog's chaffs, then
against the mistakes derived from the reference's expressions.

While a case runs, ``CallLog`` keeps the calls the suite made to the student's
functions (arguments, and the decoded result or the exception's type), up to
``MAX_LOGGED_BYTES`` of results: nothing large is kept past its case. When
the case fails, ``Diagnoser`` splits each function's calls by setting (the
arguments' dtypes and option strings, the errstate and read-only options), so
two mistakes of one function (relu'(0) = 1 on floats, an int dtype on ints) are
both named. For each setting it evaluates each chaff, in this trusted process,
on the same arguments. A chaff is the diagnosis when it reproduces every logged
call of the setting (the same values within ``VALUES``, or the same exception)
while the solution disagrees with at least one returned value (or one write
refused on read-only input). When no chaff does, the candidates of
``autograder.mutants`` (the reference with one symbolic change) are tried the
same way, and a setting where every call raised while the solution returns is
named as a crash on those inputs; last, right values of another type or dtype, and names (an
unknown one not refused, a returned one the solution does not use) are named.

A setting whose every call overflowed under ``np.errstate(...='raise')`` shows no value to match.
The log keeps, across the submission's cases, the small calls that returned without errstate
(``CallLog.history``): when each overflowing call has such a twin, the twins decide. Right
values there name the overflow itself; wrong ones are diagnosed as values, so an overflow that
a wrong formula causes is named by the formula.
"""

from __future__ import annotations
import __future__

import copy
import functools
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import CodeType
from typing import Any, Literal

import numpy as np

from autograder.assignment import Assignment
from autograder.catalog import Catalog, Misconception, combined, load_catalog
from autograder.sandbox import InputChanged
from autograder.sandbox.wire import changed_inputs
from autograder.tolerances import VALUES

_FUTURE_FLAGS = functools.reduce(lambda flags, name: flags | getattr(__future__, name).compiler_flag,
                                 __future__.all_feature_names, 0)
"""Every ``__future__`` feature's compiler flag: those a solution's code was compiled with."""

MAX_LOGGED_BYTES = 8 * 1024 * 1024
"""Results of one case kept for diagnosis; calls past this are not logged."""
MAX_CALLS_PER_FUNCTION = 40
"""The last calls of each function that a chaff must reproduce."""
MAX_HISTORY_CALLS = 512
"""Calls without errstate kept across cases (``CallLog.history``), the latest of each key."""
MAX_HISTORY_CALL_BYTES = 64 * 1024
"""A call larger than this (arguments and result) is not kept in the history."""


@dataclass(frozen=True)
class LoggedCall:
    function: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    readonly: bool
    errstate: bool
    result: Any = None
    raised: str = ""
    """The type name of the exception the student's function raised ("" when it returned)."""


def _size(value: Any) -> int:
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, dict):
        return sum(_size(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_size(v) for v in value)
    return 64


def _fingerprint(value: Any) -> Any:
    """A hashable digest of a plain-data argument: equal for equal values of the same type."""
    if isinstance(value, np.ndarray):
        return ("array", value.dtype.str, value.shape, hashlib.sha256(np.ascontiguousarray(value).tobytes()).digest())
    if isinstance(value, dict):
        return ("dict", tuple(sorted((str(k), _fingerprint(v)) for k, v in value.items())))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_fingerprint(v) for v in value))
    return (type(value).__name__, repr(value))


def call_key(call: LoggedCall) -> Any:
    """What identifies a call apart from its options: the function and its arguments."""
    return (call.function, _fingerprint(call.args), _fingerprint(call.kwargs))


@dataclass
class CallLog:
    """The calls of the current case, bounded in size, and (``history``) the small calls of every
    case that returned without errstate, the latest of each key, bounded in number."""

    calls: list[LoggedCall] = field(default_factory=list)
    logged_bytes: int = 0
    _history: dict[Any, LoggedCall] = field(default_factory=dict)
    _unkeyed: list[LoggedCall] = field(default_factory=list)
    """Calls for the history not digested yet: most runs never read it (no case fails)."""
    cases: dict[str, list[LoggedCall]] | None = None
    """Per case begun (``case_begins``), the calls of it the history took, once ``keep_cases`` asked."""
    _case: list[LoggedCall] | None = None

    def begin_case(self) -> None:
        self.calls.clear()
        self.logged_bytes = 0

    def keep_cases(self) -> None:
        """Keep, per case, the calls of it the history takes (``cases``): a run that passes every case
        hands them to the runs that take its outcomes for some cases (``took_history_of``)."""
        self.cases = {}

    def case_begins(self, case: str) -> None:
        """The calls recorded from now on are ``case``'s (kept per case once ``keep_cases`` asked)."""
        if self.cases is not None:
            self._case = self.cases.setdefault(case, [])

    def took_history_of(self, calls: Sequence[LoggedCall]) -> None:
        """A case that was not run, its outcome known from a run whose calls of it were answered the
        same (``PassingRun``): its calls there join the history, as running it would have added them."""
        self._unkeyed.extend(calls)
        if len(self._unkeyed) > MAX_HISTORY_CALLS:
            self._digest()

    def record(self, call: LoggedCall) -> None:
        size = _size(call.result) + _size(call.args) + _size(call.kwargs)
        if self.logged_bytes + size <= MAX_LOGGED_BYTES:
            self.calls.append(call)
            self.logged_bytes += size
        if not call.errstate and not call.raised and size <= MAX_HISTORY_CALL_BYTES:
            self._unkeyed.append(call)
            if self._case is not None:
                self._case.append(call)
            if len(self._unkeyed) > MAX_HISTORY_CALLS:
                self._digest()

    @property
    def history(self) -> dict[Any, LoggedCall]:
        """The latest call of each key (``call_key``), at most ``MAX_HISTORY_CALLS``, oldest first."""
        self._digest()
        return self._history

    def _digest(self) -> None:
        for call in self._unkeyed:
            try:
                key = call_key(call)
            except Exception:  # an argument the digest cannot read is not kept
                continue
            self._history.pop(key, None)
            self._history[key] = call
            while len(self._history) > MAX_HISTORY_CALLS:
                self._history.pop(next(iter(self._history)))
        self._unkeyed.clear()


def same_value(got: Any, want: Any) -> bool:
    """Whether two plain-data results agree (arrays within ``VALUES``, text exactly)."""
    if isinstance(want, dict):
        return isinstance(got, dict) and set(got) == set(want) and all(same_value(got[k], want[k]) for k in want)
    if isinstance(want, (list, tuple)) and not _numeric(want):
        return (isinstance(got, (list, tuple)) and len(got) == len(want)
                and all(same_value(g, w) for g, w in zip(got, want)))
    if isinstance(want, (str, bool)) or want is None:
        return type(got) is type(want) and got == want
    if _kind(got) != _kind(want):  # an int or bool array where floats belong is a mistake of its own
        return False
    try:
        g, w = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        return False
    # NaN where the chaff gives NaN too is the same mistake (an overflow turned into inf - inf, say)
    return g.shape == w.shape and bool(np.all(VALUES.close(g, w) | (np.isnan(g) & np.isnan(w))))


def _kind(value: Any) -> str:
    """'b', 'i' (signed or unsigned) or 'f' for a number or array; '' for anything else."""
    try:
        kind = np.asarray(value).dtype.kind
    except (TypeError, ValueError, OverflowError):
        return ""
    return "i" if kind == "u" else kind


def _numeric(value: Any) -> bool:
    try:
        return np.asarray(value).dtype.kind in "biuf"
    except (TypeError, ValueError, OverflowError):
        return False


def _run(function: Callable[..., Any], call: LoggedCall) -> tuple[Any, str]:
    """(result, exception type name) of ``function`` on copies of the logged call's arguments;
    a watched call that changes its inputs counts as ``InputChanged``, as in the sandbox."""
    args = copy.deepcopy(list(call.args))
    kwargs = copy.deepcopy(call.kwargs)
    errors: Literal["raise", "ignore"] = "raise" if call.errstate else "ignore"
    try:
        with np.errstate(over=errors, invalid=errors, divide=errors, under="ignore"):
            result = function(*args, **kwargs)
    except Exception as err:  # the chaff's own failure is what a student's would be
        return None, type(err).__name__
    if call.readonly and changed_inputs(list(call.args), call.kwargs, (args, kwargs)):
        return None, InputChanged.__name__
    return result, ""


def _agrees(function: Callable[..., Any], call: LoggedCall) -> bool:
    result, raised = _run(function, call)
    if raised or call.raised:
        return raised == call.raised
    return same_value(call.result, result)


WRITE_REFUSED = ("InputChanged",)
"""What a watched call that wrote into its input fails with: the trace of an in-place mistake."""


def _is_evidence(call: LoggedCall) -> bool:
    """A call that can show a mistake: a returned value, or a write refused on read-only input.
    Other exceptions (an overflow under errstate, say) are shared by too many mistakes to name one."""
    return not call.raised or (call.readonly and call.raised in WRITE_REFUSED)


class Diagnoser:
    """Finds which known misconception, if any, a failing case's calls show."""

    def __init__(self, solution: str | Callable[[], str], catalog: Catalog | Callable[[], Catalog]) -> None:
        self._solution_source = solution
        self._catalog_source = catalog
        self._namespaces: dict[str, dict[str, Any]] = {}

    @classmethod
    def for_assignment(cls, assignment: Assignment) -> Diagnoser:
        """The assignment's chaffs; without any (a student's release folder holds neither
        catalog nor solution) nothing is diagnosed. The catalog is read on the first failing case
        (a run where every case passes, as ``check`` of finished work, never reads it) and the
        solution built from ``source.py`` on the first one that has chaffs to try (it costs ~2 s
        of notebook imports). A warm grading process reads both before it forks (``warm``)."""
        def solution() -> str:
            from autograder.solution_cache import solution_source

            return solution_source(assignment)
        return cls(solution, lambda: load_catalog(assignment))

    @functools.cached_property
    def _catalog(self) -> Catalog:
        source = self._catalog_source
        return source if isinstance(source, Catalog) else source()

    @functools.cached_property
    def _solution(self) -> str:
        source = self._solution_source
        return source if isinstance(source, str) else source()

    def warm(self) -> None:
        """Read the solution and compile every chaff now (a warm grading process does this once,
        before forking, so no submission pays for it)."""
        if not self._catalog.misconceptions:
            return
        for misconception in self._catalog.misconceptions:
            self._function(misconception.id, misconception.chaff, misconception.function)
        for function in {m.function for m in self._catalog.misconceptions}:
            self._function("", "", function)

    @functools.cached_property
    def _solution_code(self) -> CodeType:
        return compile(self._solution, "<>", "exec")

    def _function(self, key: str, chaff: str, name: str) -> Callable[..., Any]:
        """``name`` as the solution with ``chaff`` appended defines it (``with_redefinition``), run in
        a namespace of its own (``key``; "" for the solution itself). The solution is compiled once
        and run in each namespace, then the chaff compiled and run after it, with the solution's
        ``__future__`` features: what running the two as one text does, without compiling the whole
        solution again for every chaff (about 25 ms of a grading process's warm-up)."""
        if key not in self._namespaces:
            namespace: dict[str, Any] = {"__name__": f"catalog_{key}"}
            exec(self._solution_code, namespace)  # instructor code: trusted
            if chaff:
                features = self._solution_code.co_flags & _FUTURE_FLAGS
                exec(compile(chaff, f"<{key}>", "exec", flags=features, dont_inherit=True), namespace)
            self._namespaces[key] = namespace
        return self._namespaces[key][name]  # type: ignore[no-any-return]

    def _shows(self, misconception: Misconception, calls: list[LoggedCall]) -> bool:
        chaff = self._function(misconception.id, misconception.chaff, misconception.function)
        solution = self._function("", "", misconception.function)
        if not all(_agrees(chaff, c) for c in calls):
            return False
        return any(not _agrees(solution, c) for c in calls if _is_evidence(c))

    def _from_catalog(self, function: str, calls: list[LoggedCall]) -> Misconception | None:
        return next((m for m in self._catalog.for_function(function) if self._shows(m, calls)), None)

    def diagnose(self, calls: list[LoggedCall], history: dict[Any, LoggedCall] | None = None) -> Misconception | None:
        """What the calls show: per function and setting, the first catalog entry that reproduces
        them, else the first derived mistake; several at once are combined (each one named).
        ``history``: calls of earlier cases (``CallLog.history``), the twins of overflowing calls."""
        found: dict[str, Misconception] = {}
        functions = list(dict.fromkeys(c.function for c in calls))
        for function in functions:
            mine = [c for c in calls if c.function == function][-MAX_CALLS_PER_FUNCTION:]
            groups: dict[tuple[Any, ...], list[LoggedCall]] = {}
            for call in mine:
                groups.setdefault(setting(call), []).append(call)
            for group in groups.values():
                twins = _twins(group, history or {})
                context = _context(group, history or {})
                named = (self._overflow(function, group, twins) if twins
                         else self._named(function, group, context))
                if named is not None:
                    found.setdefault(named.id, named)
        return combined(tuple(found.values()))

    def _named(self, function: str, group: list[LoggedCall], context: Sequence[LoggedCall] = (),
               ) -> Misconception | None:
        named = self._from_catalog(function, group) if self._catalog.misconceptions else None
        if named is None:
            named = derived_mistake(function, group, context)
        reference = self._reference(function) if named is None else None
        if reference is not None:
            from autograder.mutants import wrong_type

            named = wrong_type(function, group, reference)
        if named is None and reference is not None:
            from autograder.mutants import label_mistake

            try:
                named = label_mistake(function, group, reference, context)
            except Exception:  # a name the kit cannot judge names nothing
                named = None
        return named

    def _overflow(self, function: str, group: list[LoggedCall], twins: list[LoggedCall]) -> Misconception | None:
        """An overflowing setting judged by its twins without errstate: the overflow itself when
        they are right (and the solution does not overflow), else what their values show."""
        solution = self._reference(function)
        if solution is None:
            return self._named(function, group)
        if all(_agrees(solution, t) for t in twins):
            if any(_agrees(solution, c) for c in group):
                return None  # the solution overflows there too: nothing to name
            return overflow_mistake(function)
        return self._named(function, twins)

    def _reference(self, function: str) -> Callable[..., Any] | None:
        if not self._catalog.misconceptions:
            return None
        try:
            return self._function("", "", function)
        except Exception:  # a function the solution does not define: no twin can be judged
            return None


OVERFLOWED = "FloatingPointError"
"""What a call under errstate raises where a step overflows, divides by zero or is invalid."""


def _context(group: list[LoggedCall], history: dict[Any, LoggedCall]) -> list[LoggedCall]:
    """The function's other calls of the group's setting kept from this submission's cases, the
    latest ``MAX_CALLS_PER_FUNCTION``: a derived mistake must reproduce them too."""
    if not group:
        return []
    which = setting(group[0])
    try:
        own = {call_key(c) for c in group}
        return [c for key, c in history.items() if c.function == group[0].function and key not in own
                and setting(c) == which][-MAX_CALLS_PER_FUNCTION:]
    except Exception:  # an argument the digest cannot read: no context
        return []


def _twins(group: list[LoggedCall], history: dict[Any, LoggedCall]) -> list[LoggedCall]:
    """For a setting whose every call raised under errstate, each call's twin without errstate
    (same function and arguments) from ``history``; empty unless every call has one."""
    if not group or not all(c.errstate and c.raised == OVERFLOWED for c in group):
        return []
    try:
        twins = [history.get(call_key(c)) for c in group]
    except Exception:  # an argument the digest cannot read: no twin
        return []
    return [t for t in twins if t is not None] if all(t is not None for t in twins) else []


def overflow_mistake(function: str) -> Misconception:
    from autograder.mutants import SOURCE, TAG_MARK

    return Misconception(f"{function}{TAG_MARK}overflow", function,
                         "looks like: the values are right, but a step on the way overflows (or divides by "
                         "zero) on the largest inputs: the same call under np.errstate(over/invalid/divide="
                         "'raise') raises FloatingPointError. Rewrite it so no intermediate gets huge "
                         "(exp only of numbers <= 0, say).", SOURCE, "")


def _kind_of(value: Any) -> Any:
    """What of an argument makes a setting: an option's text, or a value's dtype kind and whether it
    is a Python number, a list or an array."""
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return value
    if isinstance(value, dict):
        return ("dict", tuple(sorted(value)))
    container = "list" if isinstance(value, (list, tuple)) else ("array" if isinstance(value, np.ndarray) else "number")
    return container, _kind(value)


def setting(call: LoggedCall) -> tuple[Any, ...]:
    """The calls of one function that one mistake must explain together."""
    return (call.errstate, call.readonly, tuple(_kind_of(a) for a in call.args),
            tuple(sorted((k, _kind_of(v)) for k, v in call.kwargs.items())))


def derived_mistake(function: str, calls: list[LoggedCall], context: Sequence[LoggedCall] = (),
                    ) -> Misconception | None:
    """The first mistake derived from the reference (``autograder.mutants``) that reproduces every
    call (and every ``context`` call) while the reference does not, a write into a read-only
    input, or a crash on these inputs; None when none."""
    from autograder.mutants import crash, in_place, mutant_of

    try:
        return mutant_of(function, calls, context) or in_place(function, calls) or crash(function, calls)
    except Exception:  # a candidate the kit cannot build for these arguments names nothing
        return None


def explained(message: str, misconception: Misconception) -> str:
    """The failure message with each named mistake's explanation after it, one line each."""
    lines = [f"Likely mistake ({m.id}): {m.explanation}" for m in misconception.parts or (misconception,)]
    return "\n".join([message, *lines])


@dataclass
class CaseDiagnosis:
    """What the suite runner uses: clear the log as a case starts, diagnose it when it fails."""

    log: CallLog
    diagnoser: Diagnoser

    def begin_case(self) -> None:
        self.log.begin_case()

    def diagnose(self) -> Misconception | None:
        try:
            return self.diagnoser.diagnose(self.log.calls, self.log.history)
        finally:
            self.log.begin_case()
