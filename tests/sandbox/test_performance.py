"""Measured costs of the sandbox: worker start-up and per-call round trip."""

from __future__ import annotations

import statistics
import time

import numpy as np
import pytest

from autograder.sandbox import SandboxSession, sandbox_kind

TRIVIAL = "import numpy as np\ndef scale(x):\n    return 2.0 * x\n"


def _start_seconds() -> float:
    """Spawn to load report for a trivial submission that imports numpy."""
    started = time.monotonic()
    with SandboxSession(TRIVIAL) as session:
        assert session.loaded.ok
        return time.monotonic() - started


@pytest.mark.slow
def test_start_time_and_call_latency(capsys: pytest.CaptureFixture[str]) -> None:
    sandbox_kind()  # the one-off bwrap self-test is not part of a worker's start
    starts = [_start_seconds() for _ in range(5)]
    with SandboxSession(TRIVIAL) as session:
        x = np.random.default_rng(0).random(1000)
        np.testing.assert_allclose(session.call("scale", (x,)), 2 * x)
        latencies = []
        for _ in range(200):
            tick = time.perf_counter()
            session.call("scale", (x,))
            latencies.append(time.perf_counter() - tick)
    median_ms = statistics.median(latencies) * 1000
    with capsys.disabled():
        print(f"\n[sandbox {sandbox_kind()}] worker start (spawn to load report, numpy imported): "
              f"median {statistics.median(starts) * 1000:.0f} ms, first {starts[0] * 1000:.0f} ms; "
              f"call round trip, 1000-element float64 array: median {median_ms:.2f} ms, "
              f"p95 {np.percentile(latencies, 95) * 1000:.2f} ms")
    assert statistics.median(starts) < 5.0
    assert median_ms < 50.0
