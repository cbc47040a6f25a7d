"""The kit's checks inside a Jupyter kernel: what a course notebook's test cells call.

Each test cell of a notebook made by ``autograder nbgrader init`` is::

    from autograder.platforms.kernel import check_skill
    check_skill("activations", "sigmoid", globals())

``check_skill`` runs the kit's own suite for that one skill against the
functions the notebook defined, and says what ``autograder check`` says:

* in a student's kernel (and under ``nbgrader validate``) it runs the **public**
  suite of the release folder (``assignment.toml`` and ``tests/`` beside the
  notebook, as ``nbgrader generate_assignment`` releases them), prints one line
  per skill and per failing case, exactly as ``check`` does, and raises
  ``ChecksFailed`` (an ``AssertionError``) while a case fails;
* under ``nbgrader autograde`` (``NBGRADER_EXECUTION=autograde``) it runs the
  **hidden** suite of the kit's course folder (``$AUTOGRADER_COURSE``, which the
  ``nbgrader_config.py`` written by ``init`` sets), priced by the kit's credit
  model: full marks print a ``✓`` line; a partial score prints the failing cases
  and is the cell's value, which nbgrader reads as partial credit; no points
  raise ``ChecksFailed``, which nbgrader reads as 0.

The hidden tests are never in the notebook, so nbgrader's feedback cannot show
them, and its checksums do not change between release and autograde.

**Trust.** This runs the student's functions in the kernel, in the same process
as the checks, with no sandbox: student code can change anything here (it can
replace ``check_skill`` itself). Under ``nbgrader autograde`` that is nbgrader's
own trust model. ``autograder nbgrader grade`` grades the same notebooks in the
kit's sandbox instead (see the README).
"""

from __future__ import annotations

import contextlib
import os
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, MutableMapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from autograder.assignment import (
    RELEASE_MANIFEST_NAME,
    Assignment,
    ManifestError,
    get_assignment,
    load_release,
)
from autograder.grading.outcomes import CaseOutcome
from autograder.grading.results import format_points
from autograder.sandbox import InputChanged, StudentRaised, wire
from autograder.sandbox.proxy import FunctionsByName
from autograder.sandbox.session import BadResult, MissingFunction, Substitutes
from autograder.sandbox.wire import CallOptions

EXECUTION_ENV = "NBGRADER_EXECUTION"
"""Set by nbgrader while it executes a notebook: ``autograde`` or ``validate``."""
AUTOGRADE = "autograde"
KIT_DIR = Path(__file__).resolve().parent.parent
MAX_TRACEBACK_LINES = 12


class ChecksFailed(AssertionError):
    """A skill's checks failed; the message holds the lines ``autograder check`` prints."""


class CheckSetupError(RuntimeError):
    """The checks could not run (no suite found, a broken suite): the kit's problem, not the student's."""


# -- the student, in this kernel ----------------------------------------------------------------------

def _plain(value: Any) -> Any:
    """``value`` as the sandbox would hand it over: plain data, through the kit's wire format."""
    return wire.unpack_frame(wire.pack_message(value))


def _student_frames(err: BaseException) -> str:
    """The traceback of ``err`` without the kit's own frames (what the sandbox shows too)."""
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if not Path(f.filename).resolve().is_relative_to(KIT_DIR)]
    if not frames:
        return ""
    lines = traceback.format_list(frames[-MAX_TRACEBACK_LINES:])
    return "Traceback (most recent call last):\n" + "".join(lines)


def _stand_in(answer: Callable[..., Any]) -> Callable[..., Any]:
    """A substituted function as the kernel's code sees it: plain-data copies in and out, as the
    sandbox's stand-in gives (``SandboxSession.call``); a refusal raises ``SubstituteRefused``."""
    def stand_in(*args: Any, **kwargs: Any) -> Any:
        sent_args, sent_kwargs = _plain([list(args), dict(kwargs)])
        try:
            return _plain(answer(*sent_args, **sent_kwargs))
        except Exception:
            raise wire.SubstituteRefused("no value for these arguments") from None
    return stand_in


@contextlib.contextmanager
def _substituted(namespace: Mapping[str, Any], substitutes: Substitutes) -> Iterator[None]:
    """The namespace's functions named in ``substitutes`` bound to their stand-ins, then back."""
    if not substitutes:
        yield
        return
    if not isinstance(namespace, MutableMapping):
        raise BadResult("this kernel's functions cannot be substituted")
    unbound = object()
    before = {name: namespace.get(name, unbound) for name in substitutes}
    try:
        namespace.update({name: _stand_in(answer) for name, answer in substitutes.items()})
        yield
    finally:
        for name, value in before.items():
            if value is unbound:
                namespace.pop(name, None)
            else:
                namespace[name] = value


class KernelStudent(FunctionsByName):
    """The ``student`` a suite talks to, over the functions of a namespace in this process.

    A ``Student`` like the sandbox's ``StudentProxy``, with the same data discipline: arguments are
    plain-data copies, results come back through the kit's wire format, a
    watched call (``readonly_inputs``) fails with ``InputChanged`` when it
    wrote into its inputs, and an exception becomes ``StudentRaised``. There is
    no isolation and no timeout: see the module's docstring.
    """

    def __init__(self, namespace: Mapping[str, Any], *, options: CallOptions | None = None,
                 on_call: Callable[[str], None] | None = None, substitute: Substitutes | None = None) -> None:
        self._namespace = namespace
        self._substitutes = dict(substitute or {})
        self._options = (options or CallOptions()).updated(substitute=tuple(self._substitutes))
        self._on_call = on_call

    def has(self, name: str) -> bool:
        return not name.startswith("_") and callable(self._namespace.get(name))

    @property
    def options(self) -> CallOptions:
        return self._options

    def with_options(self, *, timeout: float | None = None, errstate: bool | None = None,
                     readonly_inputs: bool | None = None, substitute: Substitutes | None = None) -> KernelStudent:
        """Other call options; ``timeout`` is accepted and ignored (nbgrader times the cell)."""
        return KernelStudent(self._namespace, on_call=self._on_call,
                             options=self._options.updated(errstate=errstate, readonly_inputs=readonly_inputs),
                             substitute=self._substitutes if substitute is None else substitute)

    def _call(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if name in self._substitutes:  # as in the sandbox: a call substitutes other functions only
            raise ValueError(f"cannot substitute {name!r} in a call of {name}()")
        function = self._namespace.get(name)
        if not callable(function):
            raise MissingFunction(name)
        if self._on_call is not None:
            self._on_call(name)
        with _substituted(self._namespace, self._substitutes):
            return self._run(name, function, args, kwargs)

    def _run(self, name: str, function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        sent_args, sent_kwargs = _plain([list(args), dict(kwargs)])
        errstate = np.errstate(over="raise", invalid="raise", divide="raise") if self._options.errstate \
            else contextlib.nullcontext()
        try:
            with errstate:
                value = function(*sent_args, **sent_kwargs)
        except (KeyboardInterrupt, GeneratorExit):
            raise
        except BaseException as err:  # SystemExit inside a call is the student's error too
            message = str(err)
            if isinstance(err, SystemExit):
                message = f"SystemExit({message}) was raised"
            raise StudentRaised(type(err).__name__, message, _student_frames(err)) from None
        if self._options.readonly_inputs:
            changed = wire.changed_inputs(list(args), kwargs, (sent_args, sent_kwargs))
            if changed:
                raise InputChanged(name, changed)
        try:
            return _plain(value)
        except Exception as err:
            raise BadResult(f"the result cannot be sent to the grader: {str(err)[:500]}") from None

    def __repr__(self) -> str:
        return "<student>"


# -- running one skill's checks -----------------------------------------------------------------------

def run_skill_cases(assignment: Assignment, suite: Path, namespace: Mapping[str, Any],
                    skills: set[str] | None, *, on_call: Callable[[str], None] | None = None,
                    plugins: Sequence[object] = ()) -> tuple[list[CaseOutcome], list[str]]:
    """The unpriced outcomes of ``skills``' cases (every case: None) of ``suite`` against
    ``namespace``, and the suite's errors. ``on_call`` hears the name of every function called."""
    from autograder.grading.budget import time_budget_s
    from autograder.grading.diagnose import CallLog, CaseDiagnosis, Diagnoser
    from autograder.grading.run import run_suite
    from autograder.grading.student import DeadlineProxy

    log = CallLog()
    budget = time_budget_s(assignment)

    @contextlib.contextmanager
    def factory() -> Iterator[DeadlineProxy]:
        # KernelStudent has StudentProxy's interface (duck-typed, as the suites use it).
        yield DeadlineProxy(KernelStudent(namespace, on_call=on_call),
                            deadline=time.monotonic() + budget,
                            budget_s=budget, call_timeout_s=assignment.limits.call_timeout_s, log=log)

    diagnosis = CaseDiagnosis(log, Diagnoser.for_assignment(assignment))
    run = run_suite(suite, factory, diagnosis=diagnosis, skills=skills, plugins=plugins)
    return list(run.outcomes), list(run.errors)


def skill_outcomes(assignment: Assignment, suite: Path, namespace: Mapping[str, Any],
                   skill: str) -> list[CaseOutcome]:
    """The priced cases of ``skill`` in ``suite``, as the kit's credit model prices them.

    A case that passed by agreeing with the student's own upstream function
    (``consistent_with``) is priced with that upstream skill's cases beside it,
    as in a whole grading run: it stands only where the upstream is wrong.
    """
    from autograder.grading.credit import CreditError, price

    outcomes, errors = run_skill_cases(assignment, suite, namespace, {skill})
    upstream = {o.consistent_with for o in outcomes if o.passed and o.consistent_with} - {skill}
    if upstream and not errors:
        more, errors = run_skill_cases(assignment, suite, namespace, upstream)
        outcomes += more
    if errors:
        raise CheckSetupError("the kit could not run the checks of "
                              f"{skill!r} (a problem of the course, not of your code): " + "; ".join(errors))
    try:
        priced = price(outcomes, assignment.credit)
    except CreditError as err:
        raise CheckSetupError(str(err)) from None
    return [o for o in priced if o.group == skill]


def skill_lines(skill: str, cases: list[CaseOutcome]) -> list[str]:
    """What ``autograder check`` prints for one skill: its line, then one per failing case."""
    earned, possible = sum(t.earned for t in cases), sum(t.max_score for t in cases)
    mark = "✓" if earned >= possible - 1e-9 else "✗"
    lines = [f"{mark} {skill} ({format_points(earned)}/{format_points(possible)})"]
    for test in cases:
        if not test.passed:
            lines.append(f"    ✗ {test.name}: {test.message}".replace("\n", "\n      "))
    return lines


# -- what a test cell calls ---------------------------------------------------------------------------

def _public_assignment(assignment_id: str) -> Assignment:
    """The release folder beside the notebook (the kernel's folder), else the kit's course folder."""
    here = Path.cwd()
    if (here / RELEASE_MANIFEST_NAME).is_file():
        released = load_release(here)
        if released.id == assignment_id:
            return released
    try:
        return get_assignment(assignment_id)
    except ManifestError as err:
        raise CheckSetupError(f"cannot find the public checks of {assignment_id!r}: no {RELEASE_MANIFEST_NAME} "
                              f"beside this notebook (in {here}) and {err}") from None


def _hidden_assignment(assignment_id: str) -> Assignment:
    try:
        assignment = get_assignment(assignment_id)
    except ManifestError as err:
        raise CheckSetupError(f"cannot find the hidden checks of {assignment_id!r} for nbgrader autograde: "
                              f"{err}. Set AUTOGRADER_COURSE to the kit's course folder (the "
                              "nbgrader_config.py written by `autograder nbgrader init` does)") from None
    if assignment.released or not assignment.hidden_tests.is_dir():
        raise CheckSetupError(f"{assignment.root} holds no hidden suite for {assignment_id!r}")
    return assignment


def check_skill(assignment_id: str, skill: str, namespace: Mapping[str, Any]) -> float | None:
    """Run the checks of ``skill`` on the functions in ``namespace`` (the notebook's ``globals()``).

    Returns None when every check passes, the points earned when only some do
    under ``nbgrader autograde`` (nbgrader's partial credit), and raises
    ``ChecksFailed`` otherwise; see the module's docstring.
    """
    hidden = os.environ.get(EXECUTION_ENV) == AUTOGRADE
    assignment = _hidden_assignment(assignment_id) if hidden else _public_assignment(assignment_id)
    if assignment.credit.skill(skill) is None:
        raise CheckSetupError(f"{assignment_id!r} has no skill {skill!r}")
    suite = assignment.hidden_tests if hidden else assignment.public_tests
    cases = skill_outcomes(assignment, suite, namespace, skill)
    if not cases:
        print(f"✓ {skill}: no public check; the grader checks it with hidden tests")
        return None
    lines = skill_lines(skill, cases)
    earned, possible = sum(t.earned for t in cases), sum(t.max_score for t in cases)
    if earned >= possible - 1e-9:
        print(lines[0])
        return None
    if not hidden or earned <= 1e-9:
        raise ChecksFailed("\n".join(lines))
    print("\n".join(lines))
    return round(earned, 6)


# -- the question sheet ---------------------------------------------------------------------------------

SHEET_ELSEWHERE = ("the question sheet is graded by `autograder nbgrader grade`, in the grader, against the "
                   "variant of the student who handed the notebook in: its course secret is never put in a "
                   "kernel that runs a student's code. Grade this assignment with `autograder nbgrader grade`")


def _kernel_student(namespace: Mapping[str, Any]) -> str:
    """The student a notebook's sheet is shown for: ``my_student_id`` if the student set it, else the
    JupyterHub user, else the login name (as nbgrader's exchange names the student)."""
    import getpass

    from autograder.platforms.nbgrader_sheet import STUDENT_VARIABLE

    chosen = namespace.get(STUDENT_VARIABLE)
    if isinstance(chosen, (str, int)) and not isinstance(chosen, bool) and str(chosen).strip():
        return str(chosen).strip()
    try:
        login = getpass.getuser()
    except (OSError, KeyError):  # no login name known to this container
        login = ""
    return os.environ.get("JUPYTERHUB_USER", "").strip() or login


def _released_sheet(assignment_id: str, student: str) -> list[dict[str, Any]] | None:
    from autograder.platforms.nbgrader_sheet import SHEETS_NAME, read_released_sheet

    path = Path.cwd() / SHEETS_NAME
    if not path.is_file():
        raise CheckSetupError(f"no {SHEETS_NAME} beside this notebook (in {Path.cwd()}): the question sheets "
                              "were not released with it; ask your instructor")
    try:
        return read_released_sheet(path.read_bytes(), assignment_id, student)
    except (OSError, ValueError) as err:
        raise CheckSetupError(f"{SHEETS_NAME} cannot be read ({err}); ask your instructor") from None


def show_sheet(assignment_id: str, namespace: Mapping[str, Any]) -> None:
    """Print the student's own questions and numbers (what the sheet's first cell calls)."""
    student = _kernel_student(namespace)
    questions = _released_sheet(assignment_id, student)
    if questions is None:
        print(f"No questions were released for student id {student!r}. If that is not your id, write yours "
              "in the cell above (my_student_id = \"...\") and run it again; if it is, ask your instructor.")
        return
    total = sum(float(q.get("points", 0)) for q in questions)
    print(f"Your questions, student {student!r} ({total:g} points). Answer in the answers cell below; they are "
          "graded against the numbers of the student you hand this notebook in as.\n")
    for q in questions:
        print(f"{q.get('id')} ({float(q.get('points', 0)):g} points): {q.get('prompt')}")
        options = q.get("options") or []
        if options:
            print("    options: " + ", ".join(f'"{o}"' for o in options))
        print()


def _answers_source(namespace: Mapping[str, Any]) -> str | None:
    """The answers cell as it was last run in this kernel (IPython's ``In``), or None."""
    from autograder.questions.answers import PYTHON_CELL

    history = namespace.get("In")
    if not isinstance(history, list):
        return None
    for source in reversed(history):
        if isinstance(source, str) and source.lstrip().startswith(PYTHON_CELL):
            return source
    return None


def check_sheet(assignment_id: str, skill: str, namespace: Mapping[str, Any]) -> None:
    """The form of the answers of one sheet skill, as ``autograder check answers.toml`` says it (never
    whether an answer is right); raises ``ChecksFailed`` while an answer is in a form the grader cannot
    mark. Under nbgrader's in-kernel ``autograde`` it raises ``CheckSetupError`` (``SHEET_ELSEWHERE``)."""
    from autograder.questions.answers import AnswersError, answers_toml, python_answers
    from autograder.questions.form import PublicQuestion, PublicSheet, check_form
    from autograder.questions.graded import SHEET_SKILLS, WORKED_SKILL
    from autograder.questions.worked_bank import WORKED_BUILDERS

    if os.environ.get(EXECUTION_ENV) == AUTOGRADE:
        raise CheckSetupError(SHEET_ELSEWHERE)
    if skill not in SHEET_SKILLS:
        raise CheckSetupError(f"{skill!r} is not a skill of a question sheet")
    student = _kernel_student(namespace)
    released = _released_sheet(assignment_id, student)
    if released is None:
        print(f"- {skill}: no questions were released for {student!r} (see the cell that shows your numbers)")
        return
    mine = [PublicQuestion(str(q["id"]), str(q["kind"]), float(q["points"]), tuple(q.get("options") or ()))
            for q in released if (str(q.get("id")) in WORKED_BUILDERS) == (skill == WORKED_SKILL)]
    source = _answers_source(namespace)
    if source is None:
        print(f"- {skill}: run the answers cell (it starts with '# answers:') first, then this one")
        return
    try:
        lines = check_form(PublicSheet(assignment_id, student, tuple(mine)), answers_toml(python_answers(source)))
    except AnswersError as err:
        raise ChecksFailed(f"✗ {skill}: {err}") from None
    lines = [line for line in lines if line.state != "unknown"]  # the other skill's questions
    counts = {state: sum(line.state == state for line in lines) for state in ("answered", "blank", "fix")}
    head = (f"{skill}: {counts['answered']} answered, {counts['blank']} blank, {counts['fix']} to fix "
            f"(whether they are right is graded after you hand the notebook in)")
    fixes = [f"    ✗ {line.id}: {line.says}" for line in lines if line.state == "fix"]
    if fixes:
        raise ChecksFailed("\n".join([f"✗ {head}", *fixes]))
    print(f"{'✓' if not counts['blank'] else '·'} {head}")
