"""Winnowed fingerprints of a token stream: MOSS's winnowing, as copydetect implements it.

Every run of ``k`` consecutive normalised tokens is hashed; copydetect's ``winnow`` keeps the
smallest hash of every ``window`` consecutive ones. Any run of at least ``k + window - 1``
tokens two documents share is then sure to leave a fingerprint in both, and runs shorter than
``k`` never do (Schleimer, Wilkerson and Aiken, SIGMOD 2003).

The hashes are computed here, not with copydetect's ``hashed_kgrams``: that one uses Python's
``hash``, which is salted per process, so the same batch would get different fingerprints, and
slightly different scores, on every run. Evidence must come out the same every time: a token's
value is the BLAKE2b digest of its text, and a run's hash a polynomial of its tokens' values.

Fingerprints that the boilerplate (the released stub, the public tests) holds are dropped, so
code every student was given matches nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from autograder.integrity.tokens import Token

_BASE = np.uint64(1_000_003)
_HASH_BITS = 52
"""Hashes are kept below 2**52: copydetect's pure-Python winnowing compares them as float64."""


class Vocabulary:
    """The 64-bit value of each distinct token text (cached: a batch has few distinct tokens)."""

    def __init__(self) -> None:
        self._values: dict[str, int] = {}

    def values(self, tokens: Iterable[Token]) -> np.ndarray:
        """The tokens' values, in order (``uint64``)."""
        known = self._values
        return np.fromiter((known.get(t.text) or self._add(t.text) for t in tokens), dtype=np.uint64)

    def _add(self, text: str) -> int:
        value = int.from_bytes(hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(),
                               "little") | 1
        self._values[text] = value
        return value


def kgram_hashes(values: np.ndarray, k: int) -> np.ndarray:
    """The hash of every run of ``k`` values (``int64``, below 2**52); empty when there are fewer."""
    count = len(values) - k + 1
    if count <= 0:
        return np.zeros(0, dtype=np.int64)
    hashes = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(k):
            hashes = hashes * _BASE + values[offset:offset + count]
    return (hashes >> np.uint64(64 - _HASH_BITS)).astype(np.int64)


@dataclass(frozen=True)
class Fingerprints:
    """A document's fingerprints: each hash and the token positions its run starts at."""

    positions: dict[int, list[int]]


def fingerprints(values: np.ndarray, *, k: int, window: int, boilerplate: set[int]) -> Fingerprints:
    """The winnowed fingerprints of the token ``values`` that are not in ``boilerplate``."""
    from copydetect.utils import winnow

    hashes = kgram_hashes(values, k)
    if not len(hashes):
        return Fingerprints({})
    selected, where = winnow(hashes, window, remove_duplicates=False)
    positions: dict[int, list[int]] = {}
    for h, i in zip(selected.tolist(), where.tolist()):
        if h not in boilerplate:
            positions.setdefault(h, []).append(i)
    return Fingerprints(positions)


def covered_tokens(positions: dict[int, list[int]], k: int, length: int) -> int:
    """How many of a document's ``length`` tokens the fingerprints at ``positions`` cover."""
    from copydetect.utils import get_token_coverage

    return int(get_token_coverage(positions, k, length)) if positions else 0


def copied_slices(positions: Sequence[int], k: int) -> list[tuple[int, int]]:
    """The token ranges ``[start, end)`` that the matched runs starting at ``positions`` cover."""
    from copydetect.utils import get_copied_slices

    if not positions:
        return []
    starts, ends = get_copied_slices(np.asarray(positions, dtype=np.int64), k)
    return [(int(s), int(e)) for s, e in zip(starts, ends)]
