"""A run that passed every case, kept on disk: a later command's first submissions are compared with it.

A grading process learns a passing run (``warm.PassingRun``: every call with its answer, and the
outcomes) from its first submission that passes every case; later submissions answering every call
alike take its outcomes without the suite running (``SandboxSession.answers_as_recorded``). Every
command learnt it again, so one late student graded alone always paid for the whole suite: pytest's
import, the suite's collection and its run, about 0.3 s before the first result. So the run is
kept in the kit's cache folder (``files.cache_folder``; nothing with ``AUTOGRADER_CACHE=off``), and
a process that finds one compares its first submission with it, importing pytest only when a
submission's answers differ.

Unlike a plan (``plan_cache``), a stale run would give wrong grades, so its key is the content of
everything its outcomes are a function of (``kept_key.grading_digest``): the kit's and the
reference's code, the assignment (its files and its settings), the suite's files and the versions of
Python, NumPy, SymPy and pytest. Any change to one of them names another file.

The file is JSON (never pickle: a cache file must not be able to run code); answers and frames as
base64, the values the diagnosis's history holds as the expectation cache encodes them. A run whose
history holds anything else is not kept. A file that does not read as a run is no run. The cache
folder is the kit's own, as trusted as the expected values it also keeps (SECURITY.md).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autograder.assignment import Assignment
from autograder.files import cache_folder, write_atomically
from autograder.grading.kept_key import grading_digest
from autograder.grading.outcomes import SuiteRun, case_from_json, case_json

if TYPE_CHECKING:
    from autograder.grading.diagnose import LoggedCall
    from autograder.grading.warm import PassingRun

FOLDER = "passing"
FORMAT = "dl-gradekit passing run 1"


def _where(assignment: Assignment, suite: Path) -> Path | None:
    folder = cache_folder()
    digest = None if folder is None else grading_digest(assignment, suite)
    return None if folder is None or digest is None else folder / FOLDER / f"{digest}.json"


def load_passing(assignment: Assignment, suite: Path) -> PassingRun | None:
    """The passing run kept for ``assignment`` and ``suite`` as they are now, or None (none kept, or
    a file that does not read as one)."""
    path = _where(assignment, suite)
    if path is None:
        return None
    try:
        data = json.loads(path.read_bytes())
        return _decoded(data)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def save_passing(assignment: Assignment, suite: Path, run: PassingRun) -> None:
    """Keep ``run`` for ``assignment`` and ``suite``, unless one is kept already; a run that cannot
    be written as JSON, or a cache that cannot be written, only keeps nothing."""
    path = _where(assignment, suite)
    if path is None or path.exists():
        return
    try:
        data = json.dumps(_encoded(run), allow_nan=False).encode("utf-8")
    except (TypeError, ValueError):  # a value the expectation cache does not encode
        return
    read = _decoded(json.loads(data))
    if read is None or (read.transcript, read.run, read.priced) != (run.transcript, run.run, run.priced):
        return  # a run that does not read back as itself is kept in this process only
    try:
        write_atomically(path, data, private=True)
    except OSError:
        pass


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _bytes(text: str) -> bytes:
    return base64.b64decode(text, validate=True)


def _encoded(run: PassingRun) -> dict[str, Any]:
    transcript = run.transcript
    return {
        "format": FORMAT,
        "frames": [_b64(frame) for frame in transcript.plan.frames],
        "functions": sorted(transcript.plan.functions),
        "answers": [_b64(answer) for answer in transcript.answers],
        "defined": sorted(transcript.defined),
        "cases": [[case, start] for case, start in transcript.cases],
        "consulted": None if transcript.consulted is None else sorted(transcript.consulted),
        "run": _run_data(run.run),
        "priced": None if run.priced is None else _run_data(run.priced),
        "history": [[case, [_call_data(call) for call in calls]] for case, calls in run.history.items()],
    }


def _decoded(data: Mapping[str, Any]) -> PassingRun | None:
    from autograder.grading.warm import PassingRun
    from autograder.sandbox.session import CallPlan, Transcript

    if data.get("format") != FORMAT:
        return None
    consulted = data["consulted"]
    transcript = Transcript(
        plan=CallPlan(tuple(_bytes(frame) for frame in data["frames"]), frozenset(_strings(data["functions"]))),
        answers=tuple(_bytes(answer) for answer in data["answers"]),
        defined=frozenset(_strings(data["defined"])),
        cases=tuple((str(case), int(start)) for case, start in data["cases"]),
        consulted=None if consulted is None else frozenset(_strings(consulted)))
    if len(transcript.answers) != len(transcript.plan.frames) or not transcript.answers:
        return None
    history = {str(case): tuple(_call(call) for call in calls) for case, calls in data["history"]}
    priced = data["priced"]
    return PassingRun(transcript, _run(data["run"]), history, None if priced is None else _run(priced))


def _strings(items: Any) -> list[str]:
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise ValueError("not a list of names")
    return items


def _run_data(run: SuiteRun) -> dict[str, Any]:
    return {"outcomes": [case_json(outcome) for outcome in run.outcomes], "errors": list(run.errors)}


def _run(data: Mapping[str, Any]) -> SuiteRun:
    return SuiteRun(tuple(case_from_json(outcome) for outcome in data["outcomes"]), tuple(_strings(data["errors"])))


def _call_data(call: LoggedCall) -> dict[str, Any]:
    from autograder.suite.expectation_cache import encode

    try:
        return {"function": call.function, "args": encode(tuple(call.args)), "kwargs": encode(dict(call.kwargs)),
                "readonly": call.readonly, "errstate": call.errstate, "result": encode(call.result),
                "raised": call.raised}
    except Exception as err:  # the expectation cache's refusal: this run is not kept
        raise TypeError(str(err)) from err


def _call(data: Mapping[str, Any]) -> LoggedCall:
    from autograder.grading.diagnose import LoggedCall
    from autograder.suite.expectation_cache import decode

    args, kwargs = decode(data["args"]), decode(data["kwargs"])
    if not isinstance(args, tuple) or not isinstance(kwargs, dict):
        raise ValueError("a logged call's arguments")
    return LoggedCall(function=str(data["function"]), args=args, kwargs=kwargs, readonly=bool(data["readonly"]),
                      errstate=bool(data["errstate"]), result=decode(data["result"]), raised=str(data["raised"]))
