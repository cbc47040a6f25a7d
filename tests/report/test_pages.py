"""report.html and feedback.html: self-contained, every chart a parsable SVG, student text inert."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from autograder.escaping import markdown_unescape
from autograder.grading.batch import write_student
from autograder.report import write_report
from autograder.report.render import CSP
from tests.grading.builders import BUNDLED
from tests.pages import Page, assert_chart_drawn, decoded_svg
from tests.report.helpers import HOSTILE_ID, made_up_batch, write_made_up_batch


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("graded")
    write_made_up_batch(out)
    write_report(out)
    return out


def test_report_and_summary_are_written_and_agree(graded: Path) -> None:
    summary = json.loads((graded / "summary.json").read_text(encoding="utf-8"))
    assert summary["submissions"] == 7 and summary["assignment"]["id"] == "activations"
    assert summary["assignment"]["title"] == BUNDLED.title
    text = (graded / "report.html").read_text(encoding="utf-8")
    for number in (f"{summary['scores']['mean']:.4g}", "Timed out (1)", "Crashed the sandboxed worker (1)",
                   "Could not be loaded (1)", "The kit failed to grade them (1)",
                   "sigmoid-derivative-is-sigmoid"):
        assert number in text, number


def test_every_chart_is_an_embedded_svg_that_parses_and_is_drawn(graded: Path) -> None:
    page = Page((graded / "report.html").read_text(encoding="utf-8"))
    images = page.all("img")
    assert {img["data-figure"] for img in images} == {"scores", "skills", "misconceptions"}
    for img in images:
        assert img["alt"]
        assert_chart_drawn(decoded_svg(img["src"]))


def test_the_report_is_self_contained_and_runs_no_script(graded: Path) -> None:
    text = (graded / "report.html").read_text(encoding="utf-8")
    page = Page(text)
    assert {"http-equiv": "Content-Security-Policy", "content": CSP} in page.all("meta")
    assert "default-src 'none'" in CSP and "script-src" not in CSP  # so no script at all
    assert not page.all("script") and not page.all("link") and not page.all("iframe")
    assert "http://" not in text and "https://" not in text and "url(" not in text
    for attrs in (a for _, a in page.tags):
        assert not any(name.startswith("on") for name in attrs), attrs


def test_student_text_is_escaped_and_links_cannot_form_a_scheme(graded: Path) -> None:
    text = (graded / "report.html").read_text(encoding="utf-8")
    assert "<img src=x" not in text and "\u202e" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;&#34;x" in text or "&lt;img src=x onerror=alert(1)&gt;&quot;x" in text
    assert "SyntaxError: &lt;b&gt;" in text
    hrefs = [a["href"] for a in Page(text).all("a") if not a["href"].startswith("#")]
    assert "./%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E%E2%80%AE%22x/feedback.html" in hrefs
    assert all(h.startswith("./") or h in ("summary.json", "grades.csv") for h in hrefs)


def test_fallback_sandbox_and_kit_failures_are_called_out(tmp_path: Path) -> None:
    results = made_up_batch()
    results[0] = replace(results[0], sandbox="fallback")
    for graded in results:
        write_student(graded, tmp_path, BUNDLED)
    written = write_report(tmp_path)  # no grades.csv: said so, the report is still written
    text = written.html.read_text(encoding="utf-8")
    assert "ran in the fallback" in text and "could not be graded by the kit" in text
    assert "grades.csv does not match" in text and written.summary["gradebook"]["found"] is False


def test_feedback_html_groups_by_skill_and_shows_the_messages(graded: Path) -> None:
    text = (graded / "bob" / "feedback.html").read_text(encoding="utf-8")
    assert "Score 2 / 4" in text and "What to fix" in text
    assert '<section class="skill" id="skill-sigmoid">' in text
    assert "sigmoid: wrong" in text and "likely mistake: sigmoid-derivative-is-sigmoid" in text
    assert "Full marks" in text and "relu(x) = max(0, x)" in text  # the manifest's skill title
    page = Page(text)
    assert not page.all("script") and not page.all("img")
    assert {"http-equiv": "Content-Security-Policy", "content": CSP} in page.all("meta")
    erin = (graded / "erin" / "feedback.html").read_text(encoding="utf-8")
    assert "SyntaxError: &lt;b&gt;" in erin and "Nothing could be graded" in erin
    hostile = next(p for p in graded.iterdir() if p.name == HOSTILE_ID)
    assert "<img" not in (hostile / "feedback.html").read_text(encoding="utf-8")


def test_names_feedback_shows_names_and_pass_fail_only(tmp_path: Path) -> None:
    bob = next(r for r in made_up_batch() if r.student_id == "bob")
    write_student(bob, tmp_path, replace(BUNDLED, feedback="names"))
    html = (tmp_path / "bob" / "feedback.html").read_text(encoding="utf-8")
    markdown = (tmp_path / "bob" / "feedback.md").read_text(encoding="utf-8")
    document = json.loads((tmp_path / "bob" / "results.json").read_text(encoding="utf-8"))
    outputs = "\n".join(markdown_unescape(t["output"]) for t in document["tests"])
    for shown in (html, markdown_unescape(markdown), outputs):
        assert "sigmoid[values]" in shown
        assert "sigmoid: wrong" not in shown and "sigmoid-derivative-is-sigmoid" not in shown
    assert "by name only" in html
    # the instructor's copy keeps everything
    cases = [c for t in document["tests"] for c in t["extra_data"]["cases"]]
    assert any(c.get("output") == "sigmoid: wrong" for c in cases)


def test_the_report_command_writes_both_files_and_refuses_an_empty_folder(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from autograder.cli import main

    runner = CliRunner(env={"COLUMNS": "400"})
    empty = runner.invoke(main, ["report", str(tmp_path)])
    assert empty.exit_code == 2 and "holds no <student>/results.json" in empty.output
    write_made_up_batch(tmp_path)
    done = runner.invoke(main, ["report", str(tmp_path)])
    assert done.exit_code == 0, done.output
    assert f"report written to {tmp_path / 'report.html'}" in done.output
    assert f"summary written to {tmp_path / 'summary.json'}" in done.output
    assert "7 submissions, mean 2, median 2 of 4" in done.output
    wrong = runner.invoke(main, ["report", "--assignment", "backprop", str(tmp_path)])
    assert wrong.exit_code == 2 and "no results of 'backprop'" in wrong.output


def test_a_page_compiled_in_another_process_renders_the_same(tmp_path: Path) -> None:
    """Compiled templates are kept in the kit's cache between runs; a later process renders the
    same page from them, and an unreadable cache file is compiled again, never trusted."""
    program = ("import sys\n"
               "from autograder.report.render import render\n"
               "rows = [{'student': 'a<b>', 'score': 1.5, 'reasons': ['stub & more']}]\n"
               "sys.stdout.write(render('needs_look.html', s={'needs_look': rows}))\n")
    env = {**os.environ, "AUTOGRADER_CACHE": str(tmp_path / "cache")}

    def page() -> str:
        done = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True, text=True,
                              timeout=120, check=True)
        return done.stdout

    first = page()
    assert "a&lt;b&gt;" in first and "stub &amp; more" in first
    kept = list((tmp_path / "cache" / "templates").iterdir())
    assert kept and page() == first
    for file in kept:
        file.write_bytes(b"not a compiled template")
    assert page() == first
