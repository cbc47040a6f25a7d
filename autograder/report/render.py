"""HTML pages from Jinja2 templates (package data in ``autograder/report/templates``).

Autoescape is on for every template, and student-controlled text goes through
the ``student`` filter (``escaping.html_text``: control characters and bidi
overrides removed, then escaped) or the ``student_url`` filter (a relative link
to a student's folder, percent-encoded, so no ``javascript:`` scheme can form).
The pages carry a Content-Security-Policy that allows no script and no network
request: images are ``data:`` URIs, styles are inline.
"""

from __future__ import annotations

import functools
import urllib.parse
from collections.abc import Iterator
from typing import Any

import jinja2
from markupsafe import Markup

from autograder.escaping import html_text
from autograder.files import cache_folder

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def _student(text: Any) -> Markup:
    return Markup(html_text(str(text)))  # noqa: S704  (html_text has escaped it)


def _student_url(student_id: str, page: str = "feedback.html") -> str:
    return "./" + urllib.parse.quote(str(student_id), safe="") + "/" + page


def _points(value: float | None) -> str:
    return "" if value is None else f"{round(float(value), 2):g}"


def _percent(value: float | None) -> str:
    return "" if value is None else f"{100 * float(value):.0f}%"


def _seconds(value: float | None) -> str:
    return "" if value is None else f"{float(value):.1f} s"


def _compiled_templates() -> jinja2.BytecodeCache | None:
    """Where compiled templates are kept between runs (``templates/`` in the kit's cache): a
    template compiles in tens of milliseconds, each time a process first renders it. Jinja2
    reuses one only for the same template source, Jinja2 and Python; None without a cache."""
    folder = cache_folder()
    if folder is None:
        return None
    try:
        (folder / "templates").mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder / "templates"))


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("autograder.report", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, bytecode_cache=_compiled_templates())
    env.filters.update(student=_student, student_url=_student_url, points=_points, percent=_percent,
                       seconds=_seconds)
    env.globals["csp"] = CSP
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def render_chunks(template: str, **context: Any) -> Iterator[str]:
    """``render``'s text, piece by piece as the template produces it."""
    return environment().get_template(template).generate(**context)
