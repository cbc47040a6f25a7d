"""The adversarial corpus: hostile submissions and their honest twins.

Each ``HostileCase`` is the instructor's ``activations`` solution with a
hostile payload appended (module-level code runs at import; a ``def`` replaces
the solution's function). Its twin appends an honest payload with the same
wrong behaviour and no attack, so "the attack gained nothing" is testable as
"the hostile score equals the twin's score, test by test".
"""

from __future__ import annotations

import io
import json
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

WRONG_SIGMOID = """
def sigmoid(x):
    return np.asarray(x, dtype=np.float64)  # wrong on purpose: the identity
"""

RAISING_SIGMOID = """
def sigmoid(x):
    raise RuntimeError("sigmoid is broken")
"""

RAISING_IMPORT = """
raise RuntimeError("this statement fails at import")
"""

UNPARSABLE = """
def sigmoid(x:
    return x
"""
"""A file Python cannot parse: it never loads, so every test fails closed (the fate of a hung import)."""


@dataclass(frozen=True)
class HostileCase:
    """A hostile payload, the honest payload it must score like, and what it tries."""

    name: str
    payload: str
    twin: str
    attempt: str
    needs_bwrap: bool = False
    filename: str = "activations.py"

    def source(self, base: str, **context: object) -> str:
        return base + "\n" + self.payload.format(**context)

    def twin_source(self, base: str) -> str:
        return base + "\n" + self.twin


CASES: tuple[HostileCase, ...] = (
    HostileCase("builtins_overridden", """
import builtins
builtins.abs = lambda v: 0
builtins.all = lambda *a, **k: True
builtins.isinstance = lambda *a, **k: True
""" + WRONG_SIGMOID, WRONG_SIGMOID, "override abs/all/isinstance so comparisons always pass"),
    HostileCase("numpy_monkeypatched", """
np.allclose = lambda *a, **k: True
np.isclose = lambda *a, **k: np.True_
np.testing.assert_allclose = lambda *a, **k: None
np.array_equal = lambda *a, **k: True
""" + WRONG_SIGMOID, WRONG_SIGMOID, "make numpy's comparisons always succeed"),
    HostileCase("lying_object", """
class Liar:
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __sub__(self, other): return 0.0
    def __rsub__(self, other): return 0.0
    def __abs__(self): return 0.0
    def __lt__(self, other): return True
    def __le__(self, other): return True
    def __float__(self): return 0.5

def sigmoid(x):
    return Liar()
""", RAISING_SIGMOID, "return an object whose ==, - and abs() lie"),
    HostileCase("ndarray_subclass", """
class Sneaky(np.ndarray):
    def __eq__(self, other): return np.ones(np.shape(self), dtype=bool)
    def __sub__(self, other): return np.zeros(np.shape(self))
    def __abs__(self): return np.zeros(np.shape(self))

def sigmoid(x):
    return np.zeros(np.shape(x)).view(Sneaky)
""", """
def sigmoid(x):
    return np.zeros(np.shape(x))
""", "return an ndarray subclass with lying operators"),
    HostileCase("sys_exit_at_import", """
import sys
sys.exit(0)
""" + WRONG_SIGMOID, RAISING_IMPORT + WRONG_SIGMOID,
        "exit cleanly at import, hoping for an empty failure list or for the code after it to go ungraded"),
    HostileCase("os_exit_in_call", """
def sigmoid(x):
    import os
    os._exit(0)
""", RAISING_SIGMOID, "kill the worker from inside a call"),
    HostileCase("infinite_loop", """
def sigmoid(x):
    while True:
        pass
""", RAISING_SIGMOID, "hang a call forever"),
    HostileCase("sigterm_ignored_loop", """
import signal
signal.signal(signal.SIGTERM, signal.SIG_IGN)

def sigmoid(x):
    while True:
        pass
""", RAISING_SIGMOID, "hang with SIGTERM ignored"),
    HostileCase("sleep_at_import", """
import time
time.sleep(600)
""", UNPARSABLE, "hang the import"),
    HostileCase("forged_load_report", """
import json, os, sys, wire
_fake = {{"ok": True, "functions": ["sigmoid"], "failures": [{{"cell": 1, "line": 1}}] * 100000}}
try:
    wire.write_all(json.loads(sys.argv[1])["response_fd"], wire.pack_message(_fake))
except Exception:
    pass
os._exit(0)
""", UNPARSABLE, "send a forged load report (and a flood of notes) before the real one"),
    HostileCase("hides_its_notes", """
import gc
def _runner():
    for _candidate in gc.get_objects():
        if type(_candidate).__name__ == "Runner":
            return _candidate
_found = _runner()
if _found is not None:
    _found.failures.clear()
""" + WRONG_SIGMOID, WRONG_SIGMOID, "reach the statement runner and tamper with its report"),
    HostileCase("memory_bomb", """
def sigmoid(x):
    block = bytearray(64 * 2**30)
    return np.asarray(x, dtype=np.float64) * len(block)
""", RAISING_SIGMOID, "allocate 64 GiB"),
    HostileCase("fork_bomb", """
import os, subprocess, time
for _ in range(300):
    try:
        if os.fork() == 0:
            time.sleep(600)
            os._exit(0)
    except OSError:
        break
try:
    subprocess.Popen(["sleep", "600"])
except OSError:
    pass
""", "", "leave hundreds of sleeping children behind"),
    HostileCase("stdout_flood", """
import sys
sys.stdout.write("x" * 100_000_000)
sys.stdout.flush()
""", "", "print 100 MB to stall or exhaust the grader"),
    HostileCase("socket_to_loopback", """
import socket
try:
    with socket.create_connection(("127.0.0.1", {port}), timeout=2) as conn:
        conn.sendall(b"exfiltrated")
except OSError:
    pass
""", "", "reach a listener on the grading machine", needs_bwrap=True),
    HostileCase("reads_hidden_tests", """
LEAKED = None
for _path in {secret_paths!r}:
    try:
        with open(_path) as _handle:
            LEAKED = _handle.read()
    except OSError:
        pass

_solution_sigmoid = sigmoid

def sigmoid(x):
    if LEAKED:
        return _solution_sigmoid(x)
    return np.asarray(x, dtype=np.float64)
""", WRONG_SIGMOID, "read the hidden tests and the reference from disk", needs_bwrap=True),
    HostileCase("imports_the_kit", """
try:
    import reference
    import autograder
    KIT = reference
except ImportError:
    KIT = None

_solution_sigmoid = sigmoid

def sigmoid(x):
    if KIT is not None:
        return _solution_sigmoid(x)
    return np.asarray(x, dtype=np.float64)
""", WRONG_SIGMOID, "import reference / autograder for expected values", needs_bwrap=True),
    HostileCase("inspects_the_stack", """
import inspect

def sigmoid(x):
    for frame_info in inspect.stack():
        for key, value in frame_info.frame.f_locals.items():
            if key in ("expected", "want", "reference", "SIGMOID"):
                return value
    return np.asarray(x, dtype=np.float64)
""", WRONG_SIGMOID, "walk inspect.stack() for expected values"),
    HostileCase("writes_fake_results", """
import json, os
_fake = json.dumps({{"score": 1000, "max_score": 1, "tests": []}})
for _folder in {write_targets!r}:
    for _name in ("results.json", "grades.csv", "feedback.md"):
        try:
            os.makedirs(_folder, exist_ok=True)
            with open(os.path.join(_folder, _name), "w") as _handle:
                _handle.write(_fake)
        except OSError:
            pass
""" + WRONG_SIGMOID, WRONG_SIGMOID, "write a fake results.json or grades.csv wherever it can",
        needs_bwrap=True),
)
"""Hostile payloads appended to the solution."""

CASE_NAMES = tuple(case.name for case in CASES)


@dataclass(frozen=True)
class BrokenFile:
    """A submission that cannot be read or run at all, and what its error must say."""

    name: str
    filename: str
    content: bytes
    error_mentions: str


def notebook_with_metadata(metadata: object) -> bytes:
    """A notebook whose one code cell carries ``metadata`` verbatim (nbformat would refuse to build it)."""
    cell = {"cell_type": "code", "execution_count": None, "id": "c1", "metadata": metadata,
            "outputs": [], "source": "import numpy as np\n"}
    return json.dumps({"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


def doctored_zip(*, flag_bits: int = 0, method: int | None = None, garble: bool = False) -> bytes:
    """A zip holding ``activations.py``, then edited byte-wise the way a hostile archive would be:
    ``flag_bits`` (1 = encrypted) and ``method`` (compression) set in both headers, or the
    deflate stream overwritten with garbage."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("activations.py", "import numpy as np\n" * 50)
    data = bytearray(buffer.getvalue())
    central = data.find(b"PK\x01\x02")
    for flags_at, method_at in ((6, 8), (central + 8, central + 10)):
        struct.pack_into("<H", data, flags_at, struct.unpack_from("<H", data, flags_at)[0] | flag_bits)
        if method is not None:
            struct.pack_into("<H", data, method_at, method)
    if garble:
        start = 30 + len("activations.py")
        data[start:start + 8] = b"\xff" * 8
    return bytes(data)


BROKEN_FILES: tuple[BrokenFile, ...] = (
    BrokenFile("syntax_error", "activations.py", b"def sigmoid(x):\n    return (\n", "SyntaxError"),
    BrokenFile("non_utf8", "activations.py", b"def sigmoid(x):\n    return '\xff\xfe'\n", "UTF-8"),
    BrokenFile("broken_notebook", "activations.ipynb", b'{"cells": [{"cell_type": "code", ', "notebook"),
    BrokenFile("empty_zip", "activations.zip", b"PK\x05\x06" + b"\x00" * 18, "no .py or .ipynb"),
    # Files that made the readers raise something other than SubmissionError, which once
    # aborted the whole batch (no grades.csv, every later student lost):
    BrokenFile("nbgrader_metadata_is_a_string", "activations.ipynb",
               notebook_with_metadata({"nbgrader": "grade me"}), "nbgrader metadata"),
    BrokenFile("tags_not_a_list", "activations.ipynb", notebook_with_metadata({"tags": 5}), "tags"),
    BrokenFile("encrypted_zip", "activations.zip", doctored_zip(flag_bits=1), "encrypted"),
    BrokenFile("compression_method_99", "activations.zip", doctored_zip(method=99), "compression method"),
    BrokenFile("corrupt_deflate_stream", "activations.zip", doctored_zip(garble=True), "corrupt"),
)
MALFORMED = BROKEN_FILES[4:]
"""The readers' unforeseen failures (each once a crash of the whole batch)."""


def write_submission(folder: Path, student: str, source: str, suffix: str = ".py") -> Path:
    """Write ``source`` as ``folder/student<suffix>`` and return the path."""
    path = folder / f"{student}{suffix}"
    path.write_text(source, encoding="utf-8")
    return path
