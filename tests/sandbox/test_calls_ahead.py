"""Calls sent ahead (``SandboxSession.follow``): the same answers, the same sequence seen by a
submission that keeps state, and a hang or a crash still charged to its own call."""

from __future__ import annotations

import time

import numpy as np
import pytest

from autograder.sandbox import SandboxSession, StudentRaised

COUNTING = """
    import numpy as np

    seen = []

    def f(x):
        seen.append(float(np.sum(x)))
        return np.asarray(x, dtype=float) * len(seen)

    def history():
        return list(seen)

    def slow_on(x, marker):
        if float(np.sum(x)) == marker:
            while True:
                pass
        return float(np.sum(x))

    def crash_on(x, marker):
        if float(np.sum(x)) == marker:
            import os
            os._exit(3)
        return float(np.sum(x))
"""

INPUTS = [np.full(3, float(i)) for i in range(60)]


def _plan(make_session, calls):
    """The plan a first session records making ``calls`` ((function, args) pairs)."""
    recorder = make_session(COUNTING)
    answers = [recorder.call(function, args) for function, args in calls]
    plan = recorder.recorded_plan()
    assert plan is not None and len(plan.frames) == len(calls)
    return plan, answers


def _same(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_a_followed_plan_gives_the_same_answers_on_one_worker(make_session) -> None:
    calls = [("f", (x,)) for x in INPUTS] + [("history", ())]
    plan, answers = _plan(make_session, calls)
    follower = make_session(COUNTING)
    follower.follow(plan)
    assert _same([follower.call(function, args) for function, args in calls], answers)
    assert follower.workers_started == 1


def _counting_writes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the writes the sessions make from now on."""
    from autograder.sandbox import session, wire

    writes: list[int] = []
    write_all = wire.write_all

    def counted(fd: int, data: bytes, deadline: float | None = None) -> None:
        writes.append(len(data))
        write_all(fd, data, deadline)

    monkeypatch.setattr(session.wire, "write_all", counted)
    return writes


def test_calls_sent_ahead_go_many_to_a_write(make_session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each write wakes the worker, which costs both sides more than a call: a followed plan of 61
    calls goes in two writes (``AHEAD_CALLS``, then, half of them asked, the window doubled)."""
    from autograder.sandbox import session

    calls = [("f", (x,)) for x in INPUTS] + [("history", ())]
    plan, answers = _plan(make_session, calls)
    follower = make_session(COUNTING)
    follower.follow(plan)
    writes = _counting_writes(monkeypatch)
    assert _same([follower.call(function, args) for function, args in calls], answers)
    assert session.AHEAD_CALLS < len(calls) <= session.AHEAD_CALLS // 2 + 2 * session.AHEAD_CALLS
    assert len(writes) == 2, writes
    assert sum(writes) == sum(len(frame) for frame in plan.frames)


def _asked_with(at: int, extra: list[tuple[str, tuple[object, ...]]], *, skip: int = 0):
    """The plan's sixty calls of ``f``, with ``extra`` asked before the ``at``-th and ``skip`` calls
    left out after them."""
    return [("f", (x,)) for x in INPUTS[:at]] + extra + [("f", (x,)) for x in INPUTS[at + skip:]]


ODD = ("f", (np.full(3, -1.0),))


@pytest.mark.parametrize("asked", [_asked_with(1, [ODD]), _asked_with(2, [], skip=3), _asked_with(1, [ODD, ODD]),
                                   _asked_with(1, [ODD]) [:20] + [ODD] + _asked_with(1, [ODD])[20:]],
                         ids=["one-more", "three-fewer", "two-more", "leaving-twice"])
def test_calls_that_leave_the_plan_early_and_come_back_to_it_are_sent_ahead_again(
        make_session, monkeypatch: pytest.MonkeyPatch, asked) -> None:
    """A failing case asks a call more (or fewer) and the suite goes on as planned: after
    ``REJOIN_AFTER`` calls asked as the plan asks them, the rest is sent ahead again (a few writes,
    not one per call), and ``f`` still numbers its calls exactly as without the plan."""
    plan, _ = _plan(make_session, [("f", (x,)) for x in INPUTS])
    alone = make_session(COUNTING)
    expected = [alone.call(function, args) for function, args in asked] + [alone.call("history")]
    follower = make_session(COUNTING)
    follower.follow(plan)
    writes = _counting_writes(monkeypatch)
    got = [follower.call(function, args) for function, args in asked] + [follower.call("history")]
    assert _same(got, expected)
    assert got[-1] == [float(np.sum(args[0])) for _, args in asked]
    assert len(writes) < len(asked) // 3, writes


def test_a_plan_left_late_is_not_taken_up_again(make_session, monkeypatch: pytest.MonkeyPatch) -> None:
    """Leaving the plan after fifty calls costs a replay of those fifty: taking it up again would cost
    another, past ``REPLAY_CALLS``, so the rest goes one call at a time."""
    from autograder.sandbox import session

    plan, _ = _plan(make_session, [("f", (x,)) for x in INPUTS])
    at = 50
    assert 2 * at >= session.REPLAY_CALLS > at
    asked = _asked_with(at, [ODD])
    follower = make_session(COUNTING)
    follower.follow(plan)
    got = [follower.call(function, args) for function, args in asked[:at]]
    writes = _counting_writes(monkeypatch)
    got += [follower.call(function, args) for function, args in asked[at:]]
    assert follower.call("history") == [float(np.sum(args[0])) for _, args in asked]
    calls_after = len(asked) - at
    assert len(writes) >= calls_after  # one per call (and the replay's)
    assert len(got) == len(asked)


@pytest.mark.parametrize("at", [0, 1, 30, 59])
def test_a_submission_that_keeps_state_sees_only_the_calls_asked_when_they_stop_matching(make_session,
                                                                                          at: int) -> None:
    """The calls asked leave the plan at ``at``: whatever was sent ahead is undone, so ``f`` numbers
    its calls, and ``history`` lists them, exactly as without the plan."""
    plan, _ = _plan(make_session, [("f", (x,)) for x in INPUTS])
    asked = [("f", (x,)) for x in INPUTS[:at]] + [("f", (np.full(3, -1.0),))] + [("f", (x,)) for x in INPUTS[at:]]
    alone = make_session(COUNTING)
    expected = [alone.call(function, args) for function, args in asked] + [alone.call("history")]
    follower = make_session(COUNTING)
    follower.follow(plan)
    got = [follower.call(function, args) for function, args in asked] + [follower.call("history")]
    assert _same(got, expected)
    assert got[-1] == [float(np.sum(args[0])) for _, args in asked]


def test_calls_the_plan_does_not_reach_are_never_run_before_they_are_asked(make_session) -> None:
    """Fewer calls asked than the plan holds, then another function: the worker ran only those."""
    plan, _ = _plan(make_session, [("f", (x,)) for x in INPUTS])
    follower = make_session(COUNTING)
    follower.follow(plan)
    for x in INPUTS[:10]:
        follower.call("f", (x,))
    assert follower.call("history") == [float(np.sum(x)) for x in INPUTS[:10]]


PLAIN_G = """
    import numpy as np

    def g(x):
        return float(np.sum(x))
"""

MARKER = float(np.sum(INPUTS[5]))

HANGING_G = f"""
    import numpy as np

    def g(x):
        if float(np.sum(x)) == {MARKER}:
            while True:
                pass
        return float(np.sum(x))
"""

CRASHING_G = f"""
    import numpy as np

    def g(x):
        if float(np.sum(x)) == {MARKER}:
            import os
            os._exit(3)
        return float(np.sum(x))
"""


def _plan_of_g(make_session):
    recorder = make_session(PLAIN_G)
    for x in INPUTS[:12]:
        recorder.call("g", (x,))
    return recorder.recorded_plan()


def _outcomes(session: SandboxSession) -> list[object]:
    """Each of the twelve calls of ``g``: its answer, or the name of what it raised and how long it took."""
    outcomes: list[object] = []
    for x in INPUTS[:12]:
        started = time.monotonic()
        try:
            outcomes.append(session.call("g", (x,)))
        except Exception as err:  # noqa: BLE001 - compared, kind for kind
            outcomes.append((type(err).__name__, getattr(err, "function", None), time.monotonic() - started < 4.0))
    return outcomes


@pytest.mark.parametrize("failing", [HANGING_G, CRASHING_G], ids=["hang", "crash"])
def test_a_call_sent_ahead_that_hangs_or_crashes_costs_what_it_costs_alone(make_session, failing: str) -> None:
    """The sixth call hangs (or kills its worker) in a worker that was sent the twelve at once: the five
    before it are answered, the sixth fails within its own timeout, charged to ``g``, and what follows
    is what follows without calls sent ahead (a hung function is not called again; after a crash, a
    fresh worker answers)."""
    alone = make_session(failing, call_timeout_s=1.0)
    follower = make_session(failing, call_timeout_s=1.0)
    follower.follow(_plan_of_g(make_session))
    expected = _outcomes(alone)
    assert _outcomes(follower) == expected
    assert expected[5][0] in ("CallTimedOut", "WorkerDied") and expected[5][1:] == ("g", True)
    assert follower.workers_started == alone.workers_started


def test_a_plan_naming_a_function_the_submission_lacks_is_not_followed(make_session) -> None:
    plan, _ = _plan(make_session, [("f", (x,)) for x in INPUTS[:5]])
    follower = make_session("def g(x):\n    return x\n")
    follower.follow(plan)
    with pytest.raises(Exception) as missing:
        follower.call("f", (INPUTS[0],))
    assert not isinstance(missing.value, StudentRaised)
    assert follower.call("g", (1.0,)) == 1.0
    assert follower.workers_started == 1


def test_the_recorded_plan_stops_at_the_first_call_with_functions_substituted(make_session) -> None:
    session: SandboxSession = make_session(COUNTING)
    session.call("f", (INPUTS[0],))
    session.call("history", substitutes={"f": lambda x: x})
    session.call("f", (INPUTS[1],))
    plan = session.recorded_plan()
    assert plan is not None and len(plan.frames) == 1 and plan.functions == {"f"}


PRINTING = COUNTING + """
    print("imported")

    def loud(x):
        print("called with", float(np.sum(x)), "call", len(seen) + 1)
        return f(x)
"""


LEFT_TWICE = _asked_with(1, [ODD])[:20] + [ODD] + _asked_with(1, [ODD])[20:]


@pytest.mark.parametrize("asked", [_asked_with(1, [ODD]), LEFT_TWICE], ids=["leaving-once", "leaving-twice"])
def test_what_a_submission_prints_is_kept_once_however_often_its_calls_are_replayed(make_session, asked) -> None:
    """Leaving a plan replays the calls asked on a fresh worker, which prints again what they printed:
    the student's output shows each print once, in the order made, as without the plan."""
    asked = [("loud", args) for _, args in asked]
    recorder = make_session(PRINTING)
    for _, args in asked[:1] + [("loud", (x,)) for x in INPUTS[1:]]:
        recorder.call("loud", args)
    plan = recorder.recorded_plan()
    assert plan is not None
    alone = make_session(PRINTING)
    for function, args in asked:
        alone.call(function, args)
    follower = make_session(PRINTING)
    follower.follow(plan)
    for function, args in asked:
        follower.call(function, args)
    expected = alone.captured_output().stdout
    assert expected.count("imported") == 1 and expected.count("called with") == len(asked)
    assert follower.captured_output().stdout == expected
    assert follower.workers_started > 1  # the plan was left, and its calls replayed
