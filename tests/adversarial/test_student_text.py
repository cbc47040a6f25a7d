"""Text a submission controls is shown, never obeyed, wherever the kit writes it.

A submission controls its file name (the student id), its own lines (quoted when
a statement kills or hangs the load, and in the notes on statements that
failed), the messages of the exceptions it raises (notes, failing calls) and
so what the kit quotes.
The attacks: rich markup that crashes the instructor's table (``[/] x``),
terminal escapes that clear the screen and print a fake "ALL SUBMISSIONS:
100/100", HTML and Markdown in feedback and in Gradescope's output (a script,
an ``onerror`` image, a ``javascript:`` link, a fake bold score and heading),
and a spreadsheet formula as the student id. Each hostile submission scores
exactly like its honest twin, and its text arrives as inert characters.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from markdown_it import MarkdownIt

from autograder.cli import main
from tests.pages import SVG, Page, decoded_svg

from .corpus import write_submission

pytestmark = pytest.mark.slow

HOSTILE_TEXT = ("[/] x [bold red]PASS[/bold red] :thumbs_up: \x1b[2J\x1b[H\x1b[32mALL SUBMISSIONS: 100/100"
                "\x1b[0m\r\x9b31m <script>alert(1)</script> <img src=x onerror=alert(1)> "
                "[click me](javascript:alert(1)) <javascript:alert(2)> `code` ~~gone~~ | a | b |\n"
                "# Score 100 / 100\n**Score 100 / 100**\n===\n- [x] done\n1. first\n```\nfenced")
HONEST_TEXT = "no GPU found"
FORMULA_NAME = '=HYPERLINK("http:evil.example","click me")'


def _raising_at_import(text: str) -> str:
    return f"raise RuntimeError({text!r})\n"


def _dying_at_import(text: str) -> str:
    """A load that fails, quoting its last statement: the first line of ``text`` rides in a comment."""
    return f"import os\nos._exit(3)  # {text.splitlines()[0].replace(chr(13), ' ')}\n"


def _raising_in_sigmoid(base: str, text: str) -> str:
    return base + f"\n\ndef sigmoid(x):\n    raise ValueError({text!r})\n"


def _run(*args: str) -> Result:
    return CliRunner(env={"COLUMNS": "400"}).invoke(main, list(args), catch_exceptions=True)


def _html(markdown: str) -> str:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)


def _assert_inert_markdown(markdown: str) -> None:
    """Rendered as CommonMark (+ tables, strikethrough), ``markdown`` makes no live element
    out of the hostile text, and shows its characters."""
    assert "\x1b" not in markdown and "\x9b" not in markdown and "\r" not in markdown
    html = _html(markdown)
    for live in ("<script", "<img", "<a ", "<strong>Score 100", "<h1>Score", "<hr", "<table",
                 "<del>", "<li>[x]", "<ol", "<pre", "<code>code"):
        assert live not in html, (live, html)
    assert "ALL SUBMISSIONS: 100/100" in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "[click me](javascript:alert(1))" in html


def _assert_inert_svg(root: ET.Element) -> None:
    """An embedded picture (an SVG document shown by ``<img>``) holds shapes and text only: no
    script, no foreign object, no link, no event attribute, whatever text its labels carry."""
    shapes = {"svg", "title", "rect", "line", "polyline", "path", "circle", "text", "g", "clipPath"}
    for element in root.iter():
        assert element.tag.removeprefix(SVG) in shapes, element.tag
        assert not [name for name in element.attrib if name.startswith("on") or "href" in name], element.attrib


def _assert_inert_html(page: str, *, quoted_whole: bool = True) -> None:
    """No element, attribute or link comes out of the hostile text; its characters show, escaped
    (``quoted_whole=False``: a load error quotes the statement clipped, before the script tag)."""
    assert "\x1b" not in page and "\x9b" not in page and "\r" not in page
    tags = Page(page).tags
    assert not [t for t, _ in tags if t in ("script", "iframe", "object", "embed", "link")]
    for source in (a["src"] for t, a in tags if t == "img"):
        _assert_inert_svg(decoded_svg(source))
    assert not [a for _, a in tags if any(name.startswith("on") for name in a)]
    hrefs = [a["href"] for t, a in tags if t == "a"]
    assert all(h.startswith(("#", "./")) or h in ("summary.json", "grades.csv") for h in hrefs), hrefs
    assert "ALL SUBMISSIONS: 100/100" in page
    assert not quoted_whole or "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory, base_source: str) -> tuple[Path, Result]:
    """One batch: hostile and honest load errors, hostile and honest failing calls, and
    an honest submission saved under a formula as its name."""
    folder = tmp_path_factory.mktemp("student_text")
    subs = folder / "subs"
    subs.mkdir()
    paths = [write_submission(subs, "mallory", _dying_at_import(HOSTILE_TEXT)),
             write_submission(subs, "trent", _dying_at_import(HONEST_TEXT)),
             write_submission(subs, "mallory_note", _raising_at_import(HOSTILE_TEXT)
                              + _raising_in_sigmoid(base_source, HONEST_TEXT)),
             write_submission(subs, "trent_note", _raising_at_import(HONEST_TEXT)
                              + _raising_in_sigmoid(base_source, HONEST_TEXT)),
             write_submission(subs, "mallory_call", _raising_in_sigmoid(base_source, HOSTILE_TEXT)),
             write_submission(subs, "trent_call", _raising_in_sigmoid(base_source, HONEST_TEXT)),
             write_submission(subs, FORMULA_NAME, _dying_at_import(HONEST_TEXT))]
    out = folder / "out"
    return out, _run("grade", "--assignment", "activations", "--out", str(out), "--jobs", "2",
                     *map(str, paths))


def _results(out: Path, student: str) -> dict:  # type: ignore[type-arg]
    return json.loads((out / student / "results.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_the_terminal_table_shows_student_text_without_obeying_it(graded: tuple[Path, Result]) -> None:
    out, result = graded
    assert result.exit_code == 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "MarkupError" not in result.output
    for student in ("mallory", "trent", "mallory_call", "trent_call", "=HYPERLINK"):
        assert student in result.output
    assert "\x1b" not in result.output and "\x9b" not in result.output and "\r" not in result.output
    assert "while running line 2 (`os._exit(3) # [/]" in result.output  # the markup shown as text
    assert (out / "grades.csv").is_file()


def test_hostile_text_scores_like_its_honest_twin(graded: tuple[Path, Result]) -> None:
    out, _ = graded
    for hostile, twin in (("mallory", "trent"), ("mallory_note", "trent_note"), ("mallory_call", "trent_call")):
        mine, theirs = _results(out, hostile), _results(out, twin)
        assert mine["score"] == theirs["score"]
        assert [t["status"] for t in mine["tests"]] == [t["status"] for t in theirs["tests"]]
        assert mine["extra_data"]["error_kind"] == theirs["extra_data"]["error_kind"]


def test_feedback_markdown_is_inert(graded: tuple[Path, Result]) -> None:
    out, _ = graded
    for student in ("mallory_note", "mallory_call"):
        _assert_inert_markdown((out / student / "feedback.md").read_text(encoding="utf-8"))
    assert "ALL SUBMISSIONS: 100/100" in (out / "mallory" / "feedback.md").read_text(encoding="utf-8")
    honest = (out / "trent_call" / "feedback.md").read_text(encoding="utf-8")
    assert f"ValueError: {HONEST_TEXT}" in honest  # ordinary text is left as it was


def test_feedback_html_and_the_report_are_inert(graded: tuple[Path, Result]) -> None:
    out, _ = graded
    _assert_inert_html((out / "mallory" / "feedback.html").read_text(encoding="utf-8"), quoted_whole=False)
    _assert_inert_html((out / "mallory_call" / "feedback.html").read_text(encoding="utf-8"))
    _assert_inert_html((out / "report.html").read_text(encoding="utf-8"), quoted_whole=False)
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "./%3DHYPERLINK%28%22http%3Aevil.example%22%2C%22click%20me%22%29/feedback.html" in report


def test_gradescope_output_is_declared_markdown_and_inert(graded: tuple[Path, Result]) -> None:
    out, _ = graded
    load_error, noted = _results(out, "mallory"), _results(out, "mallory_note")
    assert load_error["output_format"] == "md" and load_error["test_output_format"] == "md"
    assert "\x1b" not in load_error["output"] and "ALL SUBMISSIONS: 100/100" in _html(load_error["output"])
    _assert_inert_markdown(noted["output"])
    failed = [t["output"] for t in _results(out, "mallory_call")["tests"] if t["status"] == "failed"]
    assert failed
    for output in failed:
        _assert_inert_markdown(output)
    assert _results(out, "trent")["output"].endswith(f"(\\`os.\\_exit(3)  # {HONEST_TEXT}\\`)")
    note = _results(out, "trent_note")["output"]
    assert f"raised RuntimeError: {HONEST_TEXT}; the rest of the file still ran" in note


def test_a_formula_as_student_id_is_text_in_the_gradebook(graded: tuple[Path, Result]) -> None:
    out, _ = graded
    text = (out / "grades.csv").read_text(encoding="utf-8")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert f"'{FORMULA_NAME}" in cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@", "\t", "\r")]
    assert "trent" in cells and "mallory" in cells  # ordinary ids are unchanged


def test_check_shows_a_hostile_load_error_as_text(tmp_path: Path) -> None:
    (tmp_path / "mallory").mkdir()
    path = write_submission(tmp_path / "mallory", "activations", _raising_at_import(HOSTILE_TEXT))
    result = _run("check", str(path))
    assert result.exit_code == 1, result.output
    assert "MarkupError" not in result.output and "\x1b" not in result.output
    assert "[/] x [bold red]PASS[/bold red] :thumbs_up: ALL SUBMISSIONS: 100/100" in result.output
