"""The question bank: every derived question by id, and a student's sheet from ``questions.toml``."""

from __future__ import annotations

from autograder.questions.concept_bank import CONCEPT_BUILDERS
from autograder.questions.config import Entry, QuestionsConfig
from autograder.questions.model import Builder, Question
from autograder.questions.variant import Variant
from autograder.questions.worked_bank import WORKED_BUILDERS

BANK: dict[str, Builder] = {**CONCEPT_BUILDERS, **WORKED_BUILDERS}
"""Every question whose key the reference derives, by id."""


def known_ids() -> frozenset[str]:
    return frozenset(BANK)


def instructor_question(entry: Entry, variant: Variant) -> Question:
    """An instructor-keyed question, its options in the variant's order."""
    q = entry.instructor
    if q is None:
        raise ValueError(f"{entry.id} is a derived question")
    options = variant.shuffled(f"{entry.id}:options", q.options) if q.options else ()
    return Question(entry.id, q.kind, q.prompt, q.key, q.reason, entry.points, options=options,
                    instructor_keyed=True)


def sheet_questions(config: QuestionsConfig, variant: Variant) -> tuple[Question, ...]:
    """The student's questions, in ``questions.toml``'s order, each with its variant's key."""
    return tuple(BANK[e.id](variant, e.points) if e.instructor is None else instructor_question(e, variant)
                 for e in config.entries)
