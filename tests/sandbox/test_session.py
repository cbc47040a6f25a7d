"""SandboxSession and StudentProxy against real, often hostile, worker processes.

Everything here must hold for both sandbox kinds; isolation guarantees that
only bubblewrap provides live in test_isolation.py.
"""

from __future__ import annotations

import builtins
import math
import os
import shutil
import time

import numpy as np
import pytest

from autograder.sandbox import (
    BadResult,
    CallTimedOut,
    FunctionDisabled,
    MissingFunction,
    StudentCallError,
    StudentProxy,
    StudentRaised,
    UnsupportedValue,
    WorkerDied,
)

ECHO = """
    import numpy as np

    def echo(*args, **kwargs):
        return [list(args), kwargs]

    def add(a, b):
        return a + b

    def double(x):
        return 2 * x

    def _private():
        return "secret"
"""


# ---------------------------------------------------------------- loading

def test_load_report_lists_public_functions_defined_by_the_submission(make_session) -> None:
    session = make_session("""
        import numpy as np
        import math
        from fractions import Fraction
        def sigmoid(x): return 1 / (1 + np.exp(-x))
        class Layer: pass
        relu = lambda x: np.maximum(x, 0)
        def _helper(): pass
        CONSTANT = 3
    """)
    assert session.loaded.ok
    assert session.loaded.functions == ("Layer", "relu", "sigmoid")
    assert session.has("sigmoid") and not session.has("_helper")
    assert not session.has("np") and not session.has("math") and not session.has("Fraction")


def test_a_function_counts_by_its_name_however_it_was_bound(make_session) -> None:
    """An alias, an import, a partial, a callable object: each is the student's function."""
    session = make_session("""
        import functools
        import math
        import numpy as np
        from numpy import tanh
        from math import exp
        sigmoid = np.tanh
        relu = functools.partial(np.maximum, 0.0)
        class Scaled:
            def __call__(self, x): return 2.0 * x
        double = Scaled()
        vectorized = np.vectorize(math.tanh, otypes=[float])
        pyfunc = np.frompyfunc(math.tanh, 1, 1)
    """)
    assert session.loaded.functions == ("Scaled", "double", "exp", "pyfunc", "relu", "sigmoid", "tanh",
                                        "vectorized")
    assert np.allclose(session.call("relu", (np.array([-1.0, 2.0]),)), [0.0, 2.0], rtol=0, atol=0)
    assert session.call("double", (1.5,)) == pytest.approx(3.0)


def test_a_frompyfunc_result_arrives_as_a_float_array(make_session) -> None:
    """np.frompyfunc returns an object array of floats: its numbers cross, as float64."""
    session = make_session("""
        import math
        import numpy as np
        tanh = np.frompyfunc(math.tanh, 1, 1)
    """)
    got = session.call("tanh", (np.array([[0.0, 0.5], [1.0, -2.0]]),))
    assert type(got) is np.ndarray and got.dtype == np.float64 and got.shape == (2, 2)
    assert np.allclose(got, np.tanh(np.array([[0.0, 0.5], [1.0, -2.0]])), rtol=0, atol=1e-15)


def test_hostile_bindings_do_not_break_the_function_list(make_session) -> None:
    session = make_session("""
        import builtins
        class Meta(type):
            def __getattribute__(cls, name): raise RuntimeError("no")
        class Trap(metaclass=Meta): pass
        class Lying:
            def __getattr__(self, name): raise RuntimeError("no")
            @property
            def __class__(self): raise RuntimeError("no")
            def __call__(self): return 1.0
        lying = Lying()
        builtins.callable = lambda value: False
        builtins.issubclass = lambda a, b: True
        def f(): return 2.0
    """)
    assert session.loaded.ok
    assert {"Lying", "f", "lying"} <= set(session.loaded.functions)
    assert session.call("lying") == pytest.approx(1.0)


def test_syntax_error_is_a_load_error_with_line(make_session) -> None:
    session = make_session("def f(:\n    pass\n")
    report = session.loaded
    assert not report.ok and report.error_type == "SyntaxError"
    assert "line 1" in report.traceback
    with pytest.raises(MissingFunction, match="could not be loaded"):
        session.call("f")


def test_import_time_exception_is_a_load_error(make_session) -> None:
    report = make_session("""
        x = 1
        raise ValueError("bad at import")
    """).loaded
    assert (report.ok, report.error_type, report.error_message) == (False, "ValueError", "bad at import")
    assert 'File "submission.py", line 2' in report.traceback


@pytest.mark.parametrize("statement,kind", [
    ("import sys; sys.exit(0)", "SystemExit"),
    ("raise SystemExit(3)", "SystemExit"),
    ("raise KeyboardInterrupt", "KeyboardInterrupt"),
])
def test_exits_at_import_are_load_errors(make_session, statement: str, kind: str) -> None:
    report = make_session(statement).loaded
    assert not report.ok and report.error_type == kind


def test_os_exit_at_import_is_a_load_error(make_session) -> None:
    report = make_session("import os; os._exit(4)").loaded
    assert not report.ok and report.error_type == "WorkerDied"
    assert "status 4" in report.error_message


@pytest.mark.slow
def test_sleep_at_import_times_out_within_the_import_timeout(make_session) -> None:
    started = time.monotonic()
    session = make_session("import time; time.sleep(60)\ndef f(): pass", import_timeout_s=1.5)
    assert time.monotonic() - started < 6
    assert not session.loaded.ok
    assert session.loaded.error_message == "timed out after 1.5 s while running line 1 (`import time; time.sleep(60)`)"
    with pytest.raises(MissingFunction):
        session.call("f")


def test_traceback_names_the_student_file(make_session) -> None:
    session = make_session("def f(x):\n    return x / 0\n", filename="alice.py")
    with pytest.raises(StudentRaised) as info:
        session.call("f", (1,))
    assert 'File "alice.py", line 2, in f' in info.value.traceback


# ---------------------------------------------------------------- calling

def test_values_of_every_kind_round_trip_through_the_worker(make_session) -> None:
    session = make_session(ECHO)
    args = [None, True, 3, 2**70, 1.25, math.inf, "text", [1, (2, 3)], {"k": {"n": [1]}},
            np.arange(6, dtype=np.int32).reshape(2, 3), np.array([np.nan, 1.0]), np.bool_(False)]
    positional, keywords = session.call("echo", args, {"key": np.float32(0.5)})
    assert keywords == {"key": 0.5} and type(keywords["key"]) is float
    assert positional[:7] == [None, True, 3, 2**70, 1.25, math.inf, "text"]
    assert positional[7] == [1, [2, 3]] and positional[8] == {"k": {"n": [1]}}
    np.testing.assert_array_equal(positional[9], args[9])
    assert positional[9].dtype == np.int32 and type(positional[9]) is np.ndarray
    assert np.isnan(positional[10][0]) and positional[11] is False


def test_proxy_forwards_calls_and_hides_private_names(make_session) -> None:
    session = make_session(ECHO)
    student = StudentProxy(session)
    assert student.add(2, b=3) == 5
    np.testing.assert_array_equal(student.double(np.arange(3)), [0, 2, 4])
    assert student.has("add") and not student.has("_private") and not student.has("nope")
    with pytest.raises(AttributeError):
        student._private  # noqa: B018 (the attribute access is what is tested)
    with pytest.raises(AttributeError):
        student.__wrapped__  # noqa: B018
    with pytest.raises(MissingFunction):
        session.call("_private")
    with pytest.raises(MissingFunction, match="nope"):
        student.nope(1)


def test_student_cannot_mutate_the_graders_arguments(make_session) -> None:
    session = make_session("def clobber(a):\n    a[:] = 0\n    return a\n")
    original = np.arange(1.0, 4.0)
    assert session.call("clobber", (original,)).tolist() == [0, 0, 0]
    assert original.tolist() == [1.0, 2.0, 3.0]


def test_student_exception_carries_type_message_and_only_student_frames(make_session) -> None:
    session = make_session("""
        import numpy as np
        def f(x):
            return np.linalg.inv(x)
    """)
    with pytest.raises(StudentRaised) as info:
        session.call("f", (np.zeros((2, 2)),))
    error = info.value
    assert error.type == "LinAlgError" and "Singular" in error.message
    assert 'File "submission.py", line 3, in f' in error.traceback
    assert "numpy" not in error.traceback.split("LinAlgError")[0]  # no numpy frames
    assert isinstance(error, StudentCallError)


def test_errstate_raise_only_when_requested(make_session) -> None:
    session = make_session("""
        import numpy as np
        def div(x):
            return np.float64(x) / np.float64(0.0)
    """)
    assert session.call("div", (1.0,)) == math.inf
    with pytest.raises(StudentRaised) as info:
        session.call("div", (1.0,), errstate=True)
    assert info.value.type == "FloatingPointError"
    assert StudentProxy(session).with_options(errstate=True) is not None


def test_errors_silenced_inside_the_function_are_still_seen(make_session) -> None:
    """A function that wraps its overflow in ``np.errstate(all="ignore")`` (or calls ``np.seterr``) is
    judged as its honest twin: a watched call's errors stay raised whatever the function sets. Underflow
    (a stable sigmoid's exp(-1000)) is no error, and an unwatched call may silence what it likes."""
    session = make_session("""
        import numpy as np
        def hidden(x):
            with np.errstate(all="ignore"):
                return 1.0 / (1.0 + np.exp(-x))
        def honest(x):
            return 1.0 / (1.0 + np.exp(-x))
        def stable(x):
            e = np.exp(-np.abs(x))
            return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        def hides_and_divides(x):
            np.seterr(all="ignore")
            return np.log(x - x) * 0.0 + np.sqrt(-np.abs(x))
    """)
    large = np.array([-1000.0, 0.0, 1000.0])
    for name in ("hidden", "honest"):
        with pytest.raises(StudentRaised) as info:
            session.call(name, (large,), errstate=True)
        assert info.value.type == "FloatingPointError" and "overflow" in info.value.message, name
    assert np.allclose(session.call("stable", (large,), errstate=True), [0.0, 0.5, 1.0])
    with pytest.raises(StudentRaised, match="divide by zero"):
        session.call("hides_and_divides", (np.array([1.0]),), errstate=True)
    assert np.allclose(session.call("hidden", (large,)), [0.0, 0.5, 1.0])


def test_sys_exit_inside_a_call_is_the_students_exception(make_session) -> None:
    session = make_session("import sys\ndef quit():\n    sys.exit(2)\ndef ok():\n    return 1\n")
    with pytest.raises(StudentRaised) as info:
        session.call("quit")
    assert info.value.type == "SystemExit"
    assert session.call("ok") == 1


def test_threads_work_inside_the_worker(make_session) -> None:
    session = make_session("""
        import threading
        def threaded():
            box = []
            t = threading.Thread(target=lambda: box.append(41 + 1))
            t.start(); t.join()
            return box[0]
    """)
    assert session.call("threaded") == 42


def test_a_submission_importing_ctypes_util_gets_the_real_module(make_session) -> None:
    """The worker loads pyseccomp with a stand-in ``ctypes.util`` that only names two libraries;
    the submission's own import finds the standard library's module, not that stand-in."""
    session = make_session("""
        import ctypes.util
        import socket
        def tools():
            return [ctypes.util.__name__, hasattr(ctypes.util, "test"), socket.socket.__name__]
    """)
    assert session.call("tools") == ["ctypes.util", True, "socket"]


def test_unsendable_arguments_are_the_graders_error(make_session) -> None:
    session = make_session(ECHO)
    with pytest.raises(UnsupportedValue):
        session.call("echo", (object(),))


# ---------------------------------------------------------------- lying results

def test_ndarray_subclass_result_arrives_as_plain_ndarray(make_session) -> None:
    session = make_session("""
        import numpy as np
        class Liar(np.ndarray):
            def __eq__(self, other): return np.ones(np.shape(other), dtype=bool)
            def __array_finalize__(self, obj): pass
        def f():
            return np.arange(3.0).view(Liar)
        def m():
            return np.asmatrix(np.eye(2))
    """)
    result = session.call("f")
    assert type(result) is np.ndarray
    assert not np.array_equal(result, [9.0, 9.0, 9.0])
    assert type(session.call("m")) is np.ndarray


def test_lying_objects_become_plain_values_or_bad_results(make_session) -> None:
    session = make_session("""
        class AlwaysEqual:
            def __eq__(self, other): return True
        class Fl(float):
            def __eq__(self, other): return True
        def obj(): return AlwaysEqual()
        def fl(): return Fl(1.0)
        def func(): return print
        def cplx(): return 1j
        def objarr():
            import numpy as np
            return np.array([AlwaysEqual()], dtype=object)
    """)
    for name in ("obj", "func", "cplx", "objarr"):
        with pytest.raises(BadResult, match="cannot be sent"):
            session.call(name)
    value = session.call("fl")
    assert type(value) is float and value == 1.0 and value != 2.0


def test_builtins_overridden_in_the_worker_do_not_reach_the_grader(make_session) -> None:
    session = make_session("""
        import builtins
        builtins.abs = lambda v: 0
        def f(x):
            return abs(x)
    """)
    assert session.call("f", (-3,)) == 0  # the override is real inside the worker ...
    assert abs(-3) == 3 and builtins.abs(-3) == 3 # ... and absent here


def test_overriding_builtins_does_not_break_the_worker(make_session) -> None:
    session = make_session("""
        import builtins
        builtins.isinstance = lambda *a, **k: True
        builtins.len = lambda v: -1
        builtins.all = lambda *a, **k: True
        def f():
            return [isinstance(1, str), len("abc")]
    """)
    assert session.loaded.ok and session.loaded.functions == ("f",)
    assert session.call("f") == [True, -1]  # the student sees their overrides ...
    assert not isinstance(1, str) and len("abc") == 3  # ... the grader does not


def test_sabotaging_the_real_builtins_only_hurts_the_worker(make_session) -> None:
    session = make_session("""
        import wire
        wire.__builtins__["isinstance"] = lambda *a: True  # the worker's own builtins
        def f():
            return 1
    """)
    try:
        session.call("f")
    except StudentCallError:
        pass  # the worker may well break itself; the grader must not
    assert not isinstance(1, str) and str is str


def test_forged_response_with_wrong_id_is_a_bad_result(make_session) -> None:
    session = make_session("""
        import json, sys, wire
        FD = json.loads(sys.argv[1])["response_fd"]
        def forge():
            wire.write_all(FD, wire.pack_message({"id": 999, "ok": True, "value": 100}))
            return 0
        def ok():
            return 1
    """)
    with pytest.raises(BadResult, match="does not match"):
        session.call("forge")
    assert session.call("ok") == 1  # a fresh worker answers


def test_garbage_and_oversized_frames_are_bad_results(make_session) -> None:
    session = make_session("""
        import json, os, struct, sys
        FD = json.loads(sys.argv[1])["response_fd"]
        def garbage():
            os.write(FD, struct.pack(">Q", 12) + b"\\x00\\x00\\x00\\x04nope....")
        def huge():
            os.write(FD, struct.pack(">Q", 2**60))
        def ok():
            return "fine"
    """)
    with pytest.raises(BadResult):
        session.call("garbage")
    with pytest.raises(BadResult, match="exceeds the limit"):
        session.call("huge")
    assert session.call("ok") == "fine"


def test_result_larger_than_a_frame_is_a_bad_result(make_session) -> None:
    session = make_session("import numpy as np\ndef big():\n    return np.zeros(300_000)\n",
                           max_frame_bytes=1 << 20)
    with pytest.raises(BadResult, match="too large"):
        session.call("big")


# ---------------------------------------------------------------- crashes and hangs

def test_os_exit_in_a_call_is_worker_died_and_others_still_work(make_session) -> None:
    session = make_session("""
        import os
        def crash(): os._exit(3)
        def fine(x): return x + 1
    """)
    with pytest.raises(WorkerDied) as info:
        session.call("crash")
    assert "the worker exited with status 3" in str(info.value)
    assert session.call("fine", (1,)) == 2
    with pytest.raises(WorkerDied):  # not disabled yet: a crash may depend on the input
        session.call("crash")
    assert session.call("fine", (2,)) == 3


def test_segfault_is_reported_as_a_signal(make_session) -> None:
    session = make_session("import ctypes\ndef segv():\n    ctypes.string_at(0)\n")
    with pytest.raises(WorkerDied, match="SIGSEGV"):
        session.call("segv")


def test_closed_result_channel_is_worker_died(make_session) -> None:
    session = make_session("""
        import json, os, sys
        FD = json.loads(sys.argv[1])["response_fd"]
        def close(): os.close(FD)
        def fine(): return 1
    """)
    with pytest.raises(WorkerDied):
        session.call("close")
    assert session.call("fine") == 1


def test_infinite_loop_times_out_is_disabled_and_others_still_work(make_session) -> None:
    session = make_session("""
        def spin():
            while True:
                pass
        def fine(x):
            return x * 3
    """)
    started = time.monotonic()
    with pytest.raises(CallTimedOut) as info:
        session.call("spin", timeout=0.5)
    assert time.monotonic() - started < 4
    assert info.value.function == "spin" and info.value.seconds == 0.5
    with pytest.raises(FunctionDisabled):
        session.call("spin")
    assert session.call("fine", (2,)) == 6


def test_sigterm_ignoring_loop_is_still_killed(make_session) -> None:
    session = make_session("""
        import signal
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        def spin():
            while True:
                pass
    """)
    pids = session.worker_pids()
    assert pids
    with pytest.raises(CallTimedOut):
        session.call("spin", timeout=0.5)
    session.close()
    assert session.leftover_pids() == []
    assert not [pid for pid in pids if _alive(pid)]


@pytest.mark.slow
def test_cpu_limit_kills_a_background_spinner(make_session) -> None:
    session = make_session("""
        import threading
        def spin():
            while True: pass
        threading.Thread(target=spin, daemon=True).start()
        def wait():
            import time
            time.sleep(30)
    """, cpu_seconds=1)
    with pytest.raises(WorkerDied, match="SIGXCPU|SIGKILL"):
        session.call("wait", timeout=15)


def test_huge_allocation_is_a_memory_error_not_a_crash(make_session) -> None:
    session = make_session("""
        import numpy as np
        def alloc():
            return float(np.ones(64 * 1024**3, dtype=np.uint8).sum())
        def grow():
            chunks = []
            while True:
                chunks.append(np.empty(64 * 1024 * 1024, dtype=np.uint8))  # address space, untouched
        def fine():
            return np.ones(1000).sum()
    """)
    with pytest.raises(StudentRaised) as info:
        session.call("alloc")
    assert info.value.type == "MemoryError"
    with pytest.raises(StudentRaised) as info:
        session.call("grow")
    assert info.value.type == "MemoryError"
    assert session.call("fine") == 1000.0


def test_fork_bomb_fails_and_leaves_no_process(make_session) -> None:
    session = make_session("""
        import os, subprocess
        def bomb():
            errors = set()
            for _ in range(300):
                try:
                    if os.fork() == 0:
                        while True: pass
                except OSError as err:
                    errors.add(err.errno)
            return sorted(errors)
        def spawn():
            try:
                subprocess.run(["/bin/true"])
            except OSError as err:
                return err.errno
            return "spawned"
    """)
    import errno
    assert session.call("bomb") == [errno.EPERM]
    assert session.call("spawn") == errno.EPERM
    session.close()
    assert session.leftover_pids() == []


def test_stdout_flood_is_truncated_and_the_call_still_answers(make_session) -> None:
    session = make_session("""
        import sys, os
        print("hello at import")
        def flood():
            chunk = "x" * (1 << 20)
            for _ in range(100):
                sys.stdout.write(chunk)
            os.write(2, b"e" * (1 << 20))
            return "done"
    """)
    started = time.monotonic()
    assert session.call("flood", timeout=30) == "done"
    assert time.monotonic() - started < 30
    output = session.captured_output()
    assert output.stdout.startswith("hello at import\n")
    assert len(output.stdout) == 64 * 1024 and len(output.stderr) == 64 * 1024
    assert output.stdout_dropped >= 100 * (1 << 20) - 64 * 1024


def test_restart_reimports_the_submission(make_session) -> None:
    session = make_session("""
        import os
        calls = []
        def count():
            calls.append(1)
            return len(calls)
        def crash():
            os._exit(1)
    """)
    assert [session.call("count") for _ in range(3)] == [1, 2, 3]
    with pytest.raises(WorkerDied):
        session.call("crash")
    assert session.call("count") == 1


def test_close_is_idempotent_and_calls_after_close_fail(make_session) -> None:
    session = make_session(ECHO)
    session.close()
    session.close()
    with pytest.raises(RuntimeError):
        session.call("add", (1, 2))


def _alive(pid: int) -> bool:
    """Whether ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def test_os_is_not_reachable_through_the_result(make_session) -> None:
    session = make_session("import os\ndef f():\n    return os\n")
    with pytest.raises(BadResult):
        session.call("f")
    assert os.getpid() > 0


def test_stray_output_or_death_between_calls_is_not_blamed_on_the_next_call(make_session) -> None:
    session = make_session("""
        import json, os, sys, threading, time
        FD = json.loads(sys.argv[1])["response_fd"]
        def later(action):
            def run():
                time.sleep(0.2)
                os.write(FD, b"garbage") if action == "garbage" else os._exit(9)
            threading.Thread(target=run, daemon=True).start()
            return "armed"
        def fine():
            return "fine"
    """)
    for action in ("garbage", "exit"):
        assert session.call("later", (action,)) == "armed"
        deadline = time.monotonic() + 10
        while session._worker.is_quiet() and time.monotonic() < deadline:  # wait for the mischief
            time.sleep(0.02)
        assert session.call("fine") == "fine"


def test_a_function_that_keeps_crashing_is_disabled_and_others_still_work(make_session) -> None:
    from autograder.sandbox.session import BREAKS_BEFORE_DISABLE

    session = make_session("import os\ndef crash():\n    os._exit(1)\ndef fine():\n    return 2\n")
    for _ in range(BREAKS_BEFORE_DISABLE):
        with pytest.raises(WorkerDied, match="exited with status 1"):
            session.call("crash")
    with pytest.raises(FunctionDisabled, match="killed the worker 3 times"):
        session.call("crash")
    assert [session.call("fine") for _ in range(3)] == [2, 2, 2]


def test_restarts_are_capped(make_session, monkeypatch: pytest.MonkeyPatch) -> None:
    from autograder.sandbox import session as session_module

    monkeypatch.setattr(session_module, "MAX_RESTARTS", 2)
    session = make_session("import os\n" + "".join(
        f"def crash{i}():\n    os._exit(1)\n" for i in range(4)))
    for i in range(3):
        with pytest.raises(WorkerDied, match="exited with status 1"):
            session.call(f"crash{i}")
    with pytest.raises(WorkerDied, match="not restarted again"):
        session.call("crash3")


def test_session_from_file_uses_the_file_name_in_tracebacks(tmp_path) -> None:
    from autograder.sandbox import SandboxSession

    path = tmp_path / "bob.py"
    path.write_text("def f():\n    raise KeyError('k')\n")
    with SandboxSession.from_file(path) as session:
        with pytest.raises(StudentRaised) as info:
            session.call("f")
    assert 'File "bob.py", line 2' in info.value.traceback
    assert session.leftover_pids() == []


GRADER_SCRIPT = """
import sys, time
from autograder.sandbox import SandboxSession
session = SandboxSession(sys.argv[1])
session.start()
print(session._worker._scratch, " ".join(map(str, session.worker_pids())), flush=True)
time.sleep(60)
"""


def test_workers_die_with_a_killed_grader(tmp_path) -> None:
    import signal
    import subprocess
    import sys

    student = "import threading\ndef spin():\n    while True: pass\n" \
              "threading.Thread(target=spin, daemon=True).start()\n"
    grader = subprocess.Popen([sys.executable, "-c", GRADER_SCRIPT, student], stdout=subprocess.PIPE,
                              cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))), text=True)
    scratch = ""
    try:
        scratch, *pids = grader.stdout.readline().split()
        pids = [int(p) for p in pids]
        assert pids and all(_alive(pid) for pid in pids)
    finally:
        grader.send_signal(signal.SIGKILL)
        grader.wait()
        shutil.rmtree(scratch, ignore_errors=True)  # a SIGKILLed grader cannot clean up
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not [pid for pid in pids if _alive(pid)]


@pytest.mark.slow
def test_a_failed_restart_is_final(make_session) -> None:
    quick_until = time.time() + 3.0  # imports before this instant are quick, later ones hang
    session = make_session(f"""
        import os, time
        if time.time() > {quick_until!r}:
            time.sleep(60)
        def crash():
            os._exit(1)
        def fine():
            return 1
    """, import_timeout_s=0.5)
    assert session.call("fine") == 1
    time.sleep(max(0.0, quick_until - time.time()))
    with pytest.raises(WorkerDied):
        session.call("crash")
    started = time.monotonic()
    with pytest.raises(WorkerDied, match="could not be restarted: .*timed out after 0.5 s"):
        session.call("fine")
    with pytest.raises(WorkerDied, match="could not be restarted"):
        session.call("fine")
    assert time.monotonic() - started < 5


# ---------------------------------------------------------------- substituted functions

UPSTREAM = """
    import json, sys, wire
    import numpy as np
    FD = json.loads(sys.argv[1])["response_fd"]
    seen = []

    def mse_loss(y, y_hat):
        raise TypeError("mse_loss is broken")

    def train(ys):
        return [mse_loss(y, 2.0 * y) for y in ys]

    def uses_helper(x):
        return helper(x) + 1.0

    def remember(x):
        seen.append(mse_loss(x, 0.0))
        return len(seen)

    def recall():
        return seen

    def catches(x):
        try:
            return mse_loss(x, 0.0)
        except Exception as err:
            return type(err).__name__

    def flood(n):
        for _ in range(n):
            mse_loss(1.0, 0.0)
        return n

    def forge(name):
        wire.write_all(FD, wire.pack_message({"id": 1, "callback": name, "args": [], "kwargs": {}}))
        return mse_loss(1.0, 0.0)
"""


def _squared_error(y: object, y_hat: object) -> float:
    """The grader's mse_loss for the tests: plain numbers or arrays, as the worker sends them."""
    return float(np.mean((np.asarray(y, dtype=np.float64) - np.asarray(y_hat, dtype=np.float64)) ** 2))


def test_a_substituted_function_answers_with_the_graders_values(make_session) -> None:
    session = make_session(UPSTREAM)
    received: list[tuple[type, ...]] = []

    def answer(y: object, y_hat: object) -> float:
        received.append((type(y), type(y_hat)))
        return _squared_error(y, y_hat)

    got = session.call("train", [[1.0, np.array([1.0, 3.0])]], substitutes={"mse_loss": answer})
    assert got == pytest.approx([1.0, 5.0])
    assert received == [(float, float), (np.ndarray, np.ndarray)]  # plain data, decoded by the grader
    with pytest.raises(StudentRaised, match="mse_loss is broken"):  # bound back after the call
        session.call("train", [[1.0]])


def test_a_name_the_submission_does_not_define_can_be_substituted(make_session) -> None:
    session = make_session(UPSTREAM)
    assert session.call("uses_helper", [2.0], substitutes={"helper": lambda x: x * 10.0}) == pytest.approx(21.0)
    with pytest.raises(StudentRaised, match="NameError|helper"):
        session.call("uses_helper", [2.0])


def test_nothing_learnt_through_a_substitute_outlives_its_call(make_session, monkeypatch) -> None:
    from autograder.sandbox import session as session_module

    monkeypatch.setattr(session_module, "MAX_RESTARTS", 1)  # the fresh workers cost no restart
    session = make_session(UPSTREAM)
    for _ in range(3):
        assert session.call("remember", [2.0], substitutes={"mse_loss": _squared_error}) == 1
        assert session.call("remember", [2.0], substitutes={"mse_loss": _squared_error}) == 2  # same functions
        assert session.call("uses_helper", [2.0], substitutes={"helper": float}) == pytest.approx(3.0)
        assert session.call("recall") == []  # a call judged without them: a fresh worker
    session.call("remember", [2.0], substitutes={"mse_loss": _squared_error})
    session.call("uses_helper", [2.0], substitutes={"helper": float})  # other functions: fresh too
    assert session.call("remember", [2.0], substitutes={"mse_loss": _squared_error}) == 1


def test_a_refused_callback_raises_inside_the_students_code(make_session) -> None:
    session = make_session(UPSTREAM)

    def raising(y: object, y_hat: object) -> float:
        raise KeyError("the grader's own detail")

    assert session.call("catches", [1.0], substitutes={"mse_loss": raising}) == "SubstituteRefused"
    assert session.call("catches", [1.0], substitutes={"mse_loss": lambda y, y_hat: object()}) == \
        "SubstituteRefused"  # a value that cannot be sent is refused too
    with pytest.raises(StudentRaised, match="SubstituteRefused") as raised:
        session.call("train", [[1.0]], substitutes={"mse_loss": raising})
    assert "the grader's own detail" not in str(raised.value)


def test_a_callback_flood_fails_the_call(make_session, monkeypatch) -> None:
    from autograder.sandbox import wire

    monkeypatch.setattr(wire, "MAX_CALLBACKS", 20)
    session = make_session(UPSTREAM)
    assert session.call("flood", [20], substitutes={"mse_loss": _squared_error}) == 20
    with pytest.raises(BadResult, match="more than 20 callbacks"):
        session.call("flood", [10_000], substitutes={"mse_loss": _squared_error})


def test_a_forged_callback_fails_closed(make_session) -> None:
    session = make_session(UPSTREAM)
    with pytest.raises(BadResult, match="callback"):  # a call that substitutes nothing
        session.call("forge", ["mse_loss"])
    with pytest.raises(BadResult, match="callback"):  # a name this call does not substitute
        session.call("forge", ["train"], substitutes={"mse_loss": _squared_error})


def test_substitutes_must_be_public_names_other_than_the_called_function(make_session) -> None:
    session = make_session(UPSTREAM)
    for name in ("train", "_private", "not a name"):
        with pytest.raises(ValueError, match="cannot substitute"):
            session.call("train", [[1.0]], substitutes={name: _squared_error})


def test_the_graders_function_never_enters_the_worker(make_session) -> None:
    """Only values cross: no code object, constant, name or closure of the grader's callable can be
    found anywhere in the worker's memory while its stand-in answers."""
    session = make_session("""
        import gc

        def upstream(x):
            raise NotImplementedError

        def probe(x):
            value = upstream(x)
            needle = "".join(["reference_", "only_marker"])  # built when run: this code holds no copy
            found = []
            for obj in gc.get_objects():
                try:
                    if hasattr(obj, "__code__") and needle in repr(obj.__code__.co_consts) + obj.__code__.co_name:
                        found.append("code")
                    if type(obj) in (tuple, list) and any(type(i) is str and needle in i for i in obj):
                        found.append("constant")
                    if type(obj) is dict and any(type(k) is str and needle in k for k in obj):
                        found.append("name")
                except Exception:
                    pass
            cells = [type(c.cell_contents).__name__ for c in (upstream.__closure__ or ())]
            return {"value": value, "found": found, "file": upstream.__code__.co_filename, "cells": cells}
    """)
    reference_only_marker_scale = 3.0

    def reference_only_marker_answer(x: float) -> float:
        note = "reference_only_marker: the grader's constant"
        return reference_only_marker_scale * x if note else 0.0

    got = session.call("probe", [2.0], substitutes={"upstream": reference_only_marker_answer})
    assert got["value"] == pytest.approx(6.0)
    assert got["found"] == []
    assert got["file"].endswith("worker.py")
    assert "function" not in got["cells"]


def test_a_substituted_call_that_times_out_does_not_disable_its_function(make_session) -> None:
    session = make_session("""
        def upstream(x):
            raise NotImplementedError

        def spin(x):
            upstream(x)
            while True:
                pass
    """, call_timeout_s=0.5)
    with pytest.raises(CallTimedOut):
        session.call("spin", [1.0], substitutes={"upstream": float})
    with pytest.raises(StudentRaised, match="NotImplementedError"):  # called again, not disabled
        session.call("spin", [1.0])


def test_a_function_that_hangs_through_its_upstream_is_still_judged_with_it_substituted(make_session) -> None:
    session = make_session("""
        def upstream(x):
            while True:
                pass

        def downstream(x):
            return 2.0 * upstream(x)
    """, call_timeout_s=0.5)
    with pytest.raises(CallTimedOut):
        session.call("downstream", [1.0])
    with pytest.raises(FunctionDisabled):
        session.call("downstream", [1.0])
    assert session.call("downstream", [1.5], substitutes={"upstream": float}) == pytest.approx(3.0)


def test_a_substituted_call_that_hangs_is_not_made_again_with_the_same_substitutes(make_session) -> None:
    session = make_session("""
        def upstream(x):
            return x

        def spin(x):
            upstream(x)
            while True:
                pass
    """, call_timeout_s=0.5)
    with pytest.raises(CallTimedOut):
        session.call("spin", [1.0], substitutes={"upstream": float})
    started = time.monotonic()
    with pytest.raises(FunctionDisabled, match="did not return"):
        session.call("spin", [1.0], substitutes={"upstream": float})
    assert time.monotonic() - started < 0.4


def test_a_function_that_kills_the_worker_through_its_upstream_is_judged_with_it_substituted(make_session) -> None:
    session = make_session("""
        import os

        def upstream(x):
            os._exit(0)

        def downstream(x):
            return 2.0 * upstream(x)
    """)
    for _ in range(3):
        with pytest.raises(WorkerDied):
            session.call("downstream", [1.0])
    with pytest.raises(FunctionDisabled, match="killed the worker 3 times"):
        session.call("downstream", [1.0])
    assert session.call("downstream", [1.5], substitutes={"upstream": float}) == pytest.approx(3.0)
