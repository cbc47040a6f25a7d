"""similarity.html, similarity.json, the archive and the batch report: hostile code stays inert
text, both sides of a match share a colour, shared rare misconceptions are named, the archive is
read and never copied, and the report lists the pairs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from autograder.assignment import get_assignment
from autograder.cli import main
from autograder.integrity import check_similarity
from autograder.report import write_report
from tests.integrity.helpers import CORPUS
from tests.report.helpers import HOSTILE_ID, write_made_up_batch

ACTIVATIONS = get_assignment("activations")
INJECTED = '    note = "</td></pre><script>alert(1)</script>\u202e"\n'


def _hostile_copy(folder: Path) -> Path:
    """copy_renamed.py with markup and a bidi override in a string of its sigmoid."""
    text = (CORPUS / "copy_renamed.py").read_text(encoding="utf-8")
    path = folder / "hostile.py"
    path.write_text(text.replace("def sigmoid(x):\n", "def sigmoid(x):\n" + INJECTED, 1), encoding="utf-8")
    return path


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def test_the_page_escapes_student_code_and_colours_both_sides_alike(tmp_path: Path) -> None:
    subs = {"bob": CORPUS / "honest_masks.py", HOSTILE_ID: _hostile_copy(tmp_path)}
    written = check_similarity(ACTIVATIONS, subs, tmp_path / "out")
    page = written.html.read_text(encoding="utf-8")
    assert "<script>" not in page and "<img src=x" not in page and "\u202e" not in page
    assert "&lt;/td&gt;&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    sides = page.split('<div class="side">')[1:]
    assert len(sides) == 2
    colours = [set(re.findall(r'<mark class="(m\d)">', side)) for side in sides]
    assert colours[0] and colours[0] == colours[1]
    [row] = written.content["pairs"]
    assert {row["a"], row["b"]} == {"bob", HOSTILE_ID}
    assert all(first <= last for first, last in row["lines_a"] + row["lines_b"])


def test_shared_rare_misconceptions_and_the_report_section(tmp_path: Path) -> None:
    out = tmp_path / "graded"
    write_made_up_batch(out)  # bob and HOSTILE_ID are both diagnosed sigmoid-derivative-is-sigmoid
    subs = {"bob": CORPUS / "honest_masks.py", HOSTILE_ID: _hostile_copy(tmp_path),
            "alice": CORPUS / "honest_loops.py"}
    written = check_similarity(ACTIVATIONS, subs, out)
    [row] = written.content["pairs"]
    assert row["shared_misconceptions"] == [{"id": "sigmoid-derivative-is-sigmoid", "students": 2, "graded": 5,
                                             "rare": True}]
    report = write_report(out, assignment=ACTIVATIONS)
    summary = json.loads(report.json.read_text(encoding="utf-8"))
    assert summary["similarity"]["pairs"] == written.content["pairs"]
    html = report.html.read_text(encoding="utf-8")
    section = html[html.index('id="similar-pairs"'):]
    assert 'href="similarity.html#pair-1"' in section and "sigmoid-derivative-is-sigmoid" in section
    assert "<img src=x" not in html and "\u202e" not in html


def test_the_archive_is_compared_and_nothing_is_copied(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    (archive / "2023").mkdir(parents=True)
    (archive / "2023" / "anna.py").write_text((CORPUS / "honest_loops.py").read_text(encoding="utf-8"),
                                              encoding="utf-8")
    (archive / "public" / "blog_solution").mkdir(parents=True)
    (archive / "public" / "blog_solution" / "activations.py").write_text(
        (CORPUS / "honest_clip.py").read_text(encoding="utf-8"), encoding="utf-8")
    before = _files(tmp_path)
    subs = {"carl": CORPUS / "copy_notebook.ipynb", "dina": CORPUS / "copy_split.py",
            "emil": CORPUS / "honest_masks.py"}
    content = check_similarity(ACTIVATIONS, subs, tmp_path / "out", archive=archive).content
    assert {(p["a"], p["b"]) for p in content["pairs"]} == {("carl", "archive/2023/anna.py"),
                                                            ("dina", "archive/public/blog_solution")}
    assert all(p["b_archived"] and not p["a_archived"] for p in content["pairs"])
    assert (content["compared"], content["archived"]) == (3, 2)
    assert _files(tmp_path) - before == {"out/similarity.html", "out/similarity.json"}


def test_the_command_lists_pairs_and_says_what_it_could_not_read(tmp_path: Path) -> None:
    empty = tmp_path / "empty.py"
    empty.write_text("", encoding="utf-8")
    args = ["similarity", "--assignment", "activations", "--out", str(tmp_path / "out"),
            str(CORPUS / "honest_masks.py"), str(CORPUS / "copy_renamed.py"), str(empty)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "1 pair at or above 80%" in result.output
    assert "copy_renamed" in result.output and "not compared: empty: empty.py is empty" in result.output
    assert (tmp_path / "out" / "similarity.html").is_file()


@pytest.mark.parametrize("extra", [["--threshold", "2"], ["--against", "/no/such/folder"]])
def test_bad_options_are_one_error_line(tmp_path: Path, extra: list[str]) -> None:
    result = CliRunner().invoke(main, ["similarity", "--assignment", "activations", "--out", str(tmp_path),
                                       *extra, str(CORPUS / "honest_masks.py")])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output


def test_hostile_sources_are_compared_or_named_as_unread(tmp_path: Path) -> None:
    sources = {"nul.py": "x = 1\0\n", "nested.py": "(" * 500 + ")" * 500 + "\n",
               "unclosed.py": 'def f(x:\n    return "', "bad.ipynb": '{"nbformat": 4, "cells": 5}',
               "deep.ipynb": "[" * 100000}
    subs = {}
    for name, text in sources.items():
        subs[name.split(".")[0]] = tmp_path / name
        subs[name.split(".")[0]].write_text(text, encoding="utf-8")
    content = check_similarity(ACTIVATIONS, subs, tmp_path / "out").content
    assert {u["name"] for u in content["unread"]} == {"bad", "deep"}
    assert content["compared"] == 3 and content["pairs"] == []


def test_a_groups_one_submission_is_compared_once_not_a_pair_of_its_members(tmp_path: Path) -> None:
    """A Gradescope export gives each member of a group the same folder: the members are not copies
    of each other, while a real copy of theirs is still listed (under the first member)."""
    honest, copy = CORPUS / "honest_masks.py", _hostile_copy(tmp_path)
    subs = {"ann": honest, "ben": honest, "cat": copy}
    content = check_similarity(ACTIVATIONS, subs, tmp_path / "out").content
    assert content["compared"] == 2
    assert [{row["a"], row["b"]} for row in content["pairs"]] == [{"ann", "cat"}]
