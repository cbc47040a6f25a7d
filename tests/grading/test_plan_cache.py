"""The calls of a passing run kept on disk (``plan_cache``): read back as they were kept, for the
suite they were kept for only, and no plan from a file that is not one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from autograder.grading import plan_cache
from autograder.sandbox import wire
from autograder.sandbox.session import CallPlan


def _suite(folder: Path, body: str = "def test_a(student):\n    pass\n") -> Path:
    folder.mkdir(parents=True)
    (folder / "test_a.py").write_text(body, encoding="utf-8")
    return folder


def _plan() -> CallPlan:
    frames = tuple(wire.pack_message(wire.call_request(i, name, [np.full(3, float(i))], {}))
                   for i, name in enumerate(["relu", "relu", "softmax"], start=1))
    return CallPlan(frames, frozenset({"relu", "softmax"}))


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("AUTOGRADER_CACHE", str(folder))
    return folder


def test_a_kept_plan_reads_back_frame_for_frame(tmp_path: Path, cache: Path) -> None:
    suite = _suite(tmp_path / "suite")
    assert plan_cache.load_plan(suite) is None
    plan_cache.save_plan(suite, _plan())
    assert plan_cache.load_plan(suite) == _plan()
    assert [p.parent.name for p in cache.rglob("*.plan")] == [plan_cache.FOLDER]


def test_a_plan_is_kept_for_its_suite_as_it_was(tmp_path: Path, cache: Path) -> None:
    suite = _suite(tmp_path / "suite")
    plan_cache.save_plan(suite, _plan())
    assert plan_cache.load_plan(_suite(tmp_path / "other", "def test_b(student):\n    pass\n")) is None
    (suite / "test_a.py").write_text("def test_a(student):\n    assert False\n", encoding="utf-8")
    assert plan_cache.load_plan(suite) is None  # an edited suite asks other calls


@pytest.mark.parametrize("damage", [lambda data: data[:-3], lambda data: b"junk" + data,
                                    lambda data: data.replace(b'["relu", "softmax"]', b'{"relu": 1}'),
                                    lambda data: b""], ids=["cut", "not-a-plan", "bad-header", "empty"])
def test_a_damaged_file_is_no_plan(tmp_path: Path, cache: Path, damage) -> None:
    suite = _suite(tmp_path / "suite")
    plan_cache.save_plan(suite, _plan())
    (kept,) = cache.rglob("*.plan")
    kept.write_bytes(damage(kept.read_bytes()))
    assert plan_cache.load_plan(suite) is None


def test_with_the_cache_off_nothing_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AUTOGRADER_CACHE", "off")
    suite = _suite(tmp_path / "suite")
    plan_cache.save_plan(suite, _plan())
    assert plan_cache.load_plan(suite) is None
    assert not list(tmp_path.rglob("*.plan"))
