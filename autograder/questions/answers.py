"""A student's ``answers.toml``: untrusted data, read with a size bound, never executed.

The grader reads the file itself (it holds no code: TOML is data), at most
``MAX_ANSWERS_BYTES`` of it; a file that is larger, not UTF-8 or not TOML is
refused with the reason, and the whole sheet scores 0 (fail closed).
"""

from __future__ import annotations

import ast
import json
import math
import operator
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


# -- a notebook's answers cell, in Python --------------------------------------------------------------

PYTHON_CELL = "# answers:"
"""The first line of a notebook code cell holding the answers as Python assignments
(``path_1 = 0.25 * 0.15``); see ``python_answers``."""
UNREADABLE = "unreadable"
"""The key of the table an answer becomes when the grader cannot read it as data (a call, an import's
name): no kind accepts a table, so it is marked wrong, and the feedback shows what was written."""
MAX_DEPTH = 40
MAX_EXPONENT = 1024.0

_OPERATORS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
              ast.Pow: operator.pow}


class _NotData(ValueError):
    """An expression the grader does not read (it would have to run code)."""


def _value(node: ast.expr, known: dict[str, Any], depth: int = 0) -> Any:
    """The value of ``node`` as data: a constant, a list of strings, or arithmetic (+ - * / **) over
    numbers and the cell's earlier answers. Nothing is called, imported or looked up elsewhere."""
    if depth > MAX_DEPTH:
        raise _NotData("nested too deeply")
    if isinstance(node, ast.Constant) and (node.value is None or node.value is Ellipsis
                                           or isinstance(node.value, (str, bool, int, float))):
        if isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            try:
                number = float(node.value)
            except OverflowError:
                raise _NotData("a number too large") from None
            if not math.isfinite(number):
                raise _NotData("a number that is not finite")
            return number
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        items = [_value(e, known, depth + 1) for e in node.elts]
        if not all(isinstance(i, str) for i in items):
            raise _NotData("a list of anything but strings")
        return items
    if isinstance(node, ast.Name) and node.id in ("True", "False"):
        return node.id == "True"
    if isinstance(node, ast.Name) and isinstance(known.get(node.id), float):
        return known[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _number_of(_value(node.operand, known, depth + 1))
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        left = _number_of(_value(node.left, known, depth + 1))
        right = _number_of(_value(node.right, known, depth + 1))
        if isinstance(node.op, ast.Pow) and (abs(right) > MAX_EXPONENT or (left < 0 and not right.is_integer())):
            raise _NotData("a power out of range")
        try:
            result = _OPERATORS[type(node.op)](left, right)
        except (ArithmeticError, ValueError):
            raise _NotData("arithmetic that fails") from None
        if not isinstance(result, float) or not math.isfinite(result):
            raise _NotData("arithmetic that is not a finite number")
        return result
    raise _NotData(type(node).__name__)


def _number_of(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, float):
        raise _NotData("arithmetic on something that is not a number")
    return value


def python_answers(source: str) -> dict[str, Any]:
    """The answers of a notebook's answers cell: each top-level ``name = value`` read as data
    (``_value``), never executed. ``...`` or ``None`` is a blank; a value the grader cannot read
    becomes ``{unreadable = "<what was written>"}`` (marked wrong, with what was written); other
    statements are ignored. ``AnswersError`` for a cell too large or not Python."""
    if len(source.encode("utf-8", "replace")) > MAX_ANSWERS_BYTES:
        raise AnswersError(f"the answers cell is larger than {MAX_ANSWERS_BYTES} bytes")
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as err:
        where = f" (line {err.lineno})" if isinstance(err, SyntaxError) and err.lineno else ""
        raise AnswersError(f"the answers cell is not valid Python{where}: write one `name = value` a line") \
            from None
    answers: dict[str, Any] = {}
    numbers: dict[str, Any] = {}
    for statement in tree.body:
        if not (isinstance(statement, ast.Assign) and len(statement.targets) == 1
                and isinstance(statement.targets[0], ast.Name)):
            continue
        name = statement.targets[0].id
        try:
            value = _value(statement.value, numbers)
        except (_NotData, RecursionError):
            text = ast.get_source_segment(source, statement.value) or "?"
            answers[name] = {UNREADABLE: text[:80]}
            numbers.pop(name, None)
            continue
        if value is None or value is Ellipsis:
            answers.pop(name, None)
            numbers.pop(name, None)
            continue
        answers[name] = value
        if isinstance(value, float):
            numbers[name] = value
        else:
            numbers.pop(name, None)
    return answers


def answers_toml(answers: dict[str, Any]) -> bytes:
    """``answers`` (``python_answers``'s) as an ``answers.toml``'s bytes, read back by ``parse_answers``."""
    lines = []
    for name, value in answers.items():
        key = json.dumps(name, ensure_ascii=False)
        if isinstance(value, dict):
            lines.append(f"{key} = {{ {UNREADABLE} = {toml_value(str(value[UNREADABLE]))} }}")
        elif isinstance(value, list):
            lines.append(f"{key} = {toml_value(tuple(value))}")
        else:
            lines.append(f"{key} = {toml_value(value)}")
    return ("\n".join(lines) + "\n").encode("utf-8")


_PY_HINTS = {"one": "one option, in quotes", "many": 'a list of options, ["...", "..."]',
             "bool": "True or False", "number": "a number, or arithmetic of numbers: 0.25 * 0.15"}


def python_template(questions: Sequence[Question]) -> str:
    """The answers cell a notebook starts with: one ``id = ...`` line per question (``...``: blank)."""
    lines = [f"{PYTHON_CELL} replace each ... with your answer (run the cell above for your own questions).",
             "# Only numbers, strings, True/False, lists of strings and arithmetic of numbers (+ - * / **, and",
             "# your earlier answers by name) are read: nothing else in this cell is run when it is graded.", ""]
    width = max((len(q.id) for q in questions), default=0)
    for q in questions:
        lines.append(f"{q.id.ljust(width)} = ...    # {_PY_HINTS[q.kind]}")
    return "\n".join(lines) + "\n"
