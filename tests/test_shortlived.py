"""``autograder.shortlived``: garbage collection for a command that exits once it is done."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import weakref
from pathlib import Path

import pytest

from autograder.shortlived import BLAS_TIMEOUT_ENV, YOUNG_THRESHOLD, idle_blas_threads_sleep, rare_collections


def test_rare_collections_raises_the_young_threshold_only_inside_the_block() -> None:
    before = gc.get_threshold()
    with rare_collections():
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *before[1:])
    assert gc.get_threshold() == before


def test_garbage_the_block_built_waits_for_the_next_full_collection() -> None:
    class Cycle:
        def __init__(self) -> None:
            self.me = self

    with rare_collections():
        cycle = Cycle()
        ref = weakref.ref(cycle)
        del cycle
    assert gc.get_freeze_count() == 0
    gc.collect(0)
    assert ref() is not None  # in the oldest generation now: a young collection leaves it
    gc.collect()
    assert ref() is None


def test_thresholds_come_back_when_the_block_raises() -> None:
    before = gc.get_threshold()
    try:
        with rare_collections():
            raise KeyError("x")
    except KeyError:
        pass
    assert gc.get_threshold() == before


def test_objects_frozen_by_someone_else_stay_frozen() -> None:
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with rare_collections():
            pass
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


def test_idle_blas_threads_sleep_sets_the_shortest_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(BLAS_TIMEOUT_ENV, raising=False)
    idle_blas_threads_sleep()
    assert os.environ[BLAS_TIMEOUT_ENV] == "4"


def test_a_timeout_set_in_the_environment_stays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BLAS_TIMEOUT_ENV, "20")
    idle_blas_threads_sleep()
    assert os.environ[BLAS_TIMEOUT_ENV] == "20"


def test_exit_now_runs_the_exit_handlers_flushes_and_keeps_the_status(tmp_path: Path) -> None:
    marker = tmp_path / "handler-ran"
    program = ("import atexit, pathlib, sys\n"
               "from autograder.shortlived import exit_now\n"
               f"atexit.register(pathlib.Path({str(marker)!r}).write_text, 'yes')\n"
               "sys.stdout.write('unflushed line')\n"
               "exit_now(3)\n"
               "print('never')\n")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 3 and done.stdout == "unflushed line" and marker.read_text() == "yes"
