"""``student.sigmoid(x)``: attribute-style access to a sandboxed submission.

A ``StudentProxy`` holds no student object at all; each attribute is a
``StudentFunction`` that forwards its call through ``SandboxSession.call``, so
the result is always plain data decoded by the grader. Private names are
refused so tests and tools probing dunders (``__wrapped__``, ``_pytest...``)
never reach the worker.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from autograder.sandbox.session import SandboxSession, Substitutes
from autograder.sandbox.wire import CallOptions

Call = Callable[[str, tuple[Any, ...], dict[str, Any]], Any]
"""How a student forwards ``name(*args, **kwargs)``: ``call(name, args, kwargs)``."""


class Student(Protocol):
    """What a suite's ``student`` is, wherever the submission runs: the sandbox's
    ``StudentProxy``, the grader's ``DeadlineProxy`` over it (one deadline per submission), or
    nbgrader's in-kernel ``KernelStudent``. ``student.sigmoid`` is ``student.function("sigmoid")``."""

    def __getattr__(self, name: str) -> Callable[..., Any]: ...

    def function(self, name: str) -> Callable[..., Any]:
        """The student function ``name``; calling it runs the student's code."""
        ...

    def has(self, name: str) -> bool:
        """Whether the submission defines a public function ``name``."""
        ...

    @property
    def options(self) -> CallOptions:
        """The flags every call is sent with."""
        ...

    def with_options(self, *, timeout: float | None = None, errstate: bool | None = None,
                     readonly_inputs: bool | None = None, substitute: Substitutes | None = None) -> Student:
        """The same student with other call options (None keeps the current one). ``substitute``
        (function name -> the grader's callable): in its calls, the submission's functions of those
        names answer with the grader's values (``SandboxSession.call``)."""
        ...


class StudentFunction:
    """A callable standing for one function of the submission, with a stable repr for
    assertion messages; ``call`` does the work (the session's, or a deadline's)."""

    def __init__(self, call: Call, name: str) -> None:
        self._forward = call
        self.__name__ = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._forward(self.__name__, args, kwargs)

    def __repr__(self) -> str:
        return f"<student function {self.__name__}>"


class FunctionsByName:
    """``student.sigmoid`` is ``student.function("sigmoid")``, whose calls go to ``_call``. Private
    names are refused, so tests and tools probing dunders (``__wrapped__``, ``_pytest...``)
    never reach the submission. The base of every ``Student``."""

    def __getattr__(self, name: str) -> StudentFunction:
        # Only reached for names not found normally.
        if name.startswith("_"):
            raise AttributeError(name)
        return self.function(name)

    def function(self, name: str) -> StudentFunction:
        """The student function ``name`` (a missing one fails when it is called)."""
        if name.startswith("_"):
            raise AttributeError(name)
        return StudentFunction(self._call, name)

    def _call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        raise NotImplementedError


class StudentProxy(FunctionsByName):
    """Attribute access to the public functions of one sandboxed submission.

    ``timeout`` (seconds) overrides the session's call timeout; ``errstate``
    makes every call run under ``np.errstate(...="raise")``; ``readonly_inputs``
    sends array arguments read-only (see ``wire.CallOptions``). Use
    ``function(name)`` for a student function whose name clashes with a
    method here (``has``, ``function``, ``with_options``).
    """

    def __init__(self, session: SandboxSession, timeout: float | None = None, *,
                 errstate: bool = False, readonly_inputs: bool = False,
                 substitute: Substitutes | None = None) -> None:
        self._session = session
        self._timeout = timeout
        self._substitutes: Mapping[str, Callable[..., Any]] = dict(substitute or {})
        self._options = CallOptions(errstate=errstate, readonly_inputs=readonly_inputs,
                                    substitute=tuple(self._substitutes))

    def _call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """Run the student's function in the sandbox; see ``SandboxSession.call``."""
        return self._session.call(name, args, kwargs, timeout=self._timeout, options=self._options,
                                  substitutes=self._substitutes)

    def has(self, name: str) -> bool:
        """Whether the submission defines a public function ``name``."""
        return not name.startswith("_") and self._session.has(name)

    @property
    def options(self) -> CallOptions:
        """The flags every call of this proxy is sent with."""
        return self._options

    def with_options(self, *, timeout: float | None = None, errstate: bool | None = None,
                     readonly_inputs: bool | None = None, substitute: Substitutes | None = None) -> StudentProxy:
        """A proxy over the same session with other call options (None keeps the current one)."""
        options = self._options.updated(errstate=errstate, readonly_inputs=readonly_inputs)
        return StudentProxy(self._session, self._timeout if timeout is None else timeout,
                            errstate=options.errstate, readonly_inputs=options.readonly_inputs,
                            substitute=self._substitutes if substitute is None else substitute)

    def __dir__(self) -> list[str]:
        return sorted(set(self._session.functions()) | {"has", "function", "with_options"})

    def __repr__(self) -> str:
        return f"<student proxy over {self._session.loaded.describe()}>"
