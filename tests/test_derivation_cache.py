"""Remembered derivations: derived once per kit and reference, found by later processes without
SymPy, the same candidates and reference values as derived afresh, and a bad file never trusted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.derivation_cache import DerivationCache, file_name
from reference.numeric_form import NumpyForm

REPO = Path(__file__).resolve().parent.parent

PROBE = r"""
import json, sys
import numpy as np
from autograder.assignment import find_course
import autograder.derivation_cache
from autograder.mutants.candidates import candidates
from reference.activations import LECTURE_ACTIVATIONS, get_activation

x = np.array([-30.0, -2.5, -1.0, -0.0, 0.0, 0.5, 1.0, 3.0, 40.0])
def values(function):
    args = (x,)
    if function == "softmax":
        args = (np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]]),)
    if function == "softmax_jacobian":
        args = (np.array([1.0, -2.0, 0.5]),)
    found = []
    for c in candidates(function, args, {}):
        with np.errstate(all="ignore"):
            try:
                out = np.asarray(c.function(*args), dtype=np.float64).ravel().tolist()
            except Exception as err:
                out = type(err).__name__
        found.append([c.tag, c.text, [list(a) for a in c.also], out])
    return found

report = {fn: values(fn) for fn in find_course().assignment("activations").functions}
for name in LECTURE_ACTIVATIONS:
    act = get_activation(name)
    report[name + "/f"] = act(x).tolist()
    report[name + "/df"] = act.grad(x).tolist()
    if act.has_output_identity:
        report[name + "/output"] = act.grad_from_output(np.array([0.1, 0.5, 0.9])).tolist()
print(json.dumps({"sympy": "sympy" in sys.modules, "report": report}))
"""

PREPARE = """
from autograder.assignment import find_course
from autograder.grading.warm import prepare_derivations
print(prepare_derivations(find_course().assignment("activations")))
"""


def _python(code: str, cache: str) -> str:
    env = {**os.environ, "AUTOGRADER_CACHE": cache, "AUTOGRADER_COURSE": str(REPO / "assignments")}
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.slow
def test_a_later_process_diagnoses_and_evaluates_without_sympy_and_exactly_as_derived_afresh(tmp_path: Path) -> None:
    cache = str(tmp_path / "cache")
    assert _python(PREPARE, cache) == "True"
    assert _python(PREPARE, cache) == "False", "prepared once per kit and reference"
    remembered = json.loads(_python(PROBE, cache))
    fresh = json.loads(_python(PROBE, "off"))
    assert remembered["sympy"] is False, "a process finding every derivation remembered imported SymPy"
    assert fresh["sympy"] is True
    assert remembered["report"].keys() == fresh["report"].keys()
    for key, value in fresh["report"].items():
        assert remembered["report"][key] == value, key


def _cache(monkeypatch: pytest.MonkeyPatch, folder: Path) -> DerivationCache:
    monkeypatch.setenv("AUTOGRADER_CACHE", str(folder))
    return DerivationCache()


def _counting(value: object) -> tuple[list[int], object]:
    calls: list[int] = []

    def derive() -> object:
        calls.append(1)
        return value
    return calls, derive


FORM = NumpyForm(("x", "alpha"), branches=(("alpha * expm1(x)", "less_equal(x, 0)"), ("x", "True")))
VALUE = {"found": [("", "", FORM), ("sign", "a sign", NumpyForm(("x",), body="-x"))], "naive": None,
         "power": ("text", NumpyForm(("y",), body="y ** 2"), 0.5), "n": 3, "ok": True}


def test_a_value_is_derived_once_and_read_back_equal_by_a_later_process(monkeypatch: pytest.MonkeyPatch,
                                                                          tmp_path: Path) -> None:
    calls, derive = _counting(VALUE)
    assert _cache(monkeypatch, tmp_path).remembered("key/one", derive) == VALUE
    assert _cache(monkeypatch, tmp_path).remembered("key/one", derive) == VALUE
    assert len(calls) == 1


def test_a_corrupt_foreign_or_tampered_file_is_derived_again_and_rewritten(monkeypatch: pytest.MonkeyPatch,
                                                                          tmp_path: Path) -> None:
    first = _cache(monkeypatch, tmp_path)
    first.remembered("key/two", lambda: VALUE)
    folder = first.folder()
    assert folder is not None
    path = folder / file_name("key/two")
    good = json.loads(path.read_text())
    tampered = json.loads(json.dumps(good).replace("alpha * expm1(x)", "__import__('os').getcwd()"))
    foreign = {**good, "version": "another reference"}
    for content in ("{not json", json.dumps(tampered), json.dumps(foreign), json.dumps({**good, "key": "key/other"})):
        path.write_text(content)
        calls, derive = _counting(VALUE)
        assert _cache(monkeypatch, tmp_path).remembered("key/two", derive) == VALUE
        assert len(calls) == 1, content[:60]
        assert json.loads(path.read_text()) == good


def test_a_value_that_is_no_plain_data_stays_in_memory_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    unprintable = NumpyForm(("x",), fallback=lambda v: v)
    for value in ({"form": unprintable}, {1, 2}):
        key = f"key/{type(value).__name__}"
        calls, derive = _counting(value)
        cache = _cache(monkeypatch, tmp_path)
        assert cache.remembered(key, derive) is value
        assert cache.remembered(key, derive) is value
        _cache(monkeypatch, tmp_path).remembered(key, derive)
        assert len(calls) == 2, "derived once per process"


def test_with_the_disk_cache_off_nothing_is_written_and_nothing_prepared(monkeypatch: pytest.MonkeyPatch,
                                                                         tmp_path: Path) -> None:
    monkeypatch.setenv("AUTOGRADER_CACHE", "off")
    cache = DerivationCache()
    assert cache.folder() is None
    assert cache.remembered("key/three", lambda: 3) == 3
    assert cache.prepared("label", lambda: pytest.fail("prepared without a disk cache")) is False


def test_prepared_runs_once_per_label(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    runs: list[str] = []
    assert _cache(monkeypatch, tmp_path).prepared("a", lambda: runs.append("a")) is True
    assert _cache(monkeypatch, tmp_path).prepared("a", lambda: runs.append("a")) is False
    assert _cache(monkeypatch, tmp_path).prepared("b", lambda: runs.append("b")) is True
    assert runs == ["a", "b"]


def test_preparing_keeps_the_newest_folders_of_other_versions_only(monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    from autograder.derivation_cache import FOLDER, KEPT_VERSIONS

    others = []
    for i in range(KEPT_VERSIONS + 2):
        folder = tmp_path / FOLDER / f"old{i}"
        folder.mkdir(parents=True)
        os.utime(folder, (1_000_000 + i, 1_000_000 + i))
        others.append(folder)
    cache = _cache(monkeypatch, tmp_path)
    assert cache.prepared("label", lambda: cache.remembered("key/four", lambda: 4)) is True
    current = cache.folder()
    assert current is not None and current.is_dir()
    kept = {p.name for p in (tmp_path / FOLDER).iterdir()}
    assert current.name in kept and len(kept) == KEPT_VERSIONS
    assert {f.name for f in others[-(KEPT_VERSIONS - 1):]} <= kept and others[0].name not in kept
