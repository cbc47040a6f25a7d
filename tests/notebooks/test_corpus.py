"""Notebooks and scripts as students really write them grade like the same functions in a clean ``.py``.

The corpus (``builder.CORPUS``) wraps the ``activations`` solution in magics,
plots, scratch cells, typos, ``input()``, redefinitions, stored outputs, cells
out of order, JupyterLab metadata, trailing demos and renamed files. Every
item must score exactly like its clean ``.py``, skill by skill, and its
``results.json``, ``feedback.md`` and ``check`` must name each statement that
failed or was skipped, with its cell and line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from autograder.assignment import Assignment, get_assignment
from autograder.cli import main
from autograder.escaping import markdown_unescape
from autograder.grading.batch import BatchReport, grade_batch, written_result
from autograder.grading.results import GradeResult
from autograder.submission import load_submission

from .builder import CORPUS, Built, CorpusItem, Solution

Corpus = dict[str, tuple[Built, Path]]
"""Per item: what was built, and the clean ``.py`` of the same functions."""


@pytest.fixture(scope="module")
def assignment() -> Assignment:
    return get_assignment("activations")


@pytest.fixture(scope="module")
def corpus(assignment: Assignment, tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    solution = Solution.of(assignment)
    base = tmp_path_factory.mktemp("corpus")
    built: Corpus = {}
    cleans: dict[str, Path] = {}
    for item in CORPUS:
        folder = base / item.name
        folder.mkdir()
        clean_source = item.clean(solution)
        if clean_source not in cleans:
            cleans[clean_source] = base / "clean" / f"clean_{len(cleans)}.py"
            cleans[clean_source].parent.mkdir(exist_ok=True)
            cleans[clean_source].write_text(clean_source, encoding="utf-8")
        built[item.name] = (item.build(folder, solution), cleans[clean_source])
    return built


@pytest.mark.parametrize("item", CORPUS, ids=lambda item: item.name)
def test_every_item_is_read_with_the_assignment_file_chosen(item: CorpusItem, corpus: Corpus) -> None:
    built, _ = corpus[item.name]
    submission = load_submission(built.path, preferred="activations")
    assert "def softmax_jacobian" in submission.source
    assert "checkpoint" not in submission.source and "SEED" not in submission.source


@pytest.fixture(scope="module")
def graded(assignment: Assignment, corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> BatchReport:
    """Every item and every clean ``.py``, graded by the hidden suite in one batch."""
    paths = sorted({path for built, clean in corpus.values() for path in (built.path, clean)})
    return grade_batch(assignment, paths, tmp_path_factory.mktemp("graded"), jobs=2)


def _result(report: BatchReport, path: Path) -> GradeResult:
    """The student's whole result, case by case, as written (the batch keeps only scores)."""
    student = path.name if path.is_dir() else path.stem
    assert any(r.student_id == student for r in report.results)
    result = written_result(report.out_dir, student, get_assignment("activations"))
    assert result is not None
    return result


@pytest.mark.slow
@pytest.mark.parametrize("item", CORPUS, ids=lambda item: item.name)
def test_each_item_scores_like_its_clean_script_skill_by_skill(item: CorpusItem, corpus: Corpus,
                                                               graded: BatchReport) -> None:
    built, clean_path = corpus[item.name]
    result, clean = _result(graded, built.path), _result(graded, clean_path)
    assert clean.error == "" and result.error == "", result.error
    assert result.group_scores() == clean.group_scores()
    assert result.score == pytest.approx(clean.score, abs=1e-9)
    assert sorted((t.name, t.passed) for t in result.tests) == sorted((t.name, t.passed) for t in clean.tests)


@pytest.mark.slow
def test_the_clean_scripts_are_what_the_items_claim(corpus: Corpus, graded: BatchReport) -> None:
    scores = sorted({_result(graded, clean).score for _, clean in corpus.values()})
    assert scores[-1] == pytest.approx(100.0)  # the solution itself
    assert len(scores) == 2 and scores[0] < 100.0  # and the one with a wrong relu_derivative


@pytest.mark.slow
@pytest.mark.parametrize("item", CORPUS, ids=lambda item: item.name)
def test_results_and_feedback_name_each_failed_or_skipped_statement(item: CorpusItem, corpus: Corpus,
                                                                   graded: BatchReport) -> None:
    built, _ = corpus[item.name]
    result = _result(graded, built.path)
    assert len(result.warnings) == built.warnings, result.warnings
    for mention in built.mentions:
        assert any(mention in warning for warning in result.warnings), (mention, result.warnings)
    folder = graded.out_dir / result.student_id
    written = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert written["extra_data"]["warnings"] == list(result.warnings)
    feedback = markdown_unescape((folder / "feedback.md").read_text(encoding="utf-8"))
    for warning in result.warnings:
        assert warning in feedback


@pytest.mark.slow
def test_check_names_the_failed_statement_with_its_cell_and_line(corpus: Corpus) -> None:
    built, _ = corpus["scratch_calls_a_stub"]
    output = CliRunner().invoke(main, ["check", "--assignment", "activations", str(built.path)]).output
    (mention,) = built.mentions
    assert f"note: {mention}" in output
    assert "all public tests pass" in output


@pytest.mark.slow
def test_check_finds_the_assignment_of_a_renamed_file_and_of_a_folder(corpus: Corpus) -> None:
    folder, _ = corpus["browser_duplicate_in_a_folder"]
    for path in (folder.path / "activations (1).py", folder.path):
        result = CliRunner().invoke(main, ["check", str(path)])
        assert result.exit_code == 0, result.output
        assert "all public tests pass" in result.output
