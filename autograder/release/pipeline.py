"""A release pipeline: an ordered list of single-purpose notebook transforms.

Each ``Transform`` declares the facts about the notebook it ``requires`` and
the ones it ``provides`` (``"nbgrader-metadata"``, ``"solutions-cleared"``...).
A ``Pipeline`` checks its order when it is built: every requirement must be
provided by the starting facts or an earlier step, and no fact may be provided
twice. A mis-ordered pipeline is therefore an import-time error, not a comment.

Transforms never modify their input notebook; each returns a new one.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from nbformat import NotebookNode

from autograder.release.errors import ReleaseError

NotebookTransform = Callable[[NotebookNode], NotebookNode]


class PipelineOrderError(ReleaseError):
    """Steps whose declared requirements are not met in the given order."""


@dataclass(frozen=True)
class Transform:
    """One step: a function from notebook to notebook, with its declared order constraints."""

    name: str
    function: NotebookTransform
    requires: frozenset[str] = field(default_factory=frozenset)
    provides: frozenset[str] = field(default_factory=frozenset)

    def __call__(self, notebook: NotebookNode) -> NotebookNode:
        return self.function(copy.deepcopy(notebook))


def check_order(steps: Sequence[Transform], start: frozenset[str] = frozenset()) -> frozenset[str]:
    """Raise ``PipelineOrderError`` unless each step's requirements are met by the steps before it.

    Returns the facts that hold after the last step.
    """
    known = set(start)
    names: set[str] = set()
    for position, step in enumerate(steps, start=1):
        if step.name in names:
            raise PipelineOrderError(f"step {position} ({step.name}) appears twice")
        names.add(step.name)
        missing = step.requires - known
        if missing:
            raise PipelineOrderError(f"step {position} ({step.name}) needs {sorted(missing)}, "
                                     f"which no earlier step provides")
        again = step.provides & known
        if again:
            raise PipelineOrderError(f"step {position} ({step.name}) provides {sorted(again)} again")
        known |= step.provides
    return frozenset(known)


@dataclass(frozen=True)
class Pipeline:
    """Steps run in order; the order is checked on construction, as is ``delivers``."""

    name: str
    steps: tuple[Transform, ...]
    start: frozenset[str] = field(default_factory=frozenset)
    delivers: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        final = check_order(self.steps, self.start)
        missing = self.delivers - final
        if missing:
            raise PipelineOrderError(f"pipeline {self.name} never provides {sorted(missing)}")

    def __call__(self, notebook: NotebookNode) -> NotebookNode:
        for step in self.steps:
            notebook = step(notebook)
        return notebook

    def then(self, name: str, *steps: Transform, delivers: frozenset[str] = frozenset()) -> Pipeline:
        """A longer pipeline: these steps appended, order checked again."""
        return Pipeline(name, self.steps + steps, self.start, delivers)
