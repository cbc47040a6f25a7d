"""The bubblewrap command, and how the kind of sandbox is chosen."""

from __future__ import annotations

import shutil

import pytest

from autograder.sandbox import bwrap
from autograder.sandbox.host import PROJECT_ROOT, SITE_DIR, WORK_DIR, host_paths
from autograder.sandbox.limits import KIND_ENV, NOBODY, SandboxLimits


def test_the_command_unshares_everything_and_writes_only_to_a_sized_tmpfs() -> None:
    argv = bwrap.bwrap_argv(host_paths(), [("/etc/hostname", "/sandbox/extra")], SandboxLimits(scratch_bytes=1234))
    assert argv[0] == "bwrap" and "--unshare-all" in argv and "--die-with-parent" in argv
    assert argv[argv.index("--uid") + 1] == argv[argv.index("--gid") + 1] == str(NOBODY)
    assert "--clearenv" in argv
    size = argv.index("--size")
    assert argv[size + 1:size + 4] == ["1234", "--tmpfs", WORK_DIR]
    binds = [argv[i + 1:i + 3] for i, arg in enumerate(argv) if arg == "--bind"]
    assert binds == [], "nothing of the host is writable inside"
    assert ["/etc/hostname", "/sandbox/extra"] in [argv[i + 1:i + 3] for i, a in enumerate(argv) if a == "--ro-bind"]
    assert all(target.startswith(SITE_DIR) for source, target in
               (argv[i + 1:i + 3] for i, a in enumerate(argv) if a == "--ro-bind") if "site-packages" in source)
    assert argv[argv.index("HOME") + 1] == WORK_DIR
    sources = [argv[i + 1] for i, a in enumerate(argv) if a == "--ro-bind"]
    kit = (f"{PROJECT_ROOT}/autograder", f"{PROJECT_ROOT}/assignments")
    assert not any(source == str(PROJECT_ROOT) or source.startswith(kit) for source in sources), \
        "no kit, no hidden tests"


def test_fallback_forced_by_the_operator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KIND_ENV, "fallback")
    assert bwrap.presumed_kind() == bwrap.sandbox_kind() == "fallback"


def test_without_bwrap_on_path_the_fallback_is_presumed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KIND_ENV, raising=False)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert bwrap.presumed_kind() == "fallback"


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_bwrap_is_presumed_before_its_self_test_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KIND_ENV, raising=False)
    bwrap.bwrap_self_test.cache_clear()
    assert bwrap.presumed_kind() == "bwrap"
    assert bwrap.bwrap_self_test.cache_info().currsize == 0, "no self-test was run to presume"
