"""A submission held case by case to a recorded run whose cases are marked (``case_begins``): when
some answers differ, every call is still answered and read; the cases each of whose calls was
answered with the bytes recorded are named (``cases_as_recorded``), and the calls the other cases ask
get the answers a session never compared gives, without running again."""

from __future__ import annotations

import numpy as np
import pytest

from autograder.sandbox import SandboxSession
from autograder.sandbox.session import COMPARE_AT_LEAST, Transcript
from tests.sandbox.test_calls_ahead import INPUTS, PLAIN_G

CASES = {f"test_g[{i}]": INPUTS[3 * i:3 * i + 3] for i in range(20)}
"""Twenty cases of three calls of ``g`` each."""

PRINTING_G = """
    import numpy as np

    def g(x):
        print("g of", float(np.sum(x)))
        return float(np.sum(x))
"""


def _off_for(*sums: float, source: str = PLAIN_G) -> str:
    """``source``'s ``g``, answering wrongly where the sum of its input is one of ``sums``."""
    return source.replace("return float(np.sum(x))",
                          f"return -1.0 if float(np.sum(x)) in {sums!r} else float(np.sum(x))")


def _recorded(make_session, source: str = PLAIN_G, cases: dict[str, list] = CASES) -> Transcript:
    recorder: SandboxSession = make_session(source)
    for case, inputs in cases.items():
        recorder.case_begins(case)
        for x in inputs:
            recorder.call("g", (x,))
    transcript = recorder.recorded_transcript()
    assert transcript is not None and [case for case, _ in transcript.cases] == list(cases)
    return transcript


def _asked(session: SandboxSession, cases: dict[str, list]) -> list[float]:
    answers = []
    for case, inputs in cases.items():
        session.case_begins(case)
        answers += [session.call("g", (x,)) for x in inputs]
    return answers


def _sum(x: np.ndarray) -> float:
    return float(np.sum(x))


def test_the_cases_answered_as_recorded_are_named_and_the_others_get_their_own_answers(make_session) -> None:
    transcript = _recorded(make_session)
    wrong = (_sum(INPUTS[4]), _sum(INPUTS[31]))  # a call of test_g[1] and of test_g[10]
    compared: SandboxSession = make_session(_off_for(*wrong))
    assert not compared.answers_as_recorded(transcript, 10.0)
    assert compared.cases_as_recorded == frozenset(CASES) - {"test_g[1]", "test_g[10]"}
    rerun = {case: CASES[case] for case in ("test_g[1]", "test_g[10]")}
    alone: SandboxSession = make_session(_off_for(*wrong))
    assert _asked(compared, rerun) == _asked(alone, rerun)
    assert compared.workers_started == 1


def test_an_answered_call_is_not_run_again_and_one_outside_its_case_runs_live(make_session) -> None:
    """The calls of a case asked after the comparison take the answers read (the submission prints
    nothing more); a call the case's recorded calls do not hold runs on the same worker."""
    transcript = _recorded(make_session, PRINTING_G)
    compared: SandboxSession = make_session(_off_for(_sum(INPUTS[7]), source=PRINTING_G))
    assert not compared.answers_as_recorded(transcript, 10.0)
    printed = compared.captured_output().stdout
    assert printed.count("g of") == len(INPUTS)
    assert _asked(compared, {"test_g[2]": CASES["test_g[2]"]}) == [_sum(INPUTS[6]), -1.0, _sum(INPUTS[8])]
    assert compared.captured_output().stdout == printed
    compared.case_begins("test_g[2]")
    assert compared.call("g", (INPUTS[0],)) == _sum(INPUTS[0])  # test_g[0]'s call, not test_g[2]'s: live
    assert compared.captured_output().stdout.count("g of") == len(INPUTS) + 1


def test_a_differing_call_before_the_first_case_leaves_no_case_known(make_session) -> None:
    recorder: SandboxSession = make_session(PLAIN_G)
    recorder.call("g", (INPUTS[59],))  # a shared fixture's call, before any case
    for case, inputs in CASES.items():
        recorder.case_begins(case)
        for x in inputs:
            recorder.call("g", (x,))
    transcript = recorder.recorded_transcript()
    assert transcript is not None and transcript.cases[0] == ("test_g[0]", 1)
    compared: SandboxSession = make_session(_off_for(_sum(INPUTS[59])))
    assert not compared.answers_as_recorded(transcript, 10.0)
    assert compared.cases_as_recorded == frozenset()


def test_a_submission_most_of_whose_answers_differ_is_not_read_to_the_end(make_session) -> None:
    transcript = _recorded(make_session)
    everything = tuple(_sum(x) for x in INPUTS)
    compared: SandboxSession = make_session(_off_for(*everything))
    assert not compared.answers_as_recorded(transcript, 10.0)
    assert compared.cases_as_recorded == frozenset()
    assert compared._answered is None and len(compared._kept_answers) == COMPARE_AT_LEAST
    assert _asked(compared, CASES) == [-1.0] * len(INPUTS)


def test_cases_begun_twice_are_not_marked(make_session) -> None:
    recorder: SandboxSession = make_session(PLAIN_G)
    for case in ("a", "b", "a"):
        recorder.case_begins(case)
        recorder.call("g", (INPUTS[0],))
    transcript = recorder.recorded_transcript()
    assert transcript is not None and transcript.cases == ()


@pytest.mark.parametrize("at", [0, 29, 59])
def test_a_transcript_without_cases_stops_at_the_first_difference(make_session, at: int) -> None:
    recorder: SandboxSession = make_session(PLAIN_G)
    for x in INPUTS:
        recorder.call("g", (x,))
    transcript = recorder.recorded_transcript()
    assert transcript is not None and transcript.cases == ()
    compared: SandboxSession = make_session(_off_for(_sum(INPUTS[at])))
    assert not compared.answers_as_recorded(transcript, 10.0)
    assert compared._answered is None and len(compared._kept_answers) == at + 1
    assert [compared.call("g", (x,)) for x in INPUTS] == [-1.0 if i == at else _sum(x) for i, x in enumerate(INPUTS)]


def test_the_answers_read_are_held_within_the_transcripts_bound(make_session,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A submission may answer each call with a frame's worth of bytes: the comparison holds the
    answers it read only while they fit ``TRANSCRIPT_BYTES``, then stops, and the calls go on as asked."""
    from autograder.sandbox import session as session_module

    monkeypatch.setattr(session_module, "TRANSCRIPT_BYTES", 100_000)
    transcript = _recorded(make_session)
    odd_large = PLAIN_G.replace("return float(np.sum(x))",
                                "return np.zeros(10_000) if int(np.sum(x)) % 2 else float(np.sum(x))")
    compared: SandboxSession = make_session(odd_large)
    assert not compared.answers_as_recorded(transcript, 10.0)
    assert compared._answered is None and sum(map(len, compared._kept_answers)) < 2 * 100_000
    answers = _asked(compared, CASES)
    assert [a if isinstance(a, float) else "large" for a in answers] == [
        "large" if i % 2 else _sum(x) for i, x in enumerate(INPUTS)]
