"""Benchmark: how long the similarity check takes on a batch of N submissions. Prints figures;
asserts nothing.

Run from the repository root::

    python benchmarks/similarity_speed.py [--sizes 100,500,1000]

The batch is made in a temporary folder from the independent solutions of
``tests/integrity/corpus``: each submission takes each function from one of them at random
(with that solution's helpers), leaves out up to three, puts them in a random order, renames
its local names at random and adds a helper of random arithmetic; one in ten is a renamed copy
of another submission. A tenth
are notebooks (the code in one cell per function). Printed for each N: the seconds to read and
fingerprint, to compare and to write the page (one process, as ``autograder similarity`` runs),
the pairs listed and how many of the planted copies they include.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder.assignment import get_assignment  # noqa: E402
from autograder.integrity import Settings  # noqa: E402
from autograder.integrity import run as similarity_run  # noqa: E402
from tests.integrity.helpers import CORPUS  # noqa: E402

BASES = [p.read_text(encoding="utf-8") for p in sorted(CORPUS.glob("honest_*.py"))]
LOCALS = re.compile(r"\b(x|s|v|z|e|t|arr|out|mask|grad|step|values|result|sig|th|ex|total|p|y|exps|shifted)\b")


def _functions(code: str) -> tuple[str, list[str]]:
    head, *functions = re.split(r"\n(?=def |class )", code)
    return head, functions


def _parts(code: str) -> tuple[str, dict[str, str]]:
    """A solution's helpers (imports, classes, private functions) and its graded functions by name."""
    head, functions = _functions(code)
    graded = {re.match(r"def (\w+)", f).group(1): f for f in functions  # type: ignore[union-attr]
              if f.startswith("def ") and not f.startswith("def _") and not f.startswith("def as_float")}
    helpers = [f for f in functions if f not in graded.values()]
    return "\n".join([head, *helpers]), graded


PARTS = [_parts(code) for code in BASES]


def _renamed(code: str, rng: random.Random) -> str:
    names: dict[str, str] = {}
    return LOCALS.sub(lambda m: names.setdefault(m.group(), f"{m.group()}_{rng.randrange(10**6)}"), code)


def _helper(rng: random.Random, number: int) -> str:
    ops = " ".join(f"{rng.choice('+-*')} {rng.randrange(1, 99)} * q" for _ in range(rng.randrange(3, 9)))
    return f"def _helper_{number}(q):\n    q = q {ops}\n    return q if q > {rng.randrange(99)} else -q\n"


def submission(rng: random.Random, number: int) -> str:
    names = sorted(PARTS[0][1])
    chosen = {name: rng.randrange(len(PARTS)) for name in rng.sample(names, k=len(names) - rng.randrange(4))}
    helpers = [PARTS[base][0] for base in sorted(set(chosen.values()))]
    functions = [PARTS[base][1][name] for name, base in chosen.items()]
    rng.shuffle(functions)
    return _renamed("\n".join([*helpers, *functions, _helper(rng, number)]), rng)


def _notebook(code: str) -> str:
    head, functions = _functions(code)
    cells = [{"cell_type": "code", "metadata": {}, "source": part, "outputs": [], "execution_count": None}
             for part in [head, *functions]]
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})


def make_batch(folder: Path, size: int, seed: int = 0) -> tuple[dict[str, Path], set[frozenset[str]]]:
    """``size`` submissions in ``folder``, and the pairs of a planted copy and its source."""
    rng = random.Random(seed)
    codes: list[str] = []
    planted: set[frozenset[str]] = set()
    for n in range(size):
        if codes and rng.random() < 0.1:
            source = rng.randrange(len(codes))
            codes.append(_renamed(codes[source], rng))
            planted.add(frozenset((f"s{source:04d}", f"s{n:04d}")))
        else:
            codes.append(submission(rng, n))
    paths = {}
    for n, code in enumerate(codes):
        notebook = n % 10 == 9
        paths[f"s{n:04d}"] = folder / f"s{n:04d}.{'ipynb' if notebook else 'py'}"
        paths[f"s{n:04d}"].write_text(_notebook(code) if notebook else code, encoding="utf-8")
    return paths, planted


def _families(planted: set[frozenset[str]]) -> dict[str, str]:
    """Each copied submission's family: the first source its chain of copies leads to."""
    family: dict[str, str] = {}
    for pair in sorted(planted, key=max):
        source, copy = sorted(pair)
        family[copy] = family.get(source, source)
    return family


def _timing(function: Callable[..., Any], name: str, calls: dict[str, float]) -> Callable[..., Any]:
    """``function``, recording how long each call took in ``calls[name]``."""
    def timed_call(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            calls[name] = time.perf_counter() - start
    return timed_call


def timed(size: int) -> None:
    assignment = get_assignment("activations")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "subs").mkdir()
        subs, planted = make_batch(folder / "subs", size)
        calls: dict[str, float] = {}
        originals = {name: getattr(similarity_run, name) for name in ("_read", "similar_pairs", "render_page")}
        for name, original in originals.items():
            setattr(similarity_run, name, _timing(original, name, calls))
        try:
            start = time.perf_counter()
            content = similarity_run.check_similarity(assignment, subs, folder / "out", settings=Settings()).content
            total = time.perf_counter() - start
        finally:
            for name, original in originals.items():
                setattr(similarity_run, name, original)
    family = _families(planted)
    found = sum(frozenset((p["a"], p["b"])) in planted for p in content["pairs"])
    outside = sum(family.get(p["a"], p["a"]) != family.get(p["b"], p["b"]) for p in content["pairs"])
    print(f"N={size:5d}: {total:6.2f} s in all; read+fingerprint {calls['_read']:.2f} s, "
          f"compare {calls['similar_pairs']:.2f} s, page {calls['render_page']:.2f} s; "
          f"{len(content['pairs'])} pairs listed, of which {found}"
          f" of the {len(planted)} planted copies; {outside} listed pairs are not of one copy family")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100,500,1000")
    for size in parser.parse_args().sizes.split(","):
        timed(int(size))
