"""Fingerprints are the same in every process (evidence must come out the same every run), a
shared run of ``k + window - 1`` tokens always leaves one, and the boilerplate none."""

from __future__ import annotations

import os
import subprocess
import sys

from autograder.integrity.fingerprints import Vocabulary, fingerprints, kgram_hashes
from autograder.integrity.settings import Settings
from autograder.integrity.tokens import code_tokens

CODE = "def f(x):\n    e = np.exp(x - np.max(x))\n    return e / np.sum(e)\n"
PROBE = ("from autograder.integrity.fingerprints import Vocabulary, kgram_hashes;"
         "from autograder.integrity.tokens import code_tokens;"
         f"print(kgram_hashes(Vocabulary().values(code_tokens({CODE!r})), 12).tolist())")


def test_hashes_do_not_depend_on_the_process() -> None:
    runs = {subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(runs) == 1
    assert runs.pop().strip() == str(kgram_hashes(Vocabulary().values(code_tokens(CODE)), 12).tolist())


def test_a_long_enough_shared_run_always_leaves_a_fingerprint_and_boilerplate_none() -> None:
    settings = Settings()
    vocabulary = Vocabulary()
    values = vocabulary.values(code_tokens(CODE))
    assert len(values) >= settings.k + settings.window - 1
    found = fingerprints(values, k=settings.k, window=settings.window, boilerplate=set())
    assert found.positions
    every = set(kgram_hashes(values, settings.k).tolist())
    assert fingerprints(values, k=settings.k, window=settings.window, boilerplate=every).positions == {}


def test_fewer_tokens_than_a_run_have_no_fingerprint() -> None:
    values = Vocabulary().values(code_tokens("x = 1\n"))
    assert fingerprints(values, k=12, window=4, boilerplate=set()).positions == {}
