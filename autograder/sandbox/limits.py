"""The sandbox's vocabulary: its kinds, the limits one worker runs under, and its own failure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from autograder.limits import CALL_TIMEOUT_S, CPU_SECONDS, IMPORT_TIMEOUT_S, MEMORY_MB, MIB

SandboxKind = Literal["bwrap", "fallback"]
NOBODY = 65534
KIND_ENV = "AUTOGRADER_SANDBOX"  # operator override: "bwrap" or "fallback"


class SandboxUnavailable(RuntimeError):
    """The sandbox itself cannot run (a grader-side problem, not the student's)."""


@dataclass(frozen=True)
class SandboxLimits:
    """Per-submission limits. Times in seconds, sizes in bytes.

    ``startup_timeout_s`` bounds the sandbox coming up BEFORE any student code
    runs (it cannot be stretched by the student, so it is generous: a busy
    machine must not turn into a student's import timeout);
    ``import_timeout_s`` starts when the worker reports it is up.

    ``memory_bytes`` is the address-space limit of the worker (numpy and
    OpenBLAS need about 250 MiB of it); ``cpu_seconds`` is the CPU time a
    single worker process may burn before SIGXCPU; ``output_bytes`` is how much
    of stdout and of stderr is kept; ``max_frame_bytes`` bounds one message.

    ``scratch_bytes`` and ``scratch_inodes`` bound the worker's /tmp (a tmpfs): its size, and how
    many files and folders it may hold, which also bounds the time a warm sandbox takes to empty
    it between submissions. bubblewrap alone cannot limit inodes: see ``scratch.py``.
    """

    call_timeout_s: float = CALL_TIMEOUT_S
    import_timeout_s: float = IMPORT_TIMEOUT_S
    startup_timeout_s: float = 60.0
    memory_bytes: int = MEMORY_MB * MIB
    cpu_seconds: int = CPU_SECONDS
    output_bytes: int = 64 * 1024
    max_frame_bytes: int = 64 * 1024 * 1024
    file_bytes: int = 8 * 1024 * 1024
    scratch_bytes: int = 32 * 1024 * 1024
    scratch_inodes: int = 4096
    open_files: int = 256
    processes: int = 256

    def scratch(self) -> dict[str, int]:
        """The /tmp a bubblewrap worker sets up for itself (``scratch.confine_scratch``), as plain data."""
        return {"bytes": self.scratch_bytes, "inodes": self.scratch_inodes}

    def process_limits(self) -> dict[str, int]:
        """What ``worker.apply_process_limits`` sets in a worker process, as plain data (a warm
        sandbox's server receives it over its control socket)."""
        return {"memory_bytes": self.memory_bytes, "cpu_seconds": self.cpu_seconds,
                "file_bytes": self.file_bytes, "open_files": self.open_files}
