"""The expectation cache behind ``derive``: hits never call the reference, and
what comes back from memory or disk is exactly what the reference returned."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autograder.suite import expect
from autograder.suite import expectation_cache as cache
from autograder.suite.expect import derive, save_expectations
from reference.activations import Activation, get_activation
from reference.guidance import recommended_activation
from reference.softmax import softmax

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
X = np.array([-2.0, -0.0, 0.5, 3.0])


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh in-memory cache (as in a new process) over an empty cache folder."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("AUTOGRADER_CACHE", str(folder))
    monkeypatch.setattr(expect, "CACHE", cache.ExpectationCache(save_at_exit=False))
    yield folder


def new_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget the in-memory values, as a fresh process would (the files stay)."""
    monkeypatch.setattr(expect, "CACHE", cache.ExpectationCache(save_at_exit=False))


def counted(fn: Callable[..., Any], calls: list[Any]) -> Callable[..., Any]:
    """``fn`` itself to ``derive`` (same module and name, so the same key), counting calls."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return fn(*args, **kwargs)

    return wrapper


@pytest.fixture
def activation_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every evaluation of any activation (value, df/dx or df/dparam), by activation name."""
    calls: list[str] = []
    real = Activation._call

    def counting(self: Activation, which: str, values: Any, params: dict[str, float]) -> Any:
        calls.append(self.name)
        return real(self, which, values, params)

    monkeypatch.setattr(Activation, "_call", counting)
    return calls


def suite_file(folder: Path) -> Path:
    """The cache file of this test folder (where every ``derive`` here comes from)."""
    return cache.cache_file(HERE, folder)


def test_a_solution_run_is_marked_saved_only_once_its_values_are_on_disk(
        cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A warm grading process skips the solution run when an earlier one saved every value it
    derived (``autograder.grading.warm``); a value still in memory only keeps the mark off."""
    suite_key = repr((("test_x.py", 10, 1),))
    derive(get_activation("tanh").__call__, X)
    cache.mark_solution_values_saved(suite_key, expect.CACHE)
    assert not cache.solution_values_saved(suite_key)
    save_expectations()
    cache.mark_solution_values_saved(suite_key, expect.CACHE)
    assert cache.solution_values_saved(suite_key)
    assert not cache.solution_values_saved(repr((("test_x.py", 11, 1),)))  # an edited suite runs it again
    monkeypatch.setenv("AUTOGRADER_CACHE", "off")
    assert not cache.solution_values_saved(suite_key)


# ------------------------------------------------------------------ in memory


def test_a_second_derive_with_equal_inputs_does_not_call_the_function(
        cache_dir: Path, activation_calls: list[str]) -> None:
    first = derive(get_activation("elu").grad, X.copy(), alpha=0.5)
    second = derive(get_activation("elu").grad, X.copy(), alpha=0.5)
    assert activation_calls == ["elu"]
    assert np.array_equal(first.value, second.value)
    assert second.derived_from == first.derived_from == "reference.activations.Activation.grad"


def test_a_plain_reference_function_is_remembered_too(cache_dir: Path) -> None:
    calls: list[Any] = []
    fn = counted(softmax, calls)
    z = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]])
    first = derive(fn, z, axis=0)
    second = derive(fn, z.copy(), axis=0)
    assert len(calls) == 1
    assert np.array_equal(first.value, second.value)


@pytest.mark.parametrize("other", [
    pytest.param(lambda: derive(get_activation("elu").grad, X.copy(), alpha=0.25), id="another-kwarg"),
    pytest.param(lambda: derive(get_activation("elu").grad, X.copy()), id="no-kwarg"),
    pytest.param(lambda: derive(get_activation("elu").grad, X[::-1].copy(), alpha=0.5), id="other-values"),
    pytest.param(lambda: derive(get_activation("elu").grad, X.reshape(2, 2), alpha=0.5), id="other-shape"),
    pytest.param(lambda: derive(get_activation("elu").grad, X.astype(np.float32), alpha=0.5), id="other-dtype"),
    pytest.param(lambda: derive(get_activation("elu"), X.copy(), alpha=0.5), id="value-not-slope"),
    pytest.param(lambda: derive(get_activation("leaky_relu").grad, X.copy(), alpha=0.5), id="other-activation"),
    pytest.param(lambda: derive(get_activation("elu").grad, 3.0, alpha=0.5), id="float-not-array"),
])
def test_any_other_input_misses(cache_dir: Path, activation_calls: list[str], other: Callable[[], Any]) -> None:
    derive(get_activation("elu").grad, X.copy(), alpha=0.5)
    other()
    assert len(activation_calls) == 2


def test_an_int_and_a_float_are_different_inputs(cache_dir: Path, activation_calls: list[str]) -> None:
    ints = derive(get_activation("relu"), 3)
    floats = derive(get_activation("relu"), 3.0)
    assert len(activation_calls) == 2
    assert np.array_equal(ints.value, floats.value)


def test_a_mutated_value_does_not_change_the_next_hit(cache_dir: Path) -> None:
    first = derive(get_activation("sigmoid"), X.copy())
    want = first.value.copy()
    first.value[:] = 7.0
    second = derive(get_activation("sigmoid"), X.copy())
    assert np.array_equal(second.value, want)
    second.value[:] = 8.0
    assert np.array_equal(derive(get_activation("sigmoid"), X.copy()).value, want)


def test_a_mutated_container_does_not_change_the_next_hit(cache_dir: Path) -> None:
    params = {p: 0.1 * i for i, p in enumerate(("w1", "w2", "w3", "w4", "w5", "b1", "b2", "b3", "b4"))}
    from reference import network

    first = derive(network.backward, params, 0.5, 1.0, "sigmoid").value
    want = dict(first)
    first["w1"] = 99.0
    del first["b4"]
    assert same(derive(network.backward, dict(params), 0.5, 1.0, "sigmoid").value, want)


def test_arguments_that_are_not_plain_data_are_not_remembered(cache_dir: Path) -> None:
    calls: list[Any] = []
    fn = counted(recommended_activation, calls)

    class Task(str):
        """A str subclass could compare equal and still behave differently."""

    derive(fn, Task("binary"), "output")
    derive(fn, Task("binary"), "output")
    assert len(calls) == 2


def test_values_that_are_not_plain_data_are_recomputed(cache_dir: Path) -> None:
    calls: list[Any] = []

    @functools.wraps(recommended_activation)
    def as_set(task: str, layer: str) -> set[str]:
        calls.append(task)
        return {recommended_activation(task, layer)}

    assert derive(as_set, "binary", "output").value == {"sigmoid"}
    assert derive(as_set, "binary", "output").value == {"sigmoid"}
    assert len(calls) == 2


def test_lambdas_and_nested_functions_have_no_stable_name() -> None:
    def nested(x: float) -> float:
        return x

    nested.__module__ = "reference.softmax"
    assert cache.function_identity(nested) is None
    assert cache.function_identity(softmax) == "reference.softmax.softmax"
    assert cache.function_identity(get_activation("elu").grad) == "reference.activations.Activation.grad@elu"
    assert cache.function_identity(get_activation("elu")) == "reference.activations.Activation.__call__@elu"


# ------------------------------------------------------------------ values round-trip exactly


ROUND_TRIPS = [
    pytest.param(np.array([0.0, -0.0, 5e-324, -2.2250738585072014e-308, 1 / 3, np.inf, -np.inf, 1e308]),
                 id="float64-specials"),
    pytest.param(np.arange(6, dtype=np.float64).reshape(2, 3) / 7, id="float64-2d"),
    pytest.param(np.asfortranarray(np.arange(6, dtype=np.float64).reshape(2, 3) / 7), id="fortran-order"),
    pytest.param(np.array(1e-300), id="float64-0d"),
    pytest.param(np.zeros((0, 3)), id="empty"),
    pytest.param(np.array([1, -2], dtype=np.int64), id="int64"),
    pytest.param(np.array([True, False]), id="bool-array"),
    pytest.param(np.float64(0.1), id="numpy-scalar"),
    pytest.param(0.1 + 0.2, id="float"),
    pytest.param(-0.0, id="negative-zero"),
    pytest.param(2**80, id="big-int"),
    pytest.param(True, id="bool"),
    pytest.param(None, id="none"),
    pytest.param("sigmoid ∘ σ'", id="str"),
    pytest.param(({"w1": 0.25, "b1": -1e-17}, [1.5, 2.5, np.array([3.0])]), id="train-like-tuple"),
    pytest.param({("a", 1): [(), [()]], 2: "x"}, id="nested-keys"),
]


def same(a: Any, b: Any) -> bool:
    """Equal bit for bit, with the same types all the way down."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, (float, np.generic)):
        return np.asarray(a).tobytes() == np.asarray(b).tobytes()
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


@pytest.mark.parametrize("value", ROUND_TRIPS)
def test_values_round_trip_exactly_through_json(value: Any) -> None:
    back = cache.decode(json.loads(json.dumps(cache.encode(value))))
    assert same(back, value)


def test_nan_round_trips_as_nan() -> None:
    back = cache.decode(json.loads(json.dumps(cache.encode(np.array([np.nan, 1.0])))))
    assert np.isnan(back[0]) and back.dtype == np.float64
    assert np.isnan(cache.decode(cache.encode(float("nan"))))


def test_decoded_arrays_are_writable_copies() -> None:
    data = cache.encode(np.array([1.0, 2.0]))
    first, second = cache.decode(data), cache.decode(data)
    first[0] = 5.0
    assert np.array_equal(second, np.array([1.0, 2.0]))


@pytest.mark.parametrize("value", [
    pytest.param(np.array([object()]), id="object-array"),
    pytest.param({1, 2}, id="set"),
    pytest.param([1.0, 1j], id="complex-python"),
    pytest.param(get_activation("elu"), id="object"),
])
def test_anything_else_is_not_encodable(value: Any) -> None:
    with pytest.raises(cache._Unsupported):
        cache.encode(value)


# ------------------------------------------------------------------ on disk


def test_a_fresh_process_reads_the_values_from_disk(
        cache_dir: Path, monkeypatch: pytest.MonkeyPatch, activation_calls: list[str]) -> None:
    first = derive(get_activation("tanh").grad, X.copy())
    save_expectations()
    assert suite_file(cache_dir).is_file()
    new_process(monkeypatch)
    second = derive(get_activation("tanh").grad, X.copy())
    assert activation_calls == ["tanh"]
    assert np.array_equal(first.value, second.value)


def test_the_file_is_json_and_says_which_reference_wrote_it(cache_dir: Path) -> None:
    derive(get_activation("relu"), X.copy())
    save_expectations()
    document = json.loads(suite_file(cache_dir).read_text(encoding="utf-8"))
    assert document["format"] == cache.FORMAT
    assert document["reference"] == cache.reference_hash()
    assert len(document["entries"]) == 1


def test_saving_keeps_the_values_loaded_from_the_file(
        cache_dir: Path, monkeypatch: pytest.MonkeyPatch, activation_calls: list[str]) -> None:
    derive(get_activation("relu"), X.copy())
    save_expectations()
    new_process(monkeypatch)
    derive(get_activation("tanh"), X.copy())  # a run that used other values
    save_expectations()
    new_process(monkeypatch)
    derive(get_activation("relu"), X.copy())
    derive(get_activation("tanh"), X.copy())
    assert activation_calls == ["relu", "tanh"]


def test_a_changed_reference_misses(
        cache_dir: Path, monkeypatch: pytest.MonkeyPatch, activation_calls: list[str]) -> None:
    derive(get_activation("relu"), X.copy())
    save_expectations()
    new_process(monkeypatch)
    monkeypatch.setattr(cache, "_reference_hash", "a-changed-reference")
    derive(get_activation("relu"), X.copy())
    assert activation_calls == ["relu", "relu"]


def test_the_reference_hash_follows_every_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sources = []
    for name in ("activations.py", "network.py"):
        copy = tmp_path / name
        copy.write_text((ROOT / "reference" / name).read_text(encoding="utf-8"), encoding="utf-8")
        sources.append(copy)
    monkeypatch.setattr(cache, "_reference_sources", lambda: sources)
    before = cache.compute_reference_hash()
    assert cache.compute_reference_hash() == before
    sources[1].write_text(sources[1].read_text(encoding="utf-8") + "\n# an edit\n", encoding="utf-8")
    assert cache.compute_reference_hash() != before


def test_the_real_reference_hash_covers_the_reference_package() -> None:
    names = {path.name for path in cache._reference_sources()}
    assert {"activations.py", "network.py", "softmax.py", "__init__.py"} <= names


@pytest.mark.parametrize("content", [
    pytest.param(b"\x00\xff not json", id="binary"),
    pytest.param(b'{"format": 1, "reference": ', id="truncated"),
    pytest.param(b"[1, 2, 3]", id="not-an-object"),
    pytest.param(b'{"format": 1, "reference": "%s", "entries": []}', id="entries-not-a-dict"),
    pytest.param(b'{"format": 1, "reference": "%s", "entries": {"%s": {"ndarray": {"dtype": "|O", '
                 b'"shape": [1], "bytes": "AA=="}}}}', id="object-dtype-entry"),
    pytest.param(b'{"format": 1, "reference": "%s", "entries": {"%s": {"ndarray": {"dtype": "<f8", '
                 b'"shape": [3], "bytes": "!!"}}}}', id="bad-base64-entry"),
    pytest.param(b'{"format": 1, "reference": "%s", "entries": {"%s": {"pickle": "gASV"}}}', id="unknown-tag"),
])
def test_a_corrupt_file_is_ignored(cache_dir: Path, activation_calls: list[str], content: bytes) -> None:
    key = cache.fingerprint(get_activation("sigmoid").grad, (X,), {})
    assert key is not None
    path = suite_file(cache_dir)
    path.parent.mkdir(parents=True)
    filled = content.replace(b"%s", cache.reference_hash().encode(), 1).replace(b"%s", key.encode(), 1)
    path.write_bytes(filled)
    got = derive(get_activation("sigmoid").grad, X.copy())
    assert activation_calls == ["sigmoid"]
    assert np.all(np.isfinite(got.value)) and got.value.shape == X.shape
    save_expectations()  # and the file is rewritten whole
    document = json.loads(path.read_text(encoding="utf-8"))
    assert cache.decode(document["entries"][key]).tobytes() == got.value.tobytes()


def test_an_unreadable_cache_folder_is_silent(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, activation_calls: list[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("AUTOGRADER_CACHE", str(blocker))
    new_process(monkeypatch)
    derive(get_activation("relu"), X.copy())
    save_expectations()  # cannot write below a file: no error
    derive(get_activation("relu"), X.copy())
    assert activation_calls == ["relu"]  # the memory still serves it
    assert blocker.read_text(encoding="utf-8") == "not a folder"


def test_a_failed_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "expectations" / "suite.json"
    assert not cache.write_entries(target, "hash", tmp_path, {"key": {"set": [1]}, "bad": object()})
    assert list((tmp_path / "expectations").iterdir()) == []


def test_cache_off_keeps_values_in_memory_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, activation_calls: list[str]) -> None:
    monkeypatch.setenv("AUTOGRADER_CACHE", "off")
    new_process(monkeypatch)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    derive(get_activation("relu"), X.copy())
    derive(get_activation("relu"), X.copy())
    save_expectations()
    assert activation_calls == ["relu"]
    assert list(tmp_path.iterdir()) == []


def test_where_the_cache_lives(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("AUTOGRADER_CACHE")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert cache.cache_folder() == tmp_path / "home" / ".cache" / "dl-gradekit"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_folder() == tmp_path / "xdg" / "dl-gradekit"
    monkeypatch.setenv("AUTOGRADER_CACHE", str(tmp_path / "mine"))
    assert cache.cache_folder() == tmp_path / "mine"
    monkeypatch.setenv("AUTOGRADER_CACHE", "OFF")
    assert cache.cache_folder() is None


def test_two_suites_keep_two_files(tmp_path: Path) -> None:
    public = cache.cache_file(ROOT / "assignments" / "activations" / "tests" / "public", tmp_path)
    hidden = cache.cache_file(ROOT / "assignments" / "activations" / "tests" / "hidden", tmp_path)
    other_course = cache.cache_file(tmp_path / "course" / "activations" / "tests" / "public", tmp_path)
    assert len({public, hidden, other_course}) == 3
    assert public.name.startswith("activations-tests-public-")


# ------------------------------------------------------------------ a suite, in a fresh process


RUN_PUBLIC_SUITE = textwrap.dedent('''
    import contextlib, sys
    import pytest
    from autograder.suite.expect import save_expectations
    from autograder.suite.plugin import STUDENT_FACTORY

    class Anything:
        """A student whose every function returns None: each test derives, then fails."""
        def __getattr__(self, name):
            return lambda *args, **kwargs: None

    class Student:
        def pytest_configure(self, config):
            config.stash[STUDENT_FACTORY] = lambda: contextlib.nullcontext(Anything())

    suite = sys.argv[1]
    code = pytest.main(["-q", "-p", "autograder.suite.plugin", "-p", "no:cacheprovider",
                        "--rootdir", suite, suite], plugins=[Student()])
    save_expectations()
    print("RESULT", int(code), "sympy" in sys.modules)
''')


def run_public_suite(cache_folder: Path) -> tuple[int, bool]:
    suite = ROOT / "assignments" / "activations" / "tests" / "public"
    env = {**os.environ, "AUTOGRADER_CACHE": str(cache_folder), "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    result = subprocess.run([sys.executable, "-c", RUN_PUBLIC_SUITE, str(suite)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300, check=False)
    line = next((line for line in result.stdout.splitlines() if line.startswith("RESULT")), None)
    assert line is not None, result.stdout[-2000:] + result.stderr[-2000:]
    _, code, imported = line.split()
    return int(code), imported == "True"


def test_with_a_warm_cache_the_public_suite_never_imports_sympy(tmp_path: Path) -> None:
    code, imported = run_public_suite(tmp_path)
    assert code == pytest.ExitCode.TESTS_FAILED  # every case derived its value, then failed
    assert imported, "the cold run derives with SymPy"
    assert list((tmp_path / "expectations").glob("activations-tests-public-*.json"))
    code, imported = run_public_suite(tmp_path)
    assert code == pytest.ExitCode.TESTS_FAILED
    assert not imported, "a warm cache serves every expected value without SymPy"
