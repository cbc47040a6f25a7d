"""A warm grading process: what every submission needs is prepared once, then each is graded in a fork.

Grading one submission from cold imports pytest, SymPy and the reference, lambdifies the
reference's expressions, reads the instructor solution for diagnosis and the released stub for
the untouched-stub check, probes the sandbox and imports the hidden suite: seconds, against a
fraction of a second for the submission itself.
A process that grades many submissions (a pool worker of ``grade_batch``) calls
``enable_forking()`` once; from then on ``grade_submission`` warms the process for the
assignment's suite (``warm_up``, once per suite content) and grades each submission in a fork
of it (``autograder.grading.forked``), which starts with all of that done and with the suite's
modules exactly as imported, never as a previous student left them.

Warming also starts one bubblewrap sandbox whose fork server hands each submission a fresh worker
(``autograder.sandbox.warm_sandbox``). Warming runs the suite once on the instructor solution, in
the sandbox like any submission, so the reference computes (and caches) every expected value the
suite asks for; once such a run has saved them all to the disk cache
(``expectation_cache.solution_values_saved``), later processes skip it (a fork finds them there,
and the first result comes 0.2 s sooner). It then collects the suite afresh and keeps it live
(``run.collect_suite``): a fork
runs its items without configuring or collecting pytest again. Without a solution (a student's release folder), only
the imports and the collection are warmed. The derived mistakes a wrong answer is diagnosed with
(``autograder.mutants``) are compiled here for the functions an earlier fork needed them for
(``ForkLessons.diagnosed``), while the next fork grades (``while_forked``); what SymPy derives for
them is remembered on disk once per kit and reference (``autograder.derivation_cache``, prepared
after a batch by ``prepare_derivations``), so compiling them is numpy code only, and SymPy is
imported only for what is not remembered (a graph's changes). The same way, a fork reports the
modules it imported and what the reference derived and compiled for it (``ForkLessons``), and the
parent imports and derives them while the next fork grades: without it, every fork of a process
whose warm-up skipped the solution run paid about a third more CPU for its first use of them (the
report's modules the needs-a-look check imports, SymPy solving sigmoid's y (1 - y) for a wrong
derivative's consistency check, before that was remembered). And the first fork
whose submission passes every case hands its calls to the parent (``ForkLessons.plan``): later
forks send them to their worker ahead of being asked (``plan_for``,
``autograder.sandbox.session.SandboxSession.follow``), with that run's transcript and outcomes
(``PassingRun``, ``passing_run_for``): a later fork whose submission answers every one of those calls
with the same bytes takes the outcomes, without the suite running again (so does a later submission
graded in a process that grades without forks: a batch of ``--jobs 1``); one that answers only some
cases' calls so takes those cases' outcomes, and only its other cases run
(``PassingRun.outcomes_of``, ``SandboxSession.cases_as_recorded``).
"""

from __future__ import annotations

import functools
import importlib
import pickle
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.assignment import Assignment
from autograder.fingerprint import file_stamps

if TYPE_CHECKING:
    from autograder.grading.diagnose import LoggedCall
    from autograder.grading.outcomes import CaseOutcome, SuiteRun
    from autograder.sandbox import SandboxLimits
    from autograder.sandbox.session import CallPlan, Transcript

_forking = False
_diagnosed: dict[str, None] = {}
"""The functions forks of this process have diagnosed with derived mistakes, in order."""
_compiled: set[str] = set()
"""Those whose derived mistakes this process has compiled for its later forks."""
_CANDIDATES = "autograder.mutants.candidates"
"""The derived mistakes' module (numpy only: its SymPy half, ``autograder.mutants.derivations``,
runs where a derivation is not remembered)."""
_forks = 0
"""The forks this process has started to grade in."""

QUIET_WAIT_S = 2.0
"""How long warming waits for the warm-up session's output threads to end before forking."""


def enable_forking() -> None:
    """Grade each later submission of this process in a fork of it (a pool worker's initializer)."""
    global _forking
    _forking = True


def forking_enabled() -> bool:
    """Whether this process grades submissions in forks: enabled, and safe right now."""
    from autograder.grading.forked import can_fork

    return _forking and can_fork()


def suite_key(suite: Path) -> tuple[tuple[str, int, int], ...]:
    """The suite's Python files with their sizes and modification times: an edited suite is warmed again."""
    return file_stamps(suite, sorted(suite.rglob("*.py")))


def warm_up(assignment: Assignment, suite: Path) -> bool:
    """Prepare this process to grade ``assignment`` against ``suite`` (once per suite content),
    and keep its warm sandbox running (started again if it has ended); whether it is prepared.

    Not the first time it is asked when a passing run kept on disk can grade a submission that
    answers as it did (``_compares_cold``): that first submission is compared in a fork of the
    process as it is, its result not held up by pytest's import and the suite's collection, and the
    process is prepared when asked again (for that submission's suite run when its answers differ,
    or for the next)."""
    keep_sandbox_warm(assignment)  # first: it starts while this process prepares
    key = suite_key(suite)
    prepared = (assignment, suite, key) in _left_for_later or not _compares_cold(assignment, suite)
    if prepared:
        _warmed(assignment, suite, key)
    else:
        _left_for_later.add((assignment, suite, key))
    sandbox_greeted()  # before any fork: only the process that started the sandbox reads its hello
    return prepared


def _compares_cold(assignment: Assignment, suite: Path) -> bool:
    """Whether a fork of this process, not yet prepared for ``suite``, can compare a submission with a
    passing run kept on disk (``passing_cache``). Loads the run, and the suite's plan."""
    if not forking_enabled():
        return False
    prepare_shared(assignment)
    return kept_run_loaded(assignment, suite)


def kept_run_loaded(assignment: Assignment, suite: Path) -> bool:
    """Whether a passing run of ``suite`` is at hand (``passing_run_for``), loaded with the suite's
    plan: a batch process asks before forking its pool, so that its processes inherit both instead
    of each reading them from disk before its first submission."""
    if passing_run_for(assignment, suite) is None:
        return False
    _load_plan(suite)
    return True


def sandbox_greeted() -> None:
    """Wait for this process's warm sandbox, if it has one starting, to say hello: from then on
    bwrap is known to work here, without a self-test. One that does not is stopped (workers start cold)."""
    from autograder.sandbox.warm_sandbox import warm_sandbox_greeted

    warm_sandbox_greeted()


def keep_sandbox_warm(assignment: Assignment) -> None:
    """A warm bubblewrap sandbox for this process (``autograder.sandbox.warm_sandbox``), started
    and not awaited: the first worker it forks, or ``sandbox_greeted``, waits for its hello.
    Without bwrap, or if it cannot start, workers start the cold way."""
    from autograder.sandbox import SandboxUnavailable
    from autograder.sandbox.warm_sandbox import start_warm_sandbox

    if _warm_sandboxes_wanted():
        try:
            start_warm_sandbox(_sandbox_limits(assignment))
        except SandboxUnavailable:
            pass


def start_sandboxes_ahead(assignment: Assignment, processes: int, *, first_only: bool = False) -> None:
    """Start now the warm sandboxes a batch of ``assignment`` graded in ``processes`` processes will
    use: this process's own when that is one (``keep_sandbox_warm``), else one for each process of a
    pool forked from this one (``autograder.grading.pool``), which takes it as it starts
    (``start_pool_process``). A sandbox takes about half a second to start (bubblewrap, the
    interpreter, numpy); started before this process imports the grading code, it is ready when the
    first submission is. It imports no numpy: a batch calls it first.

    ``first_only``: start the first pool process's sandbox only; a later call (the batch's, just
    before its pool forks) starts the others. With as many pool processes as cores, every sandbox
    booting at once would take a core's share from the imports the first result waits for."""
    if processes <= 1:
        keep_sandbox_warm(assignment)
        return
    from autograder.grading.pool import forks_pool_here
    from autograder.sandbox.warm_sandbox import start_ahead

    if forks_pool_here() and _warm_sandboxes_wanted():
        start_ahead(_sandbox_limits(assignment), 1 if first_only else processes)


def start_pool_process() -> None:
    """A local pool process's initializer: grade in forks (``enable_forking``), with a sandbox the
    batch process started ahead when one is left (``start_sandboxes_ahead``), once it has said
    hello. The pool's processes take submissions as they are free, so the one whose sandbox is
    up first takes the first (the batch starts the others' after its own imports: waiting for them
    there would hold the first result up)."""
    from autograder.sandbox.warm_sandbox import take_ahead

    enable_forking()
    if take_ahead():
        sandbox_greeted()


def end_sandboxes_ahead() -> None:
    """In the batch process, once its pool is done: end the sandboxes it started ahead."""
    from autograder.sandbox.warm_sandbox import end_ahead

    end_ahead()


def _warm_sandboxes_wanted() -> bool:
    from autograder.sandbox.bwrap import presumed_kind
    from autograder.sandbox.isolation import own_machine_requested

    return presumed_kind() == "bwrap" and not own_machine_requested()


def _sandbox_limits(assignment: Assignment) -> SandboxLimits:
    from autograder.grading.early import sandbox_limits  # numpy-free, unlike the grading modules

    return sandbox_limits(assignment.limits)


@dataclass(frozen=True)
class ForkLessons:
    """What a grading fork prepared for itself that its parent had not: its parent prepares the
    same while the next fork grades (``learn``, ``while_forked``), so later forks start with it."""

    diagnosed: tuple[str, ...] = ()
    """Functions diagnosed with derived mistakes (``autograder.mutants``)."""
    imported: tuple[str, ...] = ()
    """Modules imported."""
    derived: tuple[tuple[str, str], ...] = ()
    """(activation, cached property) the reference derived and compiled: an activation's evaluators,
    its output identity (``Activation.grad_from_output``)."""
    plan: tuple[str, CallPlan] | None = None
    """A suite (its folder) and the calls a submission passing every case of it made
    (``SandboxSession.recorded_plan``): later forks send them ahead (``plan_for``)."""
    passing: tuple[PassingKey, PassingRun] | None = None
    """A run that passed every case, with its transcript, and what it ran (``PassingKey``): later
    forks whose submissions answer as it did take its outcomes (``passing_run_for``)."""


@dataclass(frozen=True)
class PassingRun:
    """A run of a suite that passed every case on the student's own values, all its calls plain and on
    one worker: every call with its answer (``transcript``) and the run's outcomes (``run``).

    The suite's side of a fork is a function of the answers its calls get: a fork starts with the
    suite's modules exactly as the process collected them, the reference's values are fixed, and
    the calls it asks next depend only on the answers so far, its calls' and its questions' about
    which functions the submission defines. A submission that answers those questions alike
    (``Transcript.defines_alike``: what else it defines, the run never asked about) and the same
    calls in the same order with the very same bytes therefore gets the same outcomes, without the
    suite running again (``SandboxSession.answers_as_recorded``)."""

    transcript: Transcript
    run: SuiteRun
    history: Mapping[str, tuple[LoggedCall, ...]] = field(default_factory=dict)
    """Per case, its calls the diagnosis's history took (``CallLog.cases``): a run that takes a case's
    outcome adds them to its own history in that case's place (``CallLog.took_history_of``)."""
    priced: SuiteRun | None = None
    """``run`` with the assignment's points set (``credit.price``), for a submission that takes the
    whole run: pricing is a function of the outcomes alone."""

    def outcomes_of(self, cases: frozenset[str]) -> dict[str, CaseOutcome]:
        """The run's outcomes of ``cases`` (node ids), by node id: a submission that answered each call
        of a case as this run's did gets that case's outcome (``Transcript.cases``). None when the cases
        the transcript says began are not the run's outcomes one for one, in order."""
        begun = self.transcript.cases
        if not cases or len(begun) != len(self.run.outcomes):
            return {}
        pairs = list(zip((case for case, _ in begun), self.run.outcomes))
        if any(case.rsplit("::", 1)[-1].removeprefix("test_") != outcome.name for case, outcome in pairs):
            return {}
        return {case: outcome for case, outcome in pairs if case in cases}


_REFERENCE = "reference.activations"
_DERIVED = ("_evaluators", "_output_evaluator", "_output_form", "default_values")
"""The cached properties an activation keeps what SymPy derived (or the disk remembered) and what
was compiled from it in."""
_modules_at_fork: frozenset[str] = frozenset()
_plans: dict[str, CallPlan] = {}
"""Per suite folder, the calls of a passing run: what forks of this process send ahead."""
_offered: tuple[str, CallPlan] | None = None
"""In a fork: the plan its passing run recorded (``offer_plan``)."""
PassingKey = tuple[Assignment, str, tuple[tuple[str, int, int], ...]]
"""The assignment, the suite's folder, and its files' names, sizes and modification times
(``suite_key``): a passing run is taken only for the very suite it ran (a Dask worker's warm grading
process, ``autograder.grading.serve``, lives on and may grade a suite edited since)."""
_passing: dict[PassingKey, PassingRun] = {}
"""A passing run per assignment and suite, this process's or an earlier fork's (``passing_run_for``)."""
_offered_passing: tuple[PassingKey, PassingRun] | None = None
"""In a fork: its passing run, for its parent (``keep_passing_run``)."""
_looked_on_disk: set[PassingKey] = set()
"""The keys whose passing run was looked for on disk (``passing_run_for``)."""
_left_for_later: set[tuple[Assignment, Path, object]] = set()
"""The suites whose preparation waited for a second submission (``warm_up``)."""
_learnt_imports: dict[str, None] = {}
_learnt_derived: dict[tuple[str, str], None] = {}


def note_fork() -> None:
    """In the parent, just before forking: what its forks start with (``lessons_of_fork`` compares)."""
    global _modules_at_fork
    _modules_at_fork = frozenset(sys.modules)


def _reference_derived() -> tuple[tuple[str, str], ...]:
    module = sys.modules.get(_REFERENCE)
    if module is None:
        return ()
    return tuple((name, attribute) for name, activation in module.ACTIVATIONS.items()
                 for attribute in _DERIVED if attribute in vars(activation))


def lessons_of_fork() -> ForkLessons:
    """In a grading fork, after its work: what it prepared that its parent had not."""
    module = sys.modules.get(_CANDIDATES)
    return ForkLessons(diagnosed=module.asked() if module is not None else (),
                       imported=tuple(sorted(set(sys.modules) - _modules_at_fork)),
                       derived=_reference_derived(), plan=_offered, passing=_offered_passing)


def learn(lessons: ForkLessons) -> None:
    """Keep what a fork prepared: this process prepares it while its next fork grades."""
    _diagnosed.update(dict.fromkeys(lessons.diagnosed))
    _learnt_imports.update(dict.fromkeys(name for name in lessons.imported if name not in sys.modules))
    _learnt_derived.update(dict.fromkeys(lessons.derived))
    if lessons.plan is not None and lessons.plan[0] not in _plans:
        from autograder.grading.plan_cache import save_plan

        suite, plan = lessons.plan
        _plans[suite] = plan
        save_plan(Path(suite), plan)  # a later process's first forks follow it too
    if lessons.passing is not None:
        _kept(*lessons.passing)


def plan_for(suite: Path) -> CallPlan | None:
    """In a fork: the calls a passing run of ``suite`` made in an earlier fork of this process."""
    return _plans.get(str(suite))


def passing_run_for(assignment: Assignment, suite: Path) -> PassingRun | None:
    """A passing run of ``suite`` (as its files are now) for ``assignment``, made by this process or
    an earlier fork of it (``keep_passing_run``), else kept on disk by an earlier process
    (``passing_cache``, looked for once per suite); None when there is none."""
    key = _passing_key(assignment, suite)
    run = _passing.get(key)
    if run is None and key not in _looked_on_disk:
        from autograder.grading.passing_cache import load_passing

        _looked_on_disk.add(key)
        run = load_passing(assignment, suite)
        if run is not None:
            _passing[key] = run
    return run


def _kept(key: PassingKey, run: PassingRun) -> None:
    """Keep ``run`` for this process's later gradings and forks, and on disk for later processes."""
    from autograder.grading.passing_cache import save_passing

    if key not in _passing:
        _passing[key] = run
        save_passing(key[0], Path(key[1]), run)


def keep_passing_run(assignment: Assignment, suite: Path, run: PassingRun) -> None:
    """Keep a run of ``suite`` that passed every case with a whole transcript, unless one is kept: in
    a fork, for its parent (``ForkLessons.passing``), which keeps it for its later forks; graded
    here, for this process's later gradings (a batch of ``--jobs 1``)."""
    global _offered_passing
    key = _passing_key(assignment, suite)
    if key in _passing:
        return
    from autograder.grading.forked import in_fork_child

    if in_fork_child():
        if _travels(run):
            _offered_passing = (key, run)
    else:
        _kept(key, run)


def _travels(run: PassingRun) -> bool:
    """Whether ``run`` can be sent to the parent with the fork's result: the history holds what the
    suite passed to the submission's functions, and a value pickle refuses must not cost the student
    the result it travels with (``forked._child`` pickles both at once)."""
    try:
        pickle.dumps(run)
    except Exception:  # noqa: BLE001 - any refusal: the run is not offered
        return False
    return True


def _passing_key(assignment: Assignment, suite: Path) -> PassingKey:
    return assignment, str(suite), suite_key(suite)


def offer_plan(suite: Path, plan: CallPlan | None) -> None:
    """In a fork, after a run of ``suite`` that passed every case: its calls, for its parent."""
    global _offered
    if plan is not None and str(suite) not in _plans:
        _offered = (str(suite), plan)


def while_forked() -> Callable[[], None] | None:
    """What this process prepares while a fork grades a submission: the modules earlier forks
    imported, what the reference derived for them and the derived mistakes of the functions they
    diagnosed, not prepared yet; else, once the first fork has given its result, the derived
    mistakes' module, which each fork that diagnoses would otherwise import. None: nothing."""
    global _forks
    _forks += 1
    imports = tuple(name for name in _learnt_imports if name not in sys.modules)
    done = set(_reference_derived())
    derived = tuple(entry for entry in _learnt_derived if entry not in done)
    pending = tuple(name for name in _diagnosed if name not in _compiled)
    if not (imports or derived or pending):
        return functools.partial(warm_diagnosis, ()) if _forks > 1 and _CANDIDATES not in sys.modules else None
    return functools.partial(_prepare, imports, derived, pending)


def _prepare(imports: tuple[str, ...], derived: tuple[tuple[str, str], ...], diagnosed: tuple[str, ...]) -> None:
    """Import ``imports``, derive the reference's ``derived`` and compile the derived mistakes of
    ``diagnosed``; a failure only leaves them to the forks that need them."""
    for name in imports:
        _learnt_imports.pop(name, None)
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a fork imports it again where it needs it
            pass
    for name, attribute in derived:
        _learnt_derived.pop((name, attribute), None)
        try:
            getattr(importlib.import_module(_REFERENCE).get_activation(name), attribute)
        except Exception:  # noqa: BLE001 - the fork that needs it derives it (and reports why not)
            pass
    if diagnosed:
        warm_diagnosis(diagnosed)


def warm_diagnosis(functions: tuple[str, ...]) -> None:
    """Compile the derived mistakes of ``functions`` (``autograder.mutants``) for this process's
    later forks (none: only their module). A failure here only leaves them to be built where a
    diagnosis needs them."""
    _compiled.update(functions)
    try:
        from autograder.mutants.candidates import warm

        warm(functions)
    except Exception:  # noqa: BLE001 - diagnosis builds what it needs on first use
        pass


def prepare_derivations(assignment: Assignment) -> bool:
    """Derive and remember on disk what later processes grading ``assignment`` would ask SymPy for
    (``autograder.mutants.candidates.remember_all``), once per kit and reference
    (``DerivationCache.prepared``); whether it ran. A failure leaves them to be derived where asked."""
    from autograder.derivation_cache import DERIVATIONS

    def derive_all() -> None:
        from autograder.mutants.candidates import remember_all

        remember_all(assignment.functions)
    try:
        return DERIVATIONS.prepared(f"{assignment.id}:{','.join(assignment.functions)}", derive_all)
    except Exception:  # noqa: BLE001 - each is derived where a diagnosis asks for it
        return False


@functools.lru_cache(maxsize=8)
def prepare_shared(assignment: Assignment) -> None:
    """What every grading process of ``assignment`` prepares alike, with neither a sandbox nor its
    suite: a batch process about to fork its pool does it once for all of them
    (``autograder.grading.batch``), and ``warm_up`` finds it done."""
    from autograder.derivation_cache import DERIVATIONS
    from autograder.grading.grade import diagnoser_for
    from autograder.grading.needs_look import stub_definitions
    from autograder.report import load_feedback_pages

    _ = DERIVATIONS.version  # the sources' hash, once here, not in every fork that remembers a derivation
    diagnoser_for(assignment).warm()
    stub_definitions(assignment)  # the untouched-stub check every submission makes
    load_feedback_pages()  # the pages this process writes after each fork


@functools.lru_cache(maxsize=8)
def _warmed(assignment: Assignment, suite: Path, key: object) -> None:
    from autograder.grading.run import collect_suite
    from autograder.sandbox import sandbox_kind
    from autograder.suite.expectation_cache import CACHE, mark_solution_values_saved, solution_values_saved

    prepare_shared(assignment)
    if not solution_values_saved(repr(key)) and _run_solution(assignment, suite):
        mark_solution_values_saved(repr(key), CACHE)
    collect_suite(suite)  # imported afresh: what every fork starts from
    _load_plan(suite)
    passing_run_for(assignment, suite)  # looked for on disk once here, not in every fork
    sandbox_greeted()  # the warm sandbox started meanwhile: its hello shows that bwrap works here
    sandbox_kind()  # the bwrap probe, unless the warm sandbox has shown that bwrap works
    _wait_until_single_threaded()


def _load_plan(suite: Path) -> None:
    """The calls of a passing run kept on disk by an earlier process: this process's first forks
    follow them."""
    from autograder.grading.plan_cache import load_plan

    if str(suite) in _plans:  # learned here, or loaded before this process forked
        return
    kept = load_plan(suite)
    if kept is not None:
        _plans.setdefault(str(suite), kept)


def _run_solution(assignment: Assignment, suite: Path) -> bool:
    """Grade the instructor solution against ``suite`` here, so the reference's caches fill;
    whether every case ran (a run the kit failed, or no solution, derived only some values)."""
    from autograder.grading.grade import grade_loaded
    from autograder.solution_cache import solution_source
    from autograder.submission import Submission

    try:
        source = solution_source(assignment)
    except Exception:  # no source.py here (a student's release folder): nothing to warm with
        return False
    solution = Submission(student_id=assignment.module, source=source, origin=assignment.source_path)
    return grade_loaded(assignment, solution, suite=suite, compared=False).graded  # a comparison derives nothing


def _wait_until_single_threaded() -> None:
    deadline = time.monotonic() + QUIET_WAIT_S
    while threading.active_count() > 1 and time.monotonic() < deadline:
        time.sleep(0.01)

