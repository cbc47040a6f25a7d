"""A submission held to a recorded run (``SandboxSession.answers_as_recorded``): it takes the run's
result only when it answers every call with the very bytes recorded; otherwise the calls asked after
the comparison get exactly what they would have got without it, a submission that keeps state sees
the same sequence, and a hang, a crash or a print costs what it costs alone."""

from __future__ import annotations

import time

import numpy as np
import pytest

from autograder.sandbox import MissingFunction, SandboxSession, StudentProxy
from autograder.sandbox.session import Transcript
from tests.sandbox.test_calls_ahead import COUNTING, CRASHING_G, HANGING_G, INPUTS, PLAIN_G, _outcomes, _same

CALLS = [("f", (x,)) for x in INPUTS] + [("history", ())]

COUNTING_ODDLY = COUNTING.replace(
    "return np.asarray(x, dtype=float) * len(seen)",
    "count = len(seen)\n        return np.multiply(np.asarray(x, dtype=np.float64), float(count))",
).replace("return list(seen)", "return seen[:]") + """
    print("written oddly, same answers")
"""
assert COUNTING_ODDLY.count("np.multiply") == 1


def _off_at(call: int) -> str:
    """COUNTING, but its ``call``-th call of ``f`` (from 0) answers wrongly."""
    return COUNTING.replace("return np.asarray(x, dtype=float) * len(seen)",
                            f"return np.asarray(x, dtype=float) * (-1.0 if len(seen) == {call + 1} else len(seen))")


def _transcript(make_session, source: str = COUNTING, calls=CALLS) -> Transcript:
    recorder = make_session(source)
    for function, args in calls:
        recorder.call(function, args)
    transcript = recorder.recorded_transcript()
    assert transcript is not None and len(transcript.answers) == len(calls)
    return transcript


def test_a_submission_answering_every_call_as_recorded_matches_and_keeps_its_own_output(make_session) -> None:
    transcript = _transcript(make_session)
    compared: SandboxSession = make_session(COUNTING_ODDLY)
    assert compared.answers_as_recorded(transcript, 10.0)
    assert compared.workers_started == 1
    assert "written oddly" in compared.captured_output().stdout


def test_the_recorded_answers_are_those_of_the_run(make_session) -> None:
    transcript = _transcript(make_session)
    again: SandboxSession = make_session(COUNTING)
    assert again.answers_as_recorded(transcript, 10.0)
    assert make_session(COUNTING).recorded_transcript() is None  # no call made: nothing to hold to


@pytest.mark.parametrize("at", [0, 1, 30, 59])
def test_after_a_differing_answer_the_calls_asked_get_what_they_get_without_the_comparison(make_session,
                                                                                             at: int) -> None:
    """The ``at``-th answer differs: the comparison stops there; the calls then asked (the same ones,
    or ones that leave the recorded sequence right after) get the answers a session that was never
    compared gives, and ``f`` numbers its calls as if only they had been made."""
    transcript = _transcript(make_session)
    for asked in (CALLS, CALLS[:at + 1] + [("f", (np.full(3, -1.0),))] + CALLS[at + 1:]):
        alone = make_session(_off_at(at))
        expected = [alone.call(function, args) for function, args in asked]
        compared: SandboxSession = make_session(_off_at(at))
        assert not compared.answers_as_recorded(transcript, 10.0)
        got = [compared.call(function, args) for function, args in asked]
        assert _same(got[:-1], expected[:-1]) and got[-1] == expected[-1]
        assert got[-1] == [float(np.sum(args[0])) for function, args in asked if function == "f"]


WITH_HELPERS = COUNTING + """
    from math import exp

    def extra():
        return 1
"""
"""COUNTING, defining two more public functions: one imported, one of its own."""


def test_a_submission_defining_other_functions_is_compared_when_the_run_never_asked_about_them(
        make_session) -> None:
    """What else a submission defines cannot change a run that never asked about it: a helper of its
    own, a function imported, take the run's answers like the functions written alike."""
    transcript = _transcript(make_session)
    assert transcript.consulted == {"f", "history"}
    helped: SandboxSession = make_session(WITH_HELPERS)
    assert helped.answers_as_recorded(transcript, 10.0)


def _asks_whether(session: SandboxSession, how: str) -> None:
    """The run asks whether the submission defines ``extra``: ``has``, or a call of it."""
    if how == "has":
        assert not session.has("extra")
    else:
        with pytest.raises(MissingFunction):
            session.call("extra")


@pytest.mark.parametrize("how", ["has", "call"])
def test_a_run_that_asked_whether_a_function_is_defined_holds_a_submission_to_the_same_answer(
        make_session, how: str) -> None:
    recorder: SandboxSession = make_session(COUNTING)
    _asks_whether(recorder, how)
    for function, args in CALLS:
        recorder.call(function, args)
    transcript = recorder.recorded_transcript()
    assert transcript is not None and "extra" in (transcript.consulted or ())
    helped: SandboxSession = make_session(WITH_HELPERS)
    assert not helped.answers_as_recorded(transcript, 10.0)
    assert helped.call("history") == []  # no call was sent: the comparison ran nothing
    got = [helped.call(function, args) for function, args in CALLS]
    assert got[-1] == [float(np.sum(x)) for x in INPUTS]
    assert make_session(COUNTING_ODDLY).answers_as_recorded(transcript, 10.0)  # no extra: answered alike


def test_a_run_that_listed_the_functions_holds_a_submission_to_the_same_ones(make_session) -> None:
    recorder: SandboxSession = make_session(COUNTING)
    assert set(dir(StudentProxy(recorder))) >= {"f", "history"}
    for function, args in CALLS:
        recorder.call(function, args)
    transcript = recorder.recorded_transcript()
    assert transcript is not None and transcript.consulted is None
    assert not make_session(WITH_HELPERS).answers_as_recorded(transcript, 10.0)
    assert make_session(COUNTING_ODDLY).answers_as_recorded(transcript, 10.0)


def test_a_comparison_runs_out_of_its_time_and_the_calls_go_on_as_asked(make_session) -> None:
    transcript = _transcript(make_session, PLAIN_G, [("g", (x,)) for x in INPUTS[:12]])
    slow = PLAIN_G.replace("return float(np.sum(x))", "time.sleep(0.05)\n        return float(np.sum(x))")
    compared: SandboxSession = make_session(slow.replace("import numpy as np", "import time\n    import numpy as np"))
    started = time.monotonic()
    assert not compared.answers_as_recorded(transcript, 0.2)
    assert time.monotonic() - started < 1.0
    assert _outcomes(compared) == [float(np.sum(x)) for x in INPUTS[:12]]


@pytest.mark.parametrize("failing", [HANGING_G, CRASHING_G], ids=["hang", "crash"])
def test_a_call_that_hangs_or_crashes_while_compared_costs_what_it_costs_alone(make_session, failing: str) -> None:
    """The sixth call hangs (or kills its worker) during the comparison: the calls asked then get
    what a session never compared gets, the sixth failing within its own timeout, charged to ``g``."""
    transcript = _transcript(make_session, PLAIN_G, [("g", (x,)) for x in INPUTS[:12]])
    alone = make_session(failing, call_timeout_s=1.0)
    expected = _outcomes(alone)
    compared: SandboxSession = make_session(failing, call_timeout_s=1.0)
    started = time.monotonic()
    assert not compared.answers_as_recorded(transcript, 10.0)
    assert time.monotonic() - started < 2.5  # one call timeout at most, stretched a little on a busy machine
    assert _outcomes(compared) == expected
    assert expected[5][0] in ("CallTimedOut", "WorkerDied") and expected[5][1:] == ("g", True)


PRINTING_OFF = _off_at(20).replace("seen = []", "seen = []\n    print('imported')").replace(
    "    seen.append(float(np.sum(x)))", "    seen.append(float(np.sum(x)))\n        print('call', len(seen))")


def test_what_a_differing_submission_prints_is_what_it_prints_alone(make_session) -> None:
    transcript = _transcript(make_session)
    alone = make_session(PRINTING_OFF)
    for function, args in CALLS:
        alone.call(function, args)
    compared: SandboxSession = make_session(PRINTING_OFF)
    assert not compared.answers_as_recorded(transcript, 10.0)
    for function, args in CALLS:
        compared.call(function, args)
    expected = alone.captured_output().stdout
    assert expected.count("imported") == 1 and expected.count("call ") == len(INPUTS)
    assert compared.captured_output().stdout == expected


LARGE = """
    import numpy as np

    def big(n):
        return np.zeros(int(n))
"""


def test_a_session_keeps_no_transcript_past_its_bound_but_keeps_its_plan(make_session,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A submission may answer each call with a frame's worth of bytes: the grader keeps the answers
    for a transcript only up to ``TRANSCRIPT_BYTES`` in all, then none (the calls' plan is unaffected)."""
    from autograder.sandbox import session as session_module

    monkeypatch.setattr(session_module, "TRANSCRIPT_BYTES", 100_000)
    small: SandboxSession = make_session(LARGE)
    for _ in range(3):
        small.call("big", (1000,))  # 3 answers of about 8 kB
    assert small.recorded_transcript() is not None
    large: SandboxSession = make_session(LARGE)
    for _ in range(3):
        large.call("big", (10_000,))  # 3 answers of about 80 kB: past the bound at the second
    assert large.recorded_transcript() is None
    assert large._recorded_answers is None  # nothing of them is held
    plan = large.recorded_plan()
    assert plan is not None and len(plan.frames) == 3
