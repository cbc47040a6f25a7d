"""Pictures of a graded batch and of the lecture.

* ``write_report(DIR)``: ``DIR/report.html`` (one self-contained page: score
  distribution, pass rate per skill, misconceptions, submissions that timed
  out, crashed or could not be loaded, the slowest, the sandbox) and
  ``DIR/summary.json`` (the same numbers), after ``grade --out DIR``;
* ``render_feedback_html``: a student's ``feedback.html``, beside ``feedback.md``;
* ``autograder.report.lecture``: the figures the reference derives (the
  vanishing gradient by depth, each activation beside its derivative), for
  ``autograder reference plot`` and the student releases.

The report's charts and the feedback pages' plots are SVG written directly
(``autograder.report.charts``, ``autograder.report.curve_plot``); matplotlib draws the lecture's
figures with the Agg backend (no display needed); Jinja2 renders the pages with autoescape on.
"""

import threading

from autograder.report.summary import ReportError

__all__ = ["ReportError", "WrittenReport", "load_feedback_pages", "preload", "render_feedback_html", "write_report"]


def load_feedback_pages() -> None:
    """Import what a student's pages need (Jinja2, the feedback template, the plots) now: a process
    about to fork the processes that write them does it once for all of them. Whatever fails here
    fails again, with its message, for each student's page."""
    try:
        from autograder.report import curve_plot
        from autograder.report.render import environment

        environment().get_template("feedback.html")
        del curve_plot
    except Exception:  # noqa: BLE001 - each student's page meets it again and says why
        pass


def preload() -> threading.Thread:
    """Import what the pages and the report need (Jinja2, its templates, the charts) in a thread
    while a batch is graded, so neither a student's page nor the report after the last result
    starts with them; join the thread before writing the report. Whatever fails here fails again,
    with its message, there."""
    def load() -> None:
        try:
            from autograder.report import batch_report
            from autograder.report.render import environment

            for template in ("report.html", "feedback.html"):
                environment().get_template(template)
            from autograder.report import curve_plot

            del batch_report, curve_plot
        except Exception:  # noqa: BLE001 - write_report meets it again and says why
            pass

    thread = threading.Thread(target=load, name="report-preload", daemon=True)
    thread.start()
    return thread


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    # Jinja2 (and matplotlib, for the lecture figures) load only when a page or a figure is made.
    if name in ("write_report", "WrittenReport"):
        from autograder.report import batch_report
        return getattr(batch_report, name)
    if name == "render_feedback_html":
        from autograder.report.feedback import render_feedback_html
        return render_feedback_html
    raise AttributeError(name)
