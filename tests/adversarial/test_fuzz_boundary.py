"""Property-based fuzzing of the trusted boundary: whatever bytes one submission holds, the batch
is written, its neighbours' grades do not move, and the kit never files the student's bytes as its
own failure.

Each example grades one generated submission beside two honest ones (the tiny assignment of
``tests.grading.builders``, about a second a batch) and checks, against a batch of the honest
ones alone:

* the batch completes: ``grades.csv`` (valid UTF-8, one row per student, no control or bidi
  character), ``report.html`` and ``summary.json`` are written;
* every honest student's ``results.json`` is byte for byte what it is without the generated
  one (``execution_time`` aside);
* the generated student is graded, or refused with a stated reason of their own: never
  ``error_kind`` "grader", never a case the kit could not run.

The generated submission varies its file name (any bytes), its notebook JSON (types, depth up to
200,000 levels, placement, text encoding, lone surrogates), the messages of the exceptions it
raises, what it prints (text and raw bytes), and what ``relu`` returns (object arrays, ndarray
subclasses, huge ints, NaN payloads, nested containers). ``AUTOGRADER_FUZZ_EXAMPLES`` sets the
number of examples (default ``DEFAULT_EXAMPLES``); the examples are derandomized, so CI sees the
same ones every run.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.assignment import Assignment
from autograder.grading.batch import grade_batch
from autograder.report import write_report
from autograder.submission import student_id_of
from tests.grading.builders import GOOD, WRONG_RELU, tiny_assignment

pytestmark = pytest.mark.slow

DEFAULT_EXAMPLES = 12
EXAMPLES = int(os.environ.get("AUTOGRADER_FUZZ_EXAMPLES", DEFAULT_EXAMPLES))
HONEST = {"honest_right": GOOD, "honest_wrong": WRONG_RELU}
UNSAFE = [chr(c) for c in (*range(0x20), *range(0x7f, 0xa0), *range(0x202a, 0x202f), *range(0x2066, 0x206a),
                           0x200e, 0x200f, 0x061c)]


@dataclass(frozen=True)
class Generated:
    """One generated submission: its file name and its bytes."""

    name: bytes
    content: bytes


# ------------------------------------------------------------------ text and values

# Text a student controls: any code point (lone surrogates included), with escapes, bidi
# overrides and lines that try to look like the kit's own output.
texts = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=40),
    st.sampled_from(["\ud800", "a\udcffb", "\x1b[2J\x1b[HALL STUDENTS 100 of 100", "\u202egnp.py",
                     "\r\n[/] [bold]x", "=HYPERLINK(\"x\")", "x" * 100_000]),
)


def _nan_with_payload(payload: int) -> str:
    return f"np.array([{0x7FF0000000000000 | payload}], dtype=np.uint64).view(np.float64)"


# Python expressions for what relu returns (``x`` is its argument); each is the student's value.
returned_values = st.one_of(
    st.integers(min_value=-(10**400), max_value=10**400).map(repr),
    st.integers(min_value=1, max_value=2**52 - 1).map(_nan_with_payload),
    st.integers(min_value=1, max_value=2**52 - 1).map(lambda p: f"{_nan_with_payload(p)}[0]"),
    st.lists(st.one_of(st.integers(), st.floats(), st.text(max_size=5), st.none()), max_size=4)
    .map(lambda items: f"np.array({items!r} or [0], dtype=object)"),
    st.just("np.frompyfunc(lambda v: max(v, 0.0), 1, 1)(np.asarray(x, dtype=np.float64))"),
    st.just("np.maximum(np.asarray(x, dtype=np.float64), 0.0).view(type('Sub', (np.ndarray,), "
            "{'__eq__': lambda s, o: True, '__array_finalize__': lambda s, o: None}))"),
    st.just("np.zeros(np.shape(x), dtype=[('a', 'f8'), ('b', 'i4')])"),
    st.just("np.zeros(np.shape(x), dtype=np.complex128)"),
    st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)),
                 lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                 max_leaves=12).map(repr),
    st.integers(min_value=1, max_value=3000).map(lambda depth: "[" * depth + "]" * depth),
    texts.map(repr),
    st.binary(max_size=20).map(repr),
)


def _raising(kind: str, message: str) -> str:
    """Python that raises an exception whose message (or its ``str``) is hostile."""
    if kind == "plain":
        return f"raise ValueError({message!r})"
    if kind == "broken_str":
        return f"class Odd(Exception):\n    def __str__(self):\n        raise RuntimeError({message!r})\nraise Odd()"
    if kind == "str_not_text":
        return "class Odd(Exception):\n    def __str__(self):\n        return 5\nraise Odd()"
    return f"raise type({message!r}[:20] or 'E', (Exception,), {{}})({message!r})"


@st.composite
def scripts(draw: st.DrawFn) -> str:
    """A ``.py`` submission: the honest code, then hostile statements at import and in ``relu``."""
    parts = [GOOD, "import sys"]
    where = draw(st.sampled_from(["import", "relu"]))
    action = draw(st.sampled_from(["raise", "print", "print_bytes", "return"]))
    if action == "raise":
        body = _raising(draw(st.sampled_from(["plain", "broken_str", "str_not_text", "named"])), draw(texts))
    elif action == "print":
        body = f"print({draw(texts)!r})\nsys.stderr.write({draw(texts)!r})"
    elif action == "print_bytes":
        body = f"sys.stdout.flush()\nsys.stdout.buffer.write({draw(st.binary(max_size=200))!r})\nsys.stdout.flush()"
    else:
        body = f"RETURNED = {draw(returned_values)}" if where == "import" else f"return {draw(returned_values)}"
        parts.append(body if where == "import" else "")
    if where == "relu" or action != "return":
        indented = "\n".join("    " + line for line in body.splitlines())
        parts.append(f"def relu(x):\n{indented}\n" if where == "relu" else body)
    return "\n".join(parts) + "\n"


# ------------------------------------------------------------------ notebooks

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), texts),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=10)


def _deep(depth: int, core: str = "0") -> str:
    return "[" * depth + core + "]" * depth


@st.composite
def notebooks(draw: st.DrawFn) -> bytes:
    """A notebook's bytes: honest code with hostile text in a cell, odd JSON where the format puts
    cells, metadata or sources, nesting up to 200,000 levels, in one of several encodings."""
    code_cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": GOOD}
    hostile_cell: dict[str, Any] = {**code_cell, "source": f"note = {draw(texts)!r}\n# {draw(texts)}\n"}
    document: dict[str, Any] = {"cells": [code_cell, hostile_cell], "metadata": {}, "nbformat": 4,
                                "nbformat_minor": 5}
    twist = draw(st.sampled_from(["none", "cells", "cell", "metadata", "source", "nbformat", "top"]))
    odd = draw(json_values)
    if twist == "cells":
        document["cells"] = odd
    elif twist == "cell":
        document["cells"].append(odd)
    elif twist == "metadata":
        hostile_cell["metadata"] = odd if draw(st.booleans()) else {"nbgrader": odd, "tags": odd}
    elif twist == "source":
        hostile_cell["source"] = odd
    elif twist == "nbformat":
        document["nbformat"] = odd
    elif twist == "top":
        document = odd  # type: ignore[assignment]
    text = json.dumps(document, ensure_ascii=draw(st.booleans()))
    depth = draw(st.sampled_from([0, 0, 50, 990, 5_000, 200_000]))
    if depth:
        placed = draw(st.sampled_from(['"metadata": {}', '"outputs": []', '"cells": [']))
        nested = {'"metadata": {}': f'"metadata": {{"deep": {_deep(depth)}}}',
                  '"outputs": []': f'"outputs": {_deep(depth)}', '"cells": [': f'"cells": [{_deep(depth)}, '}[placed]
        text = text.replace(placed, nested, 1)
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    return text.encode(encoding, "surrogatepass" if encoding.startswith("utf") else "replace")


# ------------------------------------------------------------------ names

def _usable(name: bytes) -> bool:
    """A name a file can have, whose student is not one of the honest ones."""
    if b"/" in name or b"\0" in name or name in (b".", b"..") or len(name) > 240:
        return False
    return student_id_of(Path(os.fsdecode(name))) not in HONEST


stems = st.one_of(
    st.binary(min_size=1, max_size=60),
    st.text(min_size=1, max_size=30).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"grades.csv", b"GRADES", b"report.html", b"summary.json", b".hidden", b"evil\xff",
                     b"\x1b[2J\x1b[HALL STUDENTS 100 of 100", "\u202egnp".encode(), b"x~0123456789abcdef",
                     b"=HYPERLINK(\"x\")", b"-", b"\xff" * 200]),
)


@st.composite
def submissions(draw: st.DrawFn) -> Generated:
    stem = draw(stems)
    if draw(st.booleans()):
        name, content = stem + b".ipynb", draw(notebooks())
    else:
        name, content = stem + b".py", draw(scripts()).encode("utf-8", "surrogatepass")
    if not _usable(name):
        name = b"fallback" + name.replace(b"/", b"_").replace(b"\0", b"_")[-100:]
    return Generated(name, content)


# ------------------------------------------------------------------ the property

def _write(folder: Path, name: bytes, content: bytes) -> Path:
    raw = os.path.join(os.fsencode(folder), name)
    with open(raw, "wb") as handle:
        handle.write(content)
    return Path(os.fsdecode(raw))


def _comparable(out: Path, student: str) -> dict[str, Any]:
    """A student's ``results.json`` as written, but for the time it took."""
    document: dict[str, Any] = json.loads((out / student / "results.json").read_bytes().decode("utf-8"))
    document.pop("execution_time")
    return document


def _batch(assignment: Assignment, folder: Path, extra: Generated | None) -> tuple[Path, list[str]]:
    """Grade the honest students (and ``extra``) into ``folder/out`` and write the report, as
    ``autograder grade`` does; the ids graded."""
    subs, out = folder / "subs", folder / "out"
    subs.mkdir()
    paths = [_write(subs, f"{student}.py".encode(), text.encode()) for student, text in HONEST.items()]
    if extra is not None:
        paths.append(_write(subs, extra.name, extra.content))
    report = grade_batch(assignment, paths, out, jobs=1)
    write_report(out, assignment=assignment)
    return out, [r.student_id for r in report.results]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Assignment:
    return tiny_assignment(tmp_path_factory.mktemp("course"))


@pytest.fixture(scope="module")
def alone(tiny: Assignment, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """The honest students' results in a batch of their own."""
    out, _ = _batch(tiny, tmp_path_factory.mktemp("alone"), None)
    return {student: _comparable(out, student) for student in HONEST}


@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture, HealthCheck.large_base_example])
@given(generated=submissions())
def test_one_generated_submission_changes_nothing_but_its_own_grade(
        tiny: Assignment, alone: dict[str, dict[str, Any]], generated: Generated) -> None:
    with tempfile.TemporaryDirectory(prefix="fuzz-") as folder:
        out, graded = _batch(tiny, Path(folder), generated)
        (student,) = set(graded) - set(HONEST)
        assert student == student_id_of(Path(os.fsdecode(generated.name)))

        for name in ("grades.csv", "report.html", "summary.json"):
            assert (out / name).is_file(), name
        text = (out / "grades.csv").read_bytes().decode("utf-8")
        assert not [c for c in text if c in UNSAFE and c != "\n"]
        rows = list(csv.DictReader(io.StringIO(text)))
        assert len(rows) == len(HONEST) + 1 and len(text.splitlines()) == len(rows) + 1
        (out / "report.html").read_bytes().decode("utf-8")
        json.loads((out / "summary.json").read_bytes().decode("utf-8"))

        for honest, expected in alone.items():
            assert _comparable(out, honest) == expected, honest

        result = _comparable(out, student)
        assert result["extra_data"]["error_kind"] != "grader", result["extra_data"]["grader_detail"]
        cases = [case for test in result["tests"] for case in test["extra_data"]["cases"]]
        assert not [case for case in cases if case.get("failure_kind") == "grader"], cases
