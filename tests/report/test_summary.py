"""summary.json's numbers, from a made-up batch whose answers are known."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder.grading.gradebook import render_gradebook
from autograder.report.summary import (
    AssignmentInfo,
    ReportError,
    compare_gradebook,
    read_batch,
    summarize,
)
from tests.report.helpers import HOSTILE_ID, made_up_batch, write_made_up_batch

INFO = AssignmentInfo("activations", "Activations", 4.0, {"sigmoid": ("sigmoid(x)", 3.0), "relu": ("relu(x)", 1.0)},
                      {"sigmoid-derivative-is-sigmoid": ("sigmoid_derivative", "you returned sigma")}, 30.0)


@pytest.fixture(scope="module")
def summary() -> dict:  # type: ignore[type-arg]
    results = made_up_batch()
    return summarize(results, INFO, gradebook=render_gradebook(results))


def test_statuses_and_the_grades_that_count(summary: dict) -> None:  # type: ignore[type-arg]
    assert summary["submissions"] == 7
    assert summary["status"] == {"graded": 5, "error": 1, "grader-error": 1}
    assert summary["tests_ran"] == 5
    scores = summary["scores"]
    # the kit's failure (frank) is not a grade; erin's unloadable file is a 0 that counts
    assert scores["count"] == 6 and scores["max_score"] == 4.0
    assert scores["mean"] == pytest.approx((4 + 2 + 1 + 2 + 3 + 0) / 6)
    assert scores["median"] == 2.0 and scores["min"] == 0.0 and scores["max"] == 4.0
    assert scores["full_marks"] == 1 and scores["zero"] == 1
    histogram = scores["histogram"]
    assert sum(histogram["counts"]) == 6 and len(histogram["edges"]) == len(histogram["counts"]) + 1
    assert histogram["edges"][0] == 0.0 and histogram["edges"][-1] == 4.0
    assert histogram["counts"][-1] == 1  # the full mark falls in the last, closed bin


def test_skills_are_sorted_worst_first_with_pass_rates(summary: dict) -> None:  # type: ignore[type-arg]
    rows = {row["name"]: row for row in summary["skills"]}
    assert [row["name"] for row in summary["skills"]] == ["sigmoid", "relu"]
    assert rows["sigmoid"]["full_marks"] == 2 and rows["sigmoid"]["submissions"] == 5
    assert rows["sigmoid"]["pass_rate"] == pytest.approx(0.4)
    assert rows["sigmoid"]["mean_points"] == pytest.approx((3 + 1 + 1 + 1 + 3) / 5)
    assert rows["relu"]["pass_rate"] == pytest.approx(0.6) and rows["relu"]["points"] == 1.0
    assert rows["sigmoid"]["title"] == "sigmoid(x)"
    assert rows["sigmoid"]["misconceptions"] == {"sigmoid-derivative-is-sigmoid": 2}


def test_misconceptions_and_failed_checks_are_counted_per_submission(summary: dict) -> None:  # type: ignore[type-arg]
    assert summary["misconceptions"] == [{
        "id": "sigmoid-derivative-is-sigmoid", "submissions": 2, "share": 0.4, "skills": ["sigmoid"],
        "function": "sigmoid_derivative", "explanation": "you returned sigma"}]
    checks = {row["name"]: row["submissions"] for row in summary["failed_checks"]}
    assert checks == {"sigmoid[values]": 3, "relu[values]": 2}
    assert summary["failed_checks"][0]["name"] == "sigmoid[values]"


def test_troubles_name_who_timed_out_crashed_did_not_load_or_failed_the_kit(summary: dict) -> None:  # type: ignore[type-arg]
    troubles = summary["troubles"]
    assert [(t["student"], t["functions"]) for t in troubles["timed_out"]] == [("carol", ["sigmoid"])]
    assert [(t["student"], t["functions"]) for t in troubles["worker_crashed"]] == [("dave", ["relu"])]
    assert [t["student"] for t in troubles["not_loaded"]] == ["erin"]
    assert troubles["not_loaded"][0]["error"].endswith("SyntaxError: <b>")
    assert [(t["student"], t["detail"]) for t in troubles["kit_failures"]] == [("frank", "kit: boom")]


def test_timing_lists_the_slowest_first_and_the_budget(summary: dict) -> None:  # type: ignore[type-arg]
    timing = summary["timing"]
    assert [row["student"] for row in timing["slowest"]][:3] == ["carol", "dave", "bob"]
    assert "frank" not in {row["student"] for row in timing["slowest"]}  # the kit's failure took no time
    assert timing["max"] == 9.5 and timing["budget_s"] == 30.0


def test_sandbox_counts(summary: dict) -> None:  # type: ignore[type-arg]
    assert summary["sandbox"] == {"bwrap": 5, "none": 2}


def test_summary_is_plain_json(summary: dict) -> None:  # type: ignore[type-arg]
    assert json.loads(json.dumps(summary, allow_nan=False)) == summary


def test_students_rows_and_gradebook_agree(summary: dict) -> None:  # type: ignore[type-arg]
    assert summary["gradebook"] == {"found": True, "agrees": True, "differences": []}
    rows = {row["student_id"]: row for row in summary["students"]}
    assert rows[HOSTILE_ID]["score"] == 1.0 and rows["frank"]["status"] == "grader-error"


def test_a_stale_gradebook_is_reported() -> None:
    results = made_up_batch()
    stale = render_gradebook(results[:-1]).replace("\nalice,4,", "\nalice,3,")
    found = compare_gradebook(results, stale)
    assert not found["agrees"]
    assert "alice: score is '3' in grades.csv, '4' in results.json" in found["differences"]
    assert "frank: not in grades.csv" in found["differences"]
    assert compare_gradebook(results, None)["differences"] == ["grades.csv is missing"]


def test_read_batch_finds_results_and_refuses_what_it_cannot_report(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="holds no <student>/results.json"):
        read_batch(tmp_path).pick(None)
    write_made_up_batch(tmp_path)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "results.json").write_text("{", encoding="utf-8")
    batch = read_batch(tmp_path)
    assert len(batch.results["activations"]) == 7
    assert batch.unreadable and batch.unreadable[0].startswith("broken: JSONDecodeError")
    with pytest.raises(ReportError, match="no results of 'backprop'"):
        batch.pick("backprop")
    assert batch.pick(None)[0] == "activations"


def test_the_report_reads_slim_results_and_sums_the_same() -> None:
    results = made_up_batch()
    slim = [result.for_report() for result in results]
    assert summarize(slim, INFO, gradebook=render_gradebook(results)) == \
        summarize(results, INFO, gradebook=render_gradebook(results))
    assert sum(len(r.tests) for r in slim) < sum(len(r.tests) for r in results)  # passing cases pooled
    assert all(case.curve is None for r in slim for case in r.tests)


def test_the_streamed_report_writes_the_summary_read_whole(tmp_path: Path) -> None:
    """write_report reads one results.json at a time and spools the students' rows: its summary.json
    is the summary of the whole batch read at once, to the byte."""
    from autograder.report import write_report

    results = write_made_up_batch(tmp_path)
    (tmp_path / "grades.csv").write_text(render_gradebook(results), encoding="utf-8")
    written = write_report(tmp_path, assignment_id="activations")
    batch = read_batch(tmp_path)
    whole = summarize(batch.pick(None)[1], written_info(), gradebook=render_gradebook(results))
    assert (tmp_path / "summary.json").read_text(encoding="utf-8") == json.dumps(whole, indent=2) + "\n"
    assert len(whole["students"]) == 7 and "students" not in written.summary
    assert whole["needs_look"] and "needs_look" not in written.summary  # spooled too
    assert {k: v for k, v in whole.items() if k not in ("students", "needs_look")} == written.summary
    html = written.html.read_text(encoding="utf-8")
    assert all(f'href="./{row["student_id"]}/feedback.html"' in html for row in whole["students"]
               if row["student_id"] != HOSTILE_ID)


def written_info() -> AssignmentInfo:
    from autograder.report.summary import assignment_info

    return assignment_info("activations")


def test_spooled_rows_read_back_alike_every_time() -> None:
    from autograder.report.tally import RowSpool

    spool = RowSpool()
    rows = [{"student_id": f"s{i}", "skills": {"sigmoid": i / 3}} for i in range(5)]
    for row in rows:
        spool.append(row)
    assert list(spool) == rows and list(spool) == rows and len(spool) == 5
    spool.append({"student_id": "late"})
    assert [r["student_id"] for r in spool][-1] == "late"
    spool.close()


def test_the_charts_show_every_skill_and_misconception_with_its_numbers(summary: dict) -> None:  # type: ignore[type-arg]
    from autograder.report import batch_report
    from tests.pages import SVG, assert_chart_drawn, chart_texts, decoded_svg

    drawn = batch_report.batch_figures(summary)
    assert list(drawn) == ["scores", "skills", "misconceptions"]
    assert drawn == batch_report.batch_figures(summary), "the same summary draws the same charts"
    charts = {name: decoded_svg(uri) for name, uri in drawn.items()}
    for root in charts.values():
        assert_chart_drawn(root)
    skills = [s for s in summary["skills"] if s["submissions"]]
    texts = chart_texts(charts["skills"])
    assert all(s["name"] in texts and f"{s['full_marks']}/{s['submissions']}" in texts for s in skills)
    assert len(list(charts["skills"].iter(f"{SVG}path"))) == len(skills) + 1  # a diamond each, and the legend's
    texts = chart_texts(charts["misconceptions"])
    assert [m["id"] for m in summary["misconceptions"]] == [t for t in texts if t in
                                                            {m["id"] for m in summary["misconceptions"]}]
    assert any(t.startswith(f"mean {round(summary['scores']['mean'], 2):g}") for t in chart_texts(charts["scores"]))


def test_a_chart_label_is_escaped(summary: dict) -> None:  # type: ignore[type-arg]
    from autograder.report import charts
    from tests.pages import chart_texts, decoded_svg

    hostile = {**summary, "misconceptions": [{"id": "<script>alert(1)</script>&", "submissions": 2}]}
    svg = charts.misconception_counts(hostile)
    assert "<script>" not in svg
    assert "<script>alert(1)</script>&" in chart_texts(decoded_svg(charts.data_uri(svg)))


def test_a_skill_s_mean_is_fmean_s_over_every_value_without_keeping_them() -> None:
    import random
    import statistics

    from autograder.report.tally import ExactMean

    rng = random.Random(7)
    for _ in range(200):
        values = [rng.choice([rng.random(), rng.uniform(-1e16, 1e16), 1e-300, 0.1, 2 / 3, float(rng.randint(0, 14))])
                  for _ in range(rng.randint(1, 300))]
        mean = ExactMean()
        for value in values:
            mean.add(value)
        assert mean.count == len(values)
        assert mean.mean == statistics.fmean(values)  # bit for bit: the same correctly rounded sum
        assert len(mean.partials) < 45


def test_the_report_reads_each_results_json_as_the_slim_result_of_the_whole(tmp_path: Path) -> None:
    """``report_result`` reads a ``results.json`` straight into what ``for_report`` keeps of the
    whole result: passing cases pooled per skill, failing ones kept without their plot."""
    from dataclasses import replace

    from autograder.grading.batch import write_student
    from autograder.grading.results import from_gradescope, report_result
    from tests.grading.builders import BUNDLED, result
    from tests.report.test_curve_plots import sigmoid_curve, wrong_sigmoid

    curve, message = sigmoid_curve()
    plotted = replace(result(wrong_sigmoid(curve, message)), student_id="plotted")
    write_made_up_batch(tmp_path)
    write_student(plotted, tmp_path, BUNDLED)
    documents = [json.loads(path.read_text(encoding="utf-8")) for path in sorted(tmp_path.glob("*/results.json"))]
    assert len(documents) == 8
    for document in documents:
        assert report_result(document) == from_gradescope(document).for_report()
    plotted_document = next(d for d in documents if d["extra_data"]["student_id"] == "plotted")
    assert any(case.curve is not None for case in from_gradescope(plotted_document).tests)
