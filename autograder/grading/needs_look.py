"""Which graded submissions an instructor should look at, and why: evidence, counted.

A grade alone hides what a teaching assistant of 500 students wants to see first:

* an **untouched stub**: every graded function is the released stub's (``release.stub_source``),
  compared as syntax trees, so whitespace, comments and the cells around them do not count;
* what the **sandbox refused**: file access outside the submission, the network, new processes
  and other denied system calls, counted per kind from what the worker reported: the statements
  that failed while loading (``results.json``'s ``extra_data.warnings``) and the student's calls
  that raised, whose exception is the refusal (``PermissionError``/``Operation not permitted``
  from the seccomp filter, a missing ``/etc/passwd`` in bubblewrap's empty filesystem, an
  unreachable network). A submission that catches the refusal itself leaves no such trace;
* calls that **timed out** or **crashed the worker** (``report.troubles``);
* what the submission **attempted**, counted by the worker's audit hook (``sandbox/seen.py``):
  file reads and listings outside its folders, the network, processes, ctypes, caught or not;
* scores the instructor flags in the manifest (``needs_look_scores``), with the instructor's reason.

``grade_submission`` records those reasons in the result (``GradeResult.needs_look``, kept in
``results.json``); ``reasons`` adds what any later reader can tell from the result alone: a
submission that could not be loaded, one the kit failed to grade, full marks with notes on how
the code ran, and a score at or above the manifest's ``review_score_at_least``.
"""

from __future__ import annotations

import ast
import functools
import re
from collections import Counter
from collections.abc import Iterable

from autograder.assignment import Assignment
from autograder.grading.outcomes import CaseOutcome
from autograder.grading.results import GradeResult, format_points
from autograder.submission import Submission
from autograder.wording import plural

REFUSED = re.compile(r"PermissionError|Operation not permitted|ConnectionError|ConnectionRefusedError|gaierror"
                     r"|Network is unreachable|Temporary failure in name resolution|BlockingIOError"
                     r"|FileNotFoundError: \[Errno 2\] No such file or directory: '/(?!tmp/)")
"""A failure whose exception is something the sandbox refused (not an ordinary bug of the code)."""
KINDS = (("network", re.compile(r"socket|connect|urlopen|urllib|requests\.|http|getaddrinfo|gethostby|"
                                r"Network|name resolution|Connection", re.IGNORECASE)),
         ("processes", re.compile(r"subprocess|Popen|os\.system|fork|os\.exec|spawn|pty\.", re.IGNORECASE)),
         ("files", re.compile(r"open\(|listdir|scandir|walk\(|glob|read_text|read_bytes|Path\(|"
                              r"No such file|'/[a-z]", re.IGNORECASE)))
"""What was refused, told from the failing code and its message; anything else is ``system calls``."""
KIND_WORDS = {"files": ("file access outside the submission", "file accesses outside the submission"),
              "network": ("network attempt", "network attempts"),
              "processes": ("new process", "new processes"),
              "system calls": ("denied system call", "denied system calls")}
SEEN_WORDS = {"files": "read files outside the submission", "listing": "list folders outside the submission",
              "network": "use the network", "processes": "start processes", "ctypes": "call C code through ctypes"}
"""What each kind counted by the worker's audit hook (``autograder/sandbox/seen.py``) means."""
UNTOUCHED_STUB = "untouched stub: every function is the released stub's"


def refused_kind(text: str) -> str | None:
    """The kind of refusal ``text`` (a failure's code and message) shows, or None for an ordinary failure."""
    if REFUSED.search(text) is None:
        return None
    return next((kind for kind, pattern in KINDS if pattern.search(text)), "system calls")


def refusals(warnings: Iterable[str], tests: Iterable[CaseOutcome]) -> Counter[str]:
    """How many failures of each kind were refusals of the sandbox: load-time statements, then calls."""
    texts = [*warnings, *(t.message for t in tests if not t.passed and t.kind == "student")]
    return Counter(kind for text in texts if (kind := refused_kind(text)) is not None)


def describe_refusals(counts: Counter[str]) -> str:
    """``sandbox refused: 2 file accesses outside the submission, 1 network attempt``."""
    parts = [f"{n} {KIND_WORDS[k][0] if n == 1 else KIND_WORDS[k][1]}" for k, n in counts.items()]
    return "sandbox refused: " + ", ".join(parts)


def describe_seen(counts: dict[str, int], examples: tuple[str, ...]) -> str | None:
    """``tried to read files outside the submission (1), use the network (2): 3 attempts, e.g. /etc/passwd``,
    or None when the audit hook saw nothing (the worker's own word: evidence, not proof)."""
    kinds = [kind for kind in SEEN_WORDS if counts.get(kind, 0) > 0]
    if not kinds:
        return None
    what = ", ".join(f"{SEEN_WORDS[kind]} ({counts[kind]})" for kind in kinds)
    total = sum(counts[kind] for kind in kinds)
    where = f", e.g. {', '.join(examples)}" if examples else ""
    return f"tried to {what}: {plural(total, 'attempt')} seen by the sandbox{where}"


def _definition_nodes(sources: Iterable[str], names: Iterable[str]) -> dict[str, ast.AST]:
    """The last top-level definition of each of ``names`` in ``sources`` (cells)."""
    wanted = set(names)
    found: dict[str, ast.AST] = {}
    for source in sources:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in wanted:
                found[node.name] = node
    return found


def _dump(node: ast.AST) -> str:
    """A definition as a syntax tree dump: equal for the same code however it is laid out."""
    return ast.dump(node, annotate_fields=False)


def _definitions(sources: Iterable[str], names: Iterable[str]) -> dict[str, str]:
    """The last top-level definition of each of ``names`` in ``sources`` (cells), as a syntax tree dump."""
    return {name: _dump(node) for name, node in _definition_nodes(sources, names).items()}


@functools.lru_cache(maxsize=8)
def stub_definitions(assignment: Assignment) -> dict[str, str]:
    """The released stub's graded functions ({} when the assignment has no instructor source)."""
    from autograder.solution_cache import stub_source

    try:
        return _definitions([stub_source(assignment)], assignment.functions)
    except Exception:  # a course without source.py (a student's release): no stub to compare with
        return {}


def is_untouched_stub(assignment: Assignment, submission: Submission) -> bool:
    """Whether every graded function of ``submission`` is the released stub's, as written."""
    stub = stub_definitions(assignment)
    cells = [cell.source for cell in submission.cells] or [submission.source]
    own = _definition_nodes(cells, stub)
    # dumped one by one, up to the first that differs (an attempted function, nearly always the first)
    return bool(stub) and all(name in own and _dump(own[name]) == tree for name, tree in stub.items())


def graded_reasons(assignment: Assignment, submission: Submission, result: GradeResult) -> tuple[str, ...]:
    """The reasons to look that only the grading sees: the stub, the refusals, timeouts and crashes."""
    from autograder.report import troubles

    found = [UNTOUCHED_STUB] if is_untouched_stub(assignment, submission) else []
    found.extend(result.needs_look)  # recorded while its session was open: what the sandbox saw
    if not result.error:
        found.extend(f"scored {format_points(result.score)}: {flag.reason}"
                     for flag in assignment.needs_look_scores if flag.matches(result.score))
    counts = refusals(result.warnings, result.tests)
    if counts:
        found.append(describe_refusals(counts))
    for label, trouble in (("timed out", troubles.timed_out(result.tests)),
                           ("crashed the sandboxed worker", troubles.crashed(result.tests))):
        if trouble is not None:
            where = f" in {', '.join(trouble.functions)}" if trouble.functions else ""
            found.append(f"{label}{where} ({plural(trouble.checks, 'check')})")
    return tuple(found)


def reasons(result: GradeResult, review_score_at_least: float | None = None) -> tuple[str, ...]:
    """Every reason to look at ``result``: those recorded when it was graded, then its status, full
    marks with notes on how it ran, and the manifest's review threshold (a share of the maximum)."""
    found = list(result.needs_look)
    if result.error_kind == "grader" or result.grader_failures:
        found.append("the kit failed to grade it")
    elif result.error:
        found.append(f"could not be loaded: {result.error.splitlines()[0][:200]}")
    full = result.max_score > 0 and result.score >= result.max_score - 1e-9
    if full and result.warnings:
        found.append(f"full marks with {plural(len(result.warnings), 'note')} on how it ran")
    if (review_score_at_least is not None and not result.error and result.max_score > 0
            and result.score >= review_score_at_least * result.max_score - 1e-9):
        found.append(f"scored {format_points(result.score)}, at or above the manifest's review_score_at_least")
    return tuple(found)
