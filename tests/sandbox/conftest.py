"""Shared helpers for the sandbox tests: every test drives REAL worker processes."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from autograder.sandbox import SandboxLimits, SandboxSession, sandbox_kind, sandbox_kind_reason
from autograder.sandbox.program import Program
from autograder.sandbox.warm_sandbox import start_warm_sandbox, stop_warm_sandbox

# Tight defaults keep hostile tests fast; individual tests override as needed.
FAST_LIMITS = SandboxLimits(call_timeout_s=5.0, import_timeout_s=10.0)

requires_bwrap = pytest.mark.skipif(
    sandbox_kind() != "bwrap",
    reason=f"isolation guarantee only holds under bubblewrap ({sandbox_kind_reason()})")


def source(text: str) -> str:
    """Dedented submission source, so tests can indent it naturally."""
    return textwrap.dedent(text).lstrip("\n")


@pytest.fixture(params=["cold", "warm"])
def sandbox_start(request: pytest.FixtureRequest) -> Iterator[str]:
    """How workers start: "cold" (a sandbox each) or "warm" (forked by this process's warm
    sandbox, as a grading pool's are), so every guarantee is checked both ways."""
    if request.param == "warm":
        if sandbox_kind() != "bwrap":
            pytest.skip(f"a warm sandbox needs bubblewrap ({sandbox_kind_reason()})")
        start_warm_sandbox(FAST_LIMITS)
    yield request.param
    stop_warm_sandbox()


@pytest.fixture
def make_session(sandbox_start: str) -> Iterator[Callable[..., SandboxSession]]:
    """Factory ``make_session(src, **limit_overrides)`` (``src`` a source text or a ``Program``);
    closes every session and checks that none of its processes survived."""
    sessions: list[SandboxSession] = []

    def factory(src: str | Program, *, kind: Any = None, filename: str = "submission.py",
                **overrides: Any) -> SandboxSession:
        program = src if isinstance(src, Program) else source(src)
        session = SandboxSession(program, filename=filename, kind=kind,
                                 limits=replace(FAST_LIMITS, **overrides))
        sessions.append(session)
        session.start()
        return session

    yield factory
    for session in sessions:
        session.close()
        assert session.leftover_pids() == []
