"""What a worker prints: drained from its pipes (or, on the own machine, sockets) by threads, the first bytes kept."""

from __future__ import annotations

import os
import select
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO


@dataclass(frozen=True)
class PrintedUpTo:
    """A point in what was captured: the bytes kept and dropped of each stream so far."""

    stdout_kept: int = 0
    stderr_kept: int = 0
    stdout_dropped: int = 0
    stderr_dropped: int = 0


@dataclass(frozen=True)
class CapturedOutput:
    """What the submission printed: the first bytes of each stream, decoded."""

    stdout: str
    stderr: str
    stdout_dropped: int = 0
    stderr_dropped: int = 0


class OutputCapture:
    """Keeps the first ``limit`` bytes of each stream across worker restarts.

    Drainer threads read pipes to EOF and discard whatever exceeds the limit,
    so a flood of prints can neither block the worker nor fill our memory.
    """

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._lock = threading.Lock()
        self._kept = {"stdout": bytearray(), "stderr": bytearray()}
        self._dropped = {"stdout": 0, "stderr": 0}
        self._pending: list[int] = []
        self._busy: set[int] = set()
        self._held: dict[str, bytearray] | None = None  # while ``hold`` is on: what was printed since
        self._held_dropped = {"stdout": 0, "stderr": 0}

    def drain(self, name: str, stream: IO[bytes]) -> threading.Thread:
        """Start a daemon thread copying ``stream`` into the ``name`` buffer until EOF."""
        fd = stream.fileno()
        with self._lock:
            self._pending.append(fd)
        thread = threading.Thread(target=self._pump, args=(name, stream, fd), daemon=True,
                                  name=f"sandbox-{name}")
        thread.start()
        return thread

    def drain_blocking(self, name: str, fd: int, read: Callable[[int], bytes]) -> threading.Thread:
        """``drain`` for a channel that cannot be polled (a socket on Windows): ``read(n)`` blocks
        until some bytes (or b"" at the end) arrive. ``fd`` is only what ``settle`` asks about."""
        with self._lock:
            self._pending.append(fd)
        thread = threading.Thread(target=self._pump_blocking, args=(name, fd, read), daemon=True,
                                  name=f"sandbox-{name}")
        thread.start()
        return thread

    def _keep(self, name: str, chunk: bytes) -> None:
        """Keep what fits of ``chunk`` under the limit; count the rest as dropped. Hold the lock."""
        kept, dropped = (self._kept, self._dropped) if self._held is None else (self._held, self._held_dropped)
        room = max(0, self._limit - len(kept[name]))
        kept[name] += chunk[:room]
        dropped[name] += max(0, len(chunk) - room)

    def _pump(self, name: str, stream: IO[bytes], fd: int) -> None:
        waiting = select.poll()
        waiting.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
        try:
            while True:
                waiting.poll()
                with self._lock:  # marked before the read: settle() never sees a chunk in no one's hands
                    self._busy.add(fd)
                try:
                    chunk = os.read(fd, 65536)
                    with self._lock:
                        self._keep(name, chunk)
                finally:
                    with self._lock:
                        self._busy.discard(fd)
                if not chunk:
                    break
        except OSError:
            pass
        finally:
            with self._lock:
                self._pending.remove(fd)
            stream.close()

    def _pump_blocking(self, name: str, fd: int, read: Callable[[int], bytes]) -> None:
        try:
            while chunk := read(65536):
                with self._lock:
                    self._keep(name, chunk)
        except OSError:
            pass
        finally:
            with self._lock:
                self._pending.remove(fd)

    def settle(self, timeout: float = 0.5) -> None:
        """Wait (briefly) until the pipes hold no unread bytes and no read is being kept, so a
        snapshot is current."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and (self._reading() or any(_unread_bytes(fd) for fd in self._pending_fds())):
            time.sleep(0.005)

    def _reading(self) -> bool:
        with self._lock:
            return bool(self._busy)

    def _pending_fds(self) -> list[int]:
        with self._lock:
            return list(self._pending)

    def printed_up_to(self) -> PrintedUpTo:
        """Where what was captured ends now (``settle`` first, for the pipes' last bytes)."""
        with self._lock:
            return PrintedUpTo(len(self._kept["stdout"]), len(self._kept["stderr"]),
                               self._dropped["stdout"], self._dropped["stderr"])

    def hold(self) -> None:
        """Set what is printed from now on aside, until ``release``: a worker replaying calls prints
        again what the calls printed before."""
        with self._lock:
            self._held = {"stdout": bytearray(), "stderr": bytearray()}
            self._held_dropped = {"stdout": 0, "stderr": 0}

    def release(self, instead_of: PrintedUpTo | None) -> None:
        """End ``hold`` (``settle`` first). With ``instead_of``, what was held replaces what was
        captured since that point; without, it is forgotten."""
        with self._lock:
            held, self._held = self._held, None
            if held is None or instead_of is None:
                return
            for name in ("stdout", "stderr"):
                del self._kept[name][getattr(instead_of, f"{name}_kept"):]
                self._dropped[name] = getattr(instead_of, f"{name}_dropped")
                self._keep(name, bytes(held[name]))
                self._dropped[name] += self._held_dropped[name]

    def snapshot(self) -> CapturedOutput:
        """The output kept so far, decoded as UTF-8 with replacement characters."""
        with self._lock:
            out, err = (bytes(self._kept[n]).decode("utf-8", "replace") for n in ("stdout", "stderr"))
            return CapturedOutput(out, err, self._dropped["stdout"], self._dropped["stderr"])


def _unread_bytes(fd: int) -> int:
    """Bytes waiting in a pipe or socket (FIONREAD); 0 once the fd is closed, or where there is
    no FIONREAD (Windows: ``settle`` then waits only for reads in progress)."""
    import array

    try:
        import fcntl
        import termios
    except ImportError:
        return 0
    count = array.array("i", [0])
    try:
        fcntl.ioctl(fd, termios.FIONREAD, count)
    except OSError:
        return 0
    return count[0]


