"""Derivations a store outside the reference may remember across processes.

What SymPy derives for the reference's evaluators (an activation's forms, its output identity)
is the same in every process of one reference: ``remembered(key, derive)`` is ``derive()``,
unless a store is installed (``install``), which may answer it without calling ``derive``
(``autograder.derivation_cache`` keeps the answers on disk, so a grading process imports no SymPy
for them). ``derive`` must return plain data: None, bool, int, float, str, tuples, lists and
dicts of them with str keys, and ``NumpyForm`` (``reference.numeric_form``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

T = TypeVar("T")


class Store(Protocol):
    def remembered(self, key: str, derive: Callable[[], T]) -> T:
        """The value ``derive()`` returns (or returned in an earlier process) for ``key``."""
        ...


_store: Store | None = None


def install(store: Store | None) -> None:
    """Answer ``remembered`` from ``store`` from now on (None: derive every time)."""
    global _store
    _store = store


def remembered(key: str, derive: Callable[[], T]) -> T:
    """``derive()``, or the answer the installed store keeps for ``key``."""
    return derive() if _store is None else _store.remembered(key, derive)
