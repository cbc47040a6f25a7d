"""Question sheets, one variant per student, whose keys the SymPy reference derives.

An assignment may carry ``questions.toml`` (``config``): concept questions
(``concept_bank``) and worked numbers (``worked_bank``) whose keys come from
``reference.concepts`` and ``reference.worked_numbers``, and questions the
reference cannot decide, keyed by the instructor in that file. Each student's
numbers, options and choice lists are drawn from the course secret and their id
(``variant``); ``api`` releases their sheets, grades their ``answers.toml``
(``answers``, ``scoring``) and validates the keys.
"""

from autograder.questions.api import (
    grade_sheets,
    load_config,
    read_roster,
    release_sheets,
    student_sheet,
    validate_questions,
)
from autograder.questions.variant import Variant, VariantError

__all__ = ["Variant", "VariantError", "grade_sheets", "load_config", "read_roster", "release_sheets",
           "student_sheet", "validate_questions"]
