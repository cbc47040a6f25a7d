"""What the submission attempted, seen by a PEP 578 audit hook in the sandboxed worker, counted.

``watch`` installs the hook just before the submission's cells run. From then on it counts, per
kind, the attempts a graded function has no business making, whether the sandbox then refused
them or not, and whether or not the student caught the refusal:

* ``files``: ``open`` of a path outside the allowed roots (the interpreter's and the libraries'
  own files, the submission's folder, the scratch ``/tmp``, ``/dev`` and the CPU facts numpy reads);
* ``listing``: ``os.listdir``/``os.scandir`` outside them;
* ``network``: ``socket.connect``/``bind``/``getaddrinfo``/``gethostbyname``;
* ``processes``: ``subprocess.Popen``, ``os.exec``, ``os.fork``, ``os.system``, ``os.posix_spawn``;
* ``ctypes``: any ``ctypes.*`` event (foreign calls bypass the Python-level checks).

``snapshot`` gives bounded counts and at most ``MAX_EXAMPLES`` short example paths. The worker runs
the student's code, so these counts are evidence for a person, never an input to a grade.
This module is copied into the sandbox and imports only the standard library.
"""

from __future__ import annotations

import os
import sys
from typing import Any

MAX_COUNT = 1_000_000
MAX_EXAMPLES = 3
MAX_EXAMPLE_CHARS = 80
_FIXED_ROOTS = ("/tmp", "/dev", "/proc/self", "/proc/cpuinfo", "/proc/meminfo", "/sys/devices/system/cpu",
                "/sys/fs/cgroup")
_EVENTS = {"open": "files", "os.listdir": "listing", "os.scandir": "listing",
           "socket.connect": "network", "socket.bind": "network", "socket.getaddrinfo": "network",
           "socket.gethostbyname": "network", "socket.gethostbyname_ex": "network",
           "subprocess.Popen": "processes", "os.exec": "processes", "os.fork": "processes",
           "os.forkpty": "processes", "os.system": "processes", "os.posix_spawn": "processes",
           "os.spawn": "processes"}

_counts: dict[str, int] = {}
_examples: list[str] = []


def allowed_roots(submission_file: str) -> tuple[str, ...]:
    """The folders the worker legitimately reads: its interpreter, its libraries and the submission's."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, *_FIXED_ROOTS,
             os.path.dirname(os.path.abspath(submission_file))}
    roots.update(os.path.abspath(entry) for entry in sys.path if entry)
    return tuple(sorted({root.rstrip("/") for root in roots} - {""}))  # "/" itself is never a root


def _outside(path: Any, roots: tuple[str, ...]) -> str | None:
    """``path`` made absolute when it lies outside every root, else None (file descriptors are inside)."""
    if isinstance(path, bytes):
        path = path.decode("utf-8", "replace")
    if not isinstance(path, str):
        return None
    full = os.path.normpath(os.path.abspath(path or "."))
    inside = any(full == root or full.startswith(root + "/") for root in roots)
    return None if inside else full


def _record(kind: str, example: str | None) -> None:
    _counts[kind] = min(_counts.get(kind, 0) + 1, MAX_COUNT)
    if example is not None and len(_examples) < MAX_EXAMPLES:
        clean = "".join(c if c.isprintable() else "?" for c in example)[:MAX_EXAMPLE_CHARS]
        if clean not in _examples:
            _examples.append(clean)


def watch(submission_file: str) -> None:
    """Install the audit hook (it stays for the life of the process)."""
    roots = allowed_roots(submission_file)

    def hook(event: str, args: tuple[Any, ...]) -> None:
        kind = _EVENTS.get(event) or ("ctypes" if event.startswith("ctypes.") else None)
        if kind is None:
            return
        try:
            if kind in ("files", "listing"):
                outside = _outside(args[0] if args else ".", roots)
                if outside is not None:
                    _record(kind, outside)
            else:
                _record(kind, None)
        except Exception:  # the hook must never break the call it watches
            pass

    sys.addaudithook(hook)


def snapshot() -> dict[str, Any]:
    """The counts so far and a few example paths, as plain data for the wire."""
    return {"counts": dict(_counts), "examples": list(_examples)}
