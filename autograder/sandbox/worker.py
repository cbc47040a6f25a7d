"""The sandboxed worker: imports one submission and serves calls to it.

Run as ``python -I -S worker.py CONFIG_JSON`` by the launcher, or forked by a
warm sandbox's server (``run_forked``). The grader imports only
``apply_process_limits`` from it: the limits a worker it starts gets before
exec. It uses only the standard library, numpy, pyseccomp and the modules that
sit next to it: ``wire`` (the protocol), ``statements`` (runs the cells
statement by statement) and ``standins`` (plotting and display modules that do
nothing). CONFIG_JSON holds ``submission`` (path of the program file: the cells
and the mode, see ``program``), ``filename`` (name shown in tracebacks),
``site`` (dir holding numpy and pyseccomp), ``request_fd``/``response_fd``
(protocol pipes) and ``max_frame_bytes``.

Order matters: everything the worker itself needs (numpy, wire, statements,
standins, pyseccomp) is imported and the seccomp filter is installed BEFORE
the first line of student code runs. After that the process is hostile
territory: student code may monkeypatch anything here, so every safety check
lives in the grader.

Frames written, in order: a ``{"hello": ...}`` frame (the sandbox came up), a
``{"running": location}`` frame before each top-level statement, the load
report, then one response per request.

Inside, ``input()`` answers an empty string (and the statement is reported),
and ``display`` and ``get_ipython`` exist as in a notebook kernel (stand-ins).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Container
from typing import Any

Config = dict[str, Any]  # the CONFIG_JSON object
Message = dict[str, Any]

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")
_DENIED_SYSCALLS = (
    # No new processes, no re-exec, no namespace or tracing games.
    "fork", "vfork", "execve", "execveat", "ptrace", "process_vm_readv", "process_vm_writev",
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "bpf", "perf_event_open",
    "keyctl", "add_key", "request_key", "userfaultfd", "kexec_load", "init_module",
    "finit_module", "delete_module", "personality", "open_by_handle_at", "name_to_handle_at",
    # No new sockets (the only network layer in the fallback; bwrap adds a private netns).
    # io_uring is denied too: its operations would bypass this filter.
    "socket", "io_uring_setup", "io_uring_enter", "io_uring_register",
    # No memory outside RLIMIT_AS: a memfd's or a SysV segment's pages stay allocated after
    # they are unmapped (251 memfds of 8 MiB held 2 GiB under a 1 GiB limit), and without
    # an IPC namespace (the fallback) SysV objects would even outlive the worker. The
    # worker's own wire is pipes only, and numpy needs none of these.
    "memfd_create", "memfd_secret", "shmget", "shmat", "msgget", "ipc",
    # POSIX message queues outlive a process in its IPC namespace; tkill, pidfds and kcmp reach
    # other processes by a handle no filter can check.
    "mq_open", "mq_unlink", "tkill", "pidfd_open", "pidfd_send_signal", "pidfd_getfd", "kcmp",
    # SysV semaphores and the rest of SysV IPC outlive the worker in its IPC namespace (and their
    # memory is outside RLIMIT_AS); a socketpair can hold an abstract name alive through its own
    # fds in flight.
    "semget", "semop", "semtimedop", "semctl", "msgsnd", "msgrcv", "msgctl", "shmctl", "shmdt",
    "socketpair",
)
_SIGNAL_OWNER_COMMANDS = (
    # fcntl F_SETOWN, F_SETSIG, F_SETOWN_EX and ioctl FIOSETOWN, SIOCSPGRP: the kernel would send
    # a signal of the worker's choosing to another process whenever a file of its own is ready.
    ("fcntl", 8), ("fcntl", 10), ("fcntl", 15), ("ioctl", 0x8901), ("ioctl", 0x8902),
)
_OWN_PROCESS_ONLY = (
    # (syscall, argument position, its only allowed value: "pid" = this process, "self" = 0)
    ("kill", 0, "pid"), ("tgkill", 0, "pid"), ("rt_sigqueueinfo", 0, "pid"),
    ("rt_tgsigqueueinfo", 0, "pid"), ("prlimit64", 0, "self"), ("setpriority", 1, "self"),
    ("ioprio_set", 1, "self"), ("sched_setaffinity", 0, "self"), ("sched_setscheduler", 0, "self"),
    ("sched_setparam", 0, "self"), ("sched_setattr", 0, "self"), ("migrate_pages", 0, "self"),
    ("move_pages", 0, "self"), ("get_robust_list", 0, "self"),
)
_CLONE_THREAD = 0x00010000
_SUBMISSION = "submission"


def prepare_imports(config: Config) -> None:
    """Single-threaded BLAS and a sys.path of: worker dir, private site, stdlib."""
    for name in THREAD_VARS:
        os.environ[name] = "1"  # must happen before numpy loads OpenBLAS
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:0] = [here, config["site"]]
    import numpy  # noqa: F401  (loaded now so student code cannot pre-empt it)

    _import_pyseccomp()
    import_worker_modules()
    import standins

    standins.install()


_KNOWN_LIBRARIES = {"seccomp": "libseccomp.so.2", "c": "libc.so.6"}
"""The sonames pyseccomp asks ``ctypes.util.find_library`` for, stable on glibc systems."""


def _import_pyseccomp() -> None:
    """Import pyseccomp with ``ctypes.util`` standing in as a module that only names the libraries
    it asks for: the real one imports subprocess, shutil and tempfile (about 12 ms of every
    worker's start, before its hello) and would run ldconfig in a subprocess to answer. The
    stand-in is gone again once pyseccomp is loaded: a submission that imports ``ctypes.util``
    gets the real module."""
    import ctypes
    import types

    util = types.ModuleType("ctypes.util")
    util.find_library = _KNOWN_LIBRARIES.get  # type: ignore[attr-defined]
    saved = sys.modules.get("ctypes.util")
    sys.modules["ctypes.util"] = ctypes.util = util  # type: ignore[attr-defined]
    try:
        import pyseccomp  # noqa: F401
    finally:
        if saved is None:
            del sys.modules["ctypes.util"], ctypes.util  # type: ignore[attr-defined]
        else:
            sys.modules["ctypes.util"] = ctypes.util = saved  # type: ignore[attr-defined]


def import_worker_modules() -> None:
    """Import what serving a submission needs (numpy, ``standins``, ``statements``, ``wire``, as
    top-level modules) and hold numpy's error state in watched calls, before any student code runs."""
    import numpy  # noqa: F401
    import seen  # noqa: F401
    import standins  # noqa: F401
    import statements  # noqa: F401
    import wire

    if wire.SOCKETS_ONLY:  # its channel is a socket (Windows), imported where it is used
        import socket  # noqa: F401
    _hold_errors_raised()


def _lower_process_limit(config: Config) -> None:
    """RLIMIT_NPROC as seen inside the sandbox (it does not bind uids mapped to root)."""
    import resource

    limit = int(config["processes"])
    _, hard = resource.getrlimit(resource.RLIMIT_NPROC)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)  # an unprivileged process can only lower it
    resource.setrlimit(resource.RLIMIT_NPROC, (limit, limit))


def _install_seccomp() -> None:
    """Deny process creation (threads still work) and a few dangerous syscalls.

    Whatever reaches another process is confined to this one: signals (``kill(-1)`` would reach
    every process of the sandbox's uid: the fork server, in a warm sandbox), resource limits and
    scheduling of others. The calls with a process argument are allowed only for this process
    (its own pid, or 0 where 0 means "the caller").
    """
    import errno

    import pyseccomp as sc

    rules = sc.SyscallFilter(sc.ALLOW)
    deny = sc.ERRNO(errno.EPERM)
    for name in _DENIED_SYSCALLS:
        _add_rule(rules, deny, name)
    me = os.getpid()
    for name, position, allowed in _OWN_PROCESS_ONLY:
        _add_rule(rules, deny, name, sc.Arg(position, sc.NE, me if allowed == "pid" else 0))
    for name, command in _SIGNAL_OWNER_COMMANDS:
        _add_rule(rules, deny, name, sc.Arg(1, sc.EQ, command))
    # clone without CLONE_THREAD is a fork; clone3 gets ENOSYS so glibc's
    # pthread_create falls back to clone, whose flags a filter can inspect.
    rules.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, _CLONE_THREAD, 0))
    rules.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    rules.load()


def _add_rule(rules: Any, action: Any, name: str, *conditions: Any) -> None:
    try:
        rules.add_rule(action, name, *conditions)
    except (OSError, ValueError):
        pass  # syscall unknown on this architecture


def redirect_output() -> None:
    """Point sys.stdout/stderr at fds 1/2 (the capture pipes) and stdin at nothing."""
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    sys.stdin = open(0, closefd=False)
    sys.stdout = open(1, "w", buffering=1, errors="backslashreplace", closefd=False)
    sys.stderr = open(2, "w", buffering=1, errors="backslashreplace", closefd=False)


def _flush_output() -> None:
    """Flush whatever the student left buffered; student code may have broken the streams."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass


def _error_info(err: BaseException, filenames: Container[str]) -> Message:
    """The wire form of ``err`` with a traceback of the submission's frames only."""
    import traceback

    from statements import safe_str

    try:
        frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename in filenames]
        lines = traceback.format_list(frames)
        if isinstance(err, SyntaxError):
            lines += traceback.format_exception_only(type(err), err)
        else:
            lines.append(f"{type(err).__name__}: {safe_str(err)}\n")
        text = "Traceback (most recent call last):\n" + "".join(lines) if frames else "".join(lines)
    except BaseException:
        text = ""
    message = safe_str(err)
    if isinstance(err, SystemExit):
        message = f"SystemExit({message}) was raised"
    return {"type": type(err).__name__, "message": message[:4000], "traceback": text[:16000]}


def _private_builtins(runner: Any) -> dict[str, Any]:
    """A copy of the builtins namespace for the submission, also served by ``import builtins``.

    ``builtins.abs = ...`` in student code then changes only what student code
    sees, and the worker's own code (which looks names up in the real builtins)
    keeps working. This is damage control, not a security boundary: a
    determined student can still reach the real builtins and break the worker,
    which only breaks their own grading. It also holds what a notebook kernel
    provides: ``input`` (answers ""), ``display`` and ``get_ipython``.
    """
    import builtins
    import types

    import standins

    private = types.ModuleType("builtins", builtins.__doc__)
    private.__dict__.update(builtins.__dict__)
    private.__dict__.update(input=_empty_input(runner), display=standins.display,
                            get_ipython=standins.get_ipython)
    sys.modules["builtins"] = private
    return private.__dict__


def _empty_input(runner: Any) -> Any:
    """``input()`` for code nobody can type into: shows the prompt, answers "", and is reported."""
    def input(prompt: object = "") -> str:  # noqa: A001 - it replaces the builtin
        runner.note_input()
        try:
            sys.stdout.write(str(prompt))
        except BaseException:
            pass
        return ""
    return input


def _load_submission(config: Config, program: bytes) -> tuple[object | None, Message, Container[str]]:
    """(module or None, load report, file names of its cells) after running the submission's cells."""
    import types

    import seen
    import statements
    import wire

    cells, keep_going = statements.parse_program(program)
    module = types.ModuleType(_SUBMISSION)
    module.__file__ = config["filename"]
    announce = lambda location: wire.write_all(  # noqa: E731
        config["response_fd"], wire.pack_message({"running": location}))
    runner = statements.Runner(module.__dict__, config["filename"], keep_going, announce)
    module.__dict__["__builtins__"] = _private_builtins(runner)
    sys.modules[_SUBMISSION] = module
    seen.watch(config["filename"])
    fatal = runner.run(cells)
    _flush_output()
    labels = runner.filenames()
    if fatal is not None:
        return None, {"ok": False, "error": _error_info(fatal, labels), "seen": seen.snapshot()}, labels
    return module, {"ok": True, "functions": _public_functions(module), "failures": runner.failures,
                    "more_failures": runner.more_failures, "inputs": runner.inputs,
                    "seen": seen.snapshot()}, labels


def _public_functions(module: object, *, _callable: Callable[[object], bool] = callable,
                      _kind: type[type] = type,
                      _subclass: Callable[[type, type], bool] = issubclass) -> list[str]:
    """Names of the submission's public callables, however bound: a def, a lambda, an alias of an
    imported function (``tanh = np.tanh``, ``from numpy import tanh``), a ``partial``, a callable
    object (``np.vectorize``, ``np.frompyfunc``). A class counts only when the submission defines
    it: an imported class (``from fractions import Fraction``) is a tool, not an answer.

    The builtins it uses are bound when this module loads: the submission may replace
    ``builtins.callable`` or ``issubclass`` before its functions are listed."""
    names = []
    for name, value in list(vars(module).items()):
        try:
            if _kind(name) is str and not name.startswith("_") and _callable(value) \
                    and (not _subclass(_kind(value), _kind)
                         or _kind.__getattribute__(value, "__module__") == _SUBMISSION):
                names.append(name)
        except BaseException:
            continue  # a hostile class whose attribute lookup raises
    return sorted(names)


_ERRORS_HELD = [False]
"""True during a call the grader asked to run under np.errstate(over/invalid/divide="raise")."""


def _hold_errors_raised() -> None:
    """Make numpy's error state of a watched call stay "raise" for overflow, invalid values and
    division by zero, even where the function itself enters ``np.errstate(all="ignore")`` or calls
    ``np.seterr``: both build their state through ``_make_extobj``, wrapped here before any student
    code runs. A numpy without that internal keeps the plain behaviour (the function may silence)."""
    try:
        from numpy._core import _ufunc_config
    except ImportError:
        return
    original = getattr(_ufunc_config, "_make_extobj", None)
    if original is None:
        return

    def held(**modes: Any) -> Any:
        if _ERRORS_HELD[0]:
            every = modes.pop("all", None)
            for kind in ("divide", "over", "under", "invalid"):
                if modes.get(kind) is None and every is not None:
                    modes[kind] = every
            modes.update(over="raise", invalid="raise", divide="raise")
        return original(**modes)

    setattr(_ufunc_config, "_make_extobj", held)  # noqa: B010  (a module attribute mypy cannot see)


_UNBOUND = object()
"""A substituted name the submission did not define (removed again after the call)."""


def _stand_in(name: str, request_id: int, config: Config) -> Callable[..., Any]:
    """What ``name`` is bound to during a call that substitutes it: it sends its arguments to the
    grader (a callback frame) and returns the value answered, so the grader's own function never
    enters this process, only the values it computes."""
    import wire

    request_fd, response_fd, max_bytes = config["request_fd"], config["response_fd"], config["max_frame_bytes"]

    def stand_in(*args: Any, **kwargs: Any) -> Any:
        wire.write_all(response_fd, wire.pack_message(wire.callback_request(request_id, name, args, kwargs)))
        answer = wire.unpack_payload(wire.read_frame(request_fd, max_bytes=max_bytes))
        return wire.callback_value(answer, request_id, name)

    stand_in.__name__ = stand_in.__qualname__ = name
    return stand_in


def _substitute(namespace: dict[str, Any], request: Message, config: Config) -> dict[str, Any]:
    """Bind every name the request substitutes to its stand-in; what each was bound to before."""
    names = request.get("substitute") or []
    before = {name: namespace.get(name, _UNBOUND) for name in names}
    for name in names:
        namespace[name] = _stand_in(name, request["id"], config)
    return before


def _restore(namespace: dict[str, Any], before: dict[str, Any]) -> None:
    """Give the substituted names back what they were bound to (a name that was unbound goes)."""
    for name, value in before.items():
        if value is _UNBOUND:
            namespace.pop(name, None)
        else:
            namespace[name] = value


def _run_call(module: object, request: Message, filenames: Container[str], config: Config) -> Message:
    """Run one requested call; the response message without its id.

    A watched call (``readonly``) gets its inputs back in the response
    (``inputs_after``), as they are after the call: the grader compares them
    with what it sent, outside the student's reach (see ``wire.CallOptions``).
    A call that substitutes functions (``substitute``) runs with their names
    bound to stand-ins that ask the grader (``_stand_in``), and bound back after.
    """
    import contextlib

    import numpy as np

    namespace = vars(module)
    function = namespace.get(request["function"])
    if not callable(function):
        error = {"type": "AttributeError", "traceback": "",
                 "message": f"the submission no longer defines {request['function']!r}"}
        return {"ok": False, "error": error}
    raising = request.get("errstate") == "raise"
    errstate = np.errstate(over="raise", invalid="raise", divide="raise") if raising else contextlib.nullcontext()
    args, kwargs = request["args"], request["kwargs"]
    before = _substitute(namespace, request, config)
    try:
        _ERRORS_HELD[0] = raising
        with errstate:
            value = function(*args, **kwargs)
    except BaseException as err:  # a SystemExit inside a call is the student's error too
        return {"ok": False, "error": _error_info(err, filenames)}
    finally:
        _ERRORS_HELD[0] = False
        _restore(namespace, before)
        _flush_output()
    if request.get("readonly") is True:
        return {"ok": True, "value": value, "inputs_after": [args, kwargs]}
    return {"ok": True, "value": value}


def _pack_response(request_id: int, response: Message, max_bytes: int) -> bytes:
    """The frame for ``response``, or a bad_result frame if it cannot be sent."""
    import wire
    from statements import safe_str

    try:
        frame: bytes = wire.pack_message({"id": request_id, **response})
        if len(frame) - 8 <= max_bytes:
            return frame
        reason = f"the result is too large to send ({len(frame) // 1024 // 1024} MiB)"
    except BaseException as err:  # UnsupportedValue, or student code failing in a conversion
        reason = f"the result cannot be sent to the grader: {safe_str(err)[:500]}"
    refusal: bytes = wire.pack_message({"id": request_id, "ok": False, "bad_result": reason})
    return refusal


def _serve(module: object, config: Config, filenames: Container[str]) -> None:
    """Answer call requests until the grader closes the request pipe. A response carries what the
    audit hook has seen (``seen``) when that changed since the last response that carried it: the
    grader keeps the latest it was sent."""
    import seen
    import wire

    request_fd, response_fd = config["request_fd"], config["response_fd"]
    sent_seen = None
    while True:
        try:
            request = wire.unpack_payload(wire.read_frame(request_fd))
        except wire.ChannelClosed:
            return
        response = _run_call(module, request, filenames, config)
        now_seen = seen.snapshot()
        if now_seen != sent_seen:
            response["seen"] = sent_seen = now_seen
        wire.write_all(response_fd, _pack_response(request["id"], response, config["max_frame_bytes"]))


def run_submission(config: Config, program: Callable[[], bytes],
                   confine: Callable[[Config], None] | None = None) -> None:
    """Confine this process, then report hello and load status and serve calls.

    ``program`` gives the submission's program file (``Program.to_json``); it is read after the
    seccomp filter is in place and before the hello frame. ``confine`` replaces the sandbox's
    confinement (``confine_in_sandbox``): the own-machine worker's caps and output (``own_machine``).
    """
    import wire

    (confine or confine_in_sandbox)(config)
    source = program()
    wire.write_all(config["response_fd"], wire.pack_message({"hello": "worker", "pid": os.getpid()}))
    module, report, filenames = _load_submission(config, source)
    wire.write_all(config["response_fd"], wire.pack_message(report))
    if module is not None:
        _serve(module, config, filenames)


def confine_in_sandbox(config: Config) -> None:
    """The sandbox's confinement: the process limit, the seccomp filter, output to fds 1 and 2."""
    _lower_process_limit(config)
    _install_seccomp()
    redirect_output()


def _read_file(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


_PR_SET_PDEATHSIG = 1


def run_forked(config: Config, fds: list[int], server: int) -> None:
    """A fork server's child (``forkserver``) becomes a fresh worker for one submission.

    ``fds`` are its request read end, response write end, stdout and stderr write ends;
    ``server`` is the pid of the fork server, whose death ends this process too. Every other
    inherited fd is closed and the submission's limits set before anything is read from the
    grader; the program arrives as the first frame on the request pipe.
    """
    import ctypes

    import numpy
    import wire

    request_fd, response_fd, out_fd, err_fd = fds
    os.setsid()
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, 9)  # SIGKILL
    if os.getppid() != server:  # the server died before the death signal was armed
        os._exit(1)
    os.dup2(out_fd, 1)
    os.dup2(err_fd, 2)
    _close_fds_except({0, 1, 2, request_fd, response_fd})
    apply_process_limits(config["limits"])
    numpy.random.seed()  # as a freshly started interpreter would be, not as the server's copy
    config = {**config, "request_fd": request_fd, "response_fd": response_fd}
    sys.argv = [os.path.abspath(__file__), json.dumps(config)]  # as a worker started on its own has it
    run_submission(config, lambda: wire.read_frame(request_fd, max_bytes=config["max_frame_bytes"]))


def apply_process_limits(limits: dict[str, int], *, strict: bool = True) -> list[str]:
    """The rlimits of one worker process (``SandboxLimits.process_limits``): address space, CPU
    time (the soft limit sends SIGXCPU, the hard one a second later is SIGKILL), file size, no
    core files, open files. Not ``strict`` (the own machine's worker), a limit the system refuses
    is left as it was; the names of those are returned."""
    import resource

    refused = []
    for name, soft, hard in (("RLIMIT_AS", limits["memory_bytes"], limits["memory_bytes"]),
                             ("RLIMIT_CPU", limits["cpu_seconds"], limits["cpu_seconds"] + 1),
                             ("RLIMIT_FSIZE", limits["file_bytes"], limits["file_bytes"]),
                             ("RLIMIT_CORE", 0, 0),
                             ("RLIMIT_NOFILE", limits["open_files"], limits["open_files"])):
        try:
            resource.setrlimit(getattr(resource, name), (int(soft), int(hard)))
        except (ValueError, OSError, AttributeError):
            if strict:
                raise
            refused.append(name)
    return refused


def _close_fds_except(keep: set[int]) -> None:
    for name in os.listdir("/proc/self/fd"):
        if int(name) not in keep:
            try:
                os.close(int(name))
            except OSError:
                pass  # the listing's own fd, already gone


def confine_scratch(config: Config) -> None:
    """A bubblewrap sandbox's /tmp with an inode limit, when the grader asks for one (``scratch``)."""
    limits = config.get("scratch")
    if limits is not None:
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import scratch

        scratch.confine_scratch(int(limits["bytes"]), int(limits["inodes"]))


def main(argv: list[str]) -> None:
    """Entry point of a worker started on its own: set up, then ``run_submission``."""
    config = json.loads(argv[1])
    confine_scratch(config)
    prepare_imports(config)
    run_submission(config, lambda: _read_program(config))


def _read_program(config: Config) -> bytes:
    """The program file the grader bound (``submission``), or, for a worker started before the
    grader had read the submission (``submission`` null), the first frame on the request pipe."""
    if config["submission"] is None:
        import wire

        program: bytes = wire.read_frame(config["request_fd"], max_bytes=config["max_frame_bytes"])
        return program
    return _read_file(config["submission"])


if __name__ == "__main__":
    main(sys.argv)
    # Skip interpreter teardown: student atexit hooks and __del__ methods must not run.
    os._exit(0)
