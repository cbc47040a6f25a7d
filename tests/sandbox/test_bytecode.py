"""The sandbox modules' bytecode: compiled once into the kit's cache, and never trusted over the source."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.sandbox.bytecode import _compiled, bytecode_binds, compiled_name
from autograder.sandbox.host import SANDBOX_MODULES


def test_each_module_is_compiled_once_and_bound_where_the_sandbox_interpreter_looks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOGRADER_CACHE", str(tmp_path / "cache"))
    binds = bytecode_binds(SANDBOX_MODULES, "/sandbox")
    assert [target for _, target in binds] == [f"/sandbox/__pycache__/{compiled_name(n)}" for n in SANDBOX_MODULES]
    written = {source: os.stat(source).st_mtime_ns for source, _ in binds}
    assert bytecode_binds(SANDBOX_MODULES, "/sandbox") == binds  # found, not compiled again
    assert {source: os.stat(source).st_mtime_ns for source, _ in binds} == written


def test_nothing_is_bound_with_the_cache_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOGRADER_CACHE", "off")
    assert bytecode_binds(SANDBOX_MODULES, "/sandbox") == []


def _import_probe(folder: Path) -> subprocess.CompletedProcess[str]:
    """``probe`` imported as the sandbox's interpreter imports its modules (isolated, no bytecode written)."""
    code = f"import sys; sys.path.insert(0, {str(folder)!r}); import probe; print(probe.VALUE)"
    return subprocess.run([sys.executable, "-I", "-B", "-v", "-c", code], capture_output=True, text=True, check=True)


def test_bytecode_is_read_beside_its_source_and_never_run_for_other_source(tmp_path: Path) -> None:
    """Checked-hash bytecode: the compiled file is what the interpreter loads, but one compiled from
    other source (stale, or planted) under the name it looks for is ignored: the source runs."""
    folder = tmp_path / "sandbox"
    (folder / "__pycache__").mkdir(parents=True)
    module = folder / "probe.py"
    module.write_text("VALUE = 'old'\n", encoding="utf-8")
    compiled = _compiled(module, "/sandbox/probe.py", tmp_path / "cache")
    assert compiled is not None
    shutil.copy(compiled, folder / "__pycache__" / compiled_name("probe.py"))
    loaded_from_bytecode = f"{compiled_name('probe.py')} matches {module}"
    fresh = _import_probe(folder)
    assert fresh.stdout.strip() == "old" and loaded_from_bytecode in fresh.stderr

    module.write_text("VALUE = 'new'\n", encoding="utf-8")
    stale = _import_probe(folder)
    assert stale.stdout.strip() == "new" and loaded_from_bytecode not in stale.stderr
