"""A student's ``answers.toml``: untrusted data, read with a size bound, never executed.

The grader reads the file itself (it holds no code: TOML is data), at most
``MAX_ANSWERS_BYTES`` of it; a file that is larger, not UTF-8 or not TOML is
refused with the reason, and the whole sheet scores 0 (fail closed).
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autograder.questions.model import Key, Question

ANSWERS_NAME = "answers.toml"
MAX_ANSWERS_BYTES = 64 * 1024
"""Far above any honest sheet (~2 KB), far below what could slow the parser."""


class AnswersError(ValueError):
    """An answers file the grader refuses, with the reason."""


def parse_answers(data: bytes) -> dict[str, Any]:
    """The answers in ``data`` (the bytes of an ``answers.toml``) as a plain dict."""
    if len(data) > MAX_ANSWERS_BYTES:
        raise AnswersError(f"the answers file is larger than {MAX_ANSWERS_BYTES} bytes")
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise AnswersError("the answers file is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as err:
        raise AnswersError(f"the answers file is not valid TOML: {err}") from None


def read_answers(path: Path) -> dict[str, Any]:
    """``parse_answers`` of the file at ``path``, reading no more than the bound allows."""
    if not path.is_file():
        raise AnswersError(f"no {path.name} (the answers file) in the submission")
    with path.open("rb") as handle:
        return parse_answers(handle.read(MAX_ANSWERS_BYTES + 1))


def toml_value(value: Key | float) -> str:
    """A TOML value for an answer (strings as TOML basic strings, via JSON's escapes)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if not math.isfinite(value):
        raise ValueError(f"cannot write {value!r} as an answer")
    return repr(float(value))


_HINTS = {"one": "one of the options, in quotes", "many": "a list of options, [\"a\", \"b\"]",
          "bool": "true or false", "number": "a number"}


def answers_template(questions: Sequence[Question]) -> str:
    """The file a student fills: one commented line per question, saying what to write."""
    lines = ["# Your answers: remove the '#' of a line and write your answer after '='.",
             "# A line left commented is a question left blank.", ""]
    for q in questions:
        lines.append(f"# {q.id} = ...    ({_HINTS[q.kind]})")
    return "\n".join(lines) + "\n"


def key_answers(questions: Sequence[Question]) -> str:
    """The answers file that answers every question with its key (``validate`` grades it)."""
    return "".join(f"{q.id} = {toml_value(q.key)}\n" for q in questions)
