"""One mistake costs once, for crashes too: a downstream case judged again with its upstream right.

A downstream function (``forward``, ``backward``, ``train``) that fails only
because the student's own upstream (``activate``, ``mse_loss``) raises or is
wrong would otherwise lose its points too. ``judged_again_with(*upstreams)``
wraps such a case: when it fails, it runs once more on a ``student`` whose
upstream functions are substituted (``Student.with_options(substitute=...)``):
in the worker, their names answer with the reference's values, computed here
in the grader and sent back as plain data; the reference's code never enters
the sandbox (``autograder/sandbox/session.py``). The case then passes as a
consistency pass (``credit_consistency``) credited to the upstream skill, when:

* it passes against the reference alone (``REFERENCE_ONLY``: no consistency
  with the student's own upstream is sought in the second run); a stub, or a
  downstream that is wrong by itself, fails again and earns nothing;
* the student's own upstream is wrong, raises, or writes into its inputs, at arguments the downstream
  actually passed to it in that run (its first ``MAX_WITNESSES`` calls of each
  substituted function are replayed on the student's own function): that
  upstream's skill is the one credited, the first in the order given.

The credit model (``autograder/grading/credit.py``) then grants the pass only
while that upstream skill fails its own checks, so the mistake is charged
there, once.

A runner may put the second runs off until every case has run once
(``second_runs_later``, as ``autograder.grading.lean`` does): a sandbox worker
that has answered with the reference's values serves no other kind of call, so
second runs interleaved with first runs cost a fresh worker each (85 for an
untouched stub), and grouped by what they substitute they cost one per group.
The case's outcome is the same either way: its first run fails as it would,
and ``run_later`` then turns it into a consistency pass or leaves it failed.
"""

from __future__ import annotations

import copy
import functools
import inspect
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.sandbox.session import StudentCallError
from autograder.suite.consistency import REFERENCE_ONLY, credit_consistency
from autograder.tolerances import VALUES

TestFunction = Callable[..., None]
STUDENT_FIXTURES = ("student", "strict_student")
"""The fixtures that stand for the submission; the second run gets them with the upstream substituted."""
RECORD_PROPERTY = "record_property"
MAX_WITNESSES = 8
"""Calls of each substituted function replayed on the student's own, to find the wrong upstream (the
lecture network's backward calls activate_derivative once per layer, the first layer's, with the
largest pre-activations, last: 3 missed it)."""


MAX_ELEMENTS = 1_000_000
"""The most numbers a reference answer may work on: the arguments come from the student's code, and
two arrays that broadcast ((n, 1) and (1, n)) could otherwise make the grader allocate n squared."""


def floats(*values: Any) -> list[np.ndarray]:
    """The arguments of a reference answer as float64 arrays; ValueError when they are not numbers or
    their broadcast holds more than ``MAX_ELEMENTS`` (the stand-in is then refused)."""
    arrays = [np.asarray(value, dtype=np.float64) for value in values]
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    if int(np.prod(shape, dtype=np.float64)) > MAX_ELEMENTS or any(a.size > MAX_ELEMENTS for a in arrays):
        raise ValueError("too many numbers for a substituted function")
    return arrays


@dataclass(frozen=True)
class Upstream:
    """A student function a downstream case may have substituted, and its skill."""

    function: str
    skill: str
    answer: Callable[..., Any]
    """The reference's value for the same arguments (runs in the grader, never in the worker)."""


@dataclass
class _Witnesses:
    """The substitute for one upstream function: answers with the reference's values and keeps the
    first calls' arguments and values."""

    upstream: Upstream
    calls: list[tuple[list[Any], dict[str, Any], Any]] = field(default_factory=list)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with np.errstate(all="ignore"):  # the reference's value as it is, whatever the case's errstate
            value = self.upstream.answer(*args, **kwargs)
        if len(self.calls) < MAX_WITNESSES:
            self.calls.append((copy.deepcopy(list(args)), copy.deepcopy(kwargs), value))
        return value

    def wrong_in(self, student: Any) -> bool:
        """Whether the student's own function raises, writes into its inputs (watched, read-only), or
        differs from the reference (in its values, or an array's dtype: float32 values pass on
        less precision to what is computed from them), at a kept call."""
        own = student.with_options(readonly_inputs=True).function(self.upstream.function)
        for args, kwargs, want in self.calls:
            try:
                got = own(*args, **kwargs)
                if not same_values(got, want) or _other_dtype(got, want):
                    return True
            except StudentCallError:
                return True
        return False


def same_values(got: Any, want: Any) -> bool:
    """Whether plain data ``got`` has ``want``'s structure and values within ``VALUES`` (NaN where
    the reference has NaN); a value that is not numbers is not the same."""
    if isinstance(want, dict):
        return type(got) is dict and set(got) == set(want) and all(same_values(got[k], want[k]) for k in want)
    try:
        a, b = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        return False
    return a.shape == b.shape and bool(np.all(VALUES.close(a, b) | (np.isnan(a) & np.isnan(b))))


def _other_dtype(got: Any, want: Any) -> bool:
    """Whether both are arrays and their dtypes differ."""
    return isinstance(got, np.ndarray) and isinstance(want, np.ndarray) and got.dtype != want.dtype


def _discard(name: str, value: Any) -> None:
    """``record_property`` of the second run: the first run's properties are the case's."""


def _second_run(test: TestFunction, fixtures: dict[str, Any],
                upstreams: tuple[Upstream, ...]) -> list[_Witnesses] | None:
    """``test`` run again with ``upstreams`` substituted: the substitutes with what they were
    asked, if it passed; None if it failed."""
    witnesses = [_Witnesses(upstream) for upstream in upstreams]
    substitute = {w.upstream.function: w for w in witnesses}
    again = {name: value.with_options(substitute=substitute) if name in STUDENT_FIXTURES else value
             for name, value in fixtures.items()}
    if RECORD_PROPERTY in again:
        again[RECORD_PROPERTY] = _discard
    token = REFERENCE_ONLY.set(True)
    try:
        test(**again)
    except Exception:  # noqa: BLE001 - any failure of the second run: the first one's stands
        return None
    finally:
        REFERENCE_ONLY.reset(token)
    return witnesses


def _wrong_upstream(witnesses: list[_Witnesses], fixtures: dict[str, Any]) -> str:
    """The skill of the first substituted function the student's own version gets wrong at the
    calls the second run made of it; "" if none."""
    student = next(fixtures[name] for name in STUDENT_FIXTURES if name in fixtures)
    return next((w.upstream.skill for w in witnesses if w.calls and w.wrong_in(student)), "")


def _credited_skill(test: TestFunction, fixtures: dict[str, Any], upstreams: tuple[Upstream, ...]) -> str:
    """The upstream skill to credit when ``test`` passes with ``upstreams`` substituted; "" otherwise."""
    witnesses = _second_run(test, fixtures, upstreams)
    return "" if witnesses is None else _wrong_upstream(witnesses, fixtures)


def _credited_after(run: SecondRun) -> str:
    """The skill ``run`` credits, once it has run again; "" when it failed, or when replaying its
    witnesses failed in a way the student's code does not explain (the case then keeps its first
    failure: a fault of the kit's costs that case, never the others' second runs)."""
    if run.witnesses is None:
        return ""
    try:
        return _wrong_upstream(run.witnesses, run.fixtures)
    except Exception:  # noqa: BLE001 - see the docstring: fail closed, for this case alone
        return ""


@dataclass
class SecondRun:
    """A failed case's second run, put off until every case has run once (``second_runs_later``)."""

    test: TestFunction
    fixtures: dict[str, Any]
    upstreams: tuple[Upstream, ...]
    record_property: Callable[[str, Any], None]
    witnesses: list[_Witnesses] | None = None

    @property
    def substituted(self) -> tuple[str, ...]:
        return tuple(sorted(upstream.function for upstream in self.upstreams))


_LATER: ContextVar[list[SecondRun] | None] = ContextVar("second_runs_later", default=None)


@contextmanager
def second_runs_later() -> Iterator[list[SecondRun]]:
    """Inside the block, a judged case that fails leaves its second run in the list yielded and
    fails as its first run did; ``run_later`` then decides it."""
    later: list[SecondRun] = []
    token = _LATER.set(later)
    try:
        yield later
    finally:
        _LATER.reset(token)


def run_later(runs: Sequence[SecondRun]) -> list[str]:
    """Decide the second runs ``runs`` put off: each run again, grouped by the functions it
    substitutes (one sandbox worker per group), then the witnesses of those that passed replayed
    on the student's own functions. The skill credited to each, in order ("" for none); a credited
    case has its consistency credit recorded, as it would have inline."""
    token = _LATER.set(None)  # a judged test called inside a second run decides at once
    try:
        for run in sorted(runs, key=lambda later: later.substituted):
            run.witnesses = _second_run(run.test, run.fixtures, run.upstreams)
        skills = [_credited_after(run) for run in runs]
    finally:
        _LATER.reset(token)
    for run, skill in zip(runs, skills):
        if skill:
            credit_consistency(run.record_property, skill)
    return skills


Chooser = Callable[[dict[str, Any]], tuple[Upstream, ...]]
"""The upstreams one case of a parametrized test may substitute, from its fixtures and parameters."""


def judged_again_with(*upstreams: Upstream, choose: Chooser | None = None) -> Callable[[TestFunction], TestFunction]:
    """Wrap a downstream case so that a failure is judged again with ``upstreams`` substituted
    (see the module doc). The case must take ``student`` or ``strict_student``; it gets
    ``record_property`` whether it asks for it or not. ``choose``, for a test parametrized over
    several functions, gives each case its own upstreams (none: the failure stands)."""
    def wrap(test: TestFunction) -> TestFunction:
        signature = inspect.signature(test)
        own = set(signature.parameters)
        if not own & set(STUDENT_FIXTURES):
            raise TypeError(f"{test.__name__} takes no student fixture to substitute in")
        parameters = list(signature.parameters.values())
        if RECORD_PROPERTY not in own:
            parameters.append(inspect.Parameter(RECORD_PROPERTY, inspect.Parameter.KEYWORD_ONLY))

        @functools.wraps(test)
        def judged(**fixtures: Any) -> None:
            __tracebackhide__ = True
            given = {name: value for name, value in fixtures.items() if name in own}
            try:
                test(**given)
                return
            except (AssertionError, StudentCallError) as failure:
                first = failure
            chosen = upstreams if choose is None else choose(given)
            later = _LATER.get()
            if chosen and later is not None:
                later.append(SecondRun(test, given, chosen, fixtures[RECORD_PROPERTY]))
                raise first
            skill = _credited_skill(test, given, chosen) if chosen else ""
            if not skill:
                raise first
            credit_consistency(fixtures[RECORD_PROPERTY], skill)

        judged.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        return judged

    return wrap
