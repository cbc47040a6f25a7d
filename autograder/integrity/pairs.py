"""Which pairs of documents share code beyond the boilerplate, how much, and where.

A pair's share of one side is how many of that side's fingerprinted tokens the matched runs
cover (copydetect's measure). Its ``score`` is the larger of the two shares: a copy padded with
extra code still covers most of the original. Fingerprints found in many submissions
(``Settings.common_share``) are what everybody writes; they match nothing and count in no share.

Only pairs sharing a fingerprint are compared (an inverted index from fingerprint to
documents), and only if enough fingerprints are shared for the pair to pass the threshold: a
batch of hundreds is compared in seconds.
"""

from __future__ import annotations

import bisect
import itertools
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from autograder.integrity.documents import Document
from autograder.integrity.fingerprints import copied_slices, covered_tokens
from autograder.integrity.settings import Settings

_LAST = 1 << 62


@dataclass(frozen=True)
class Region:
    """Matched code: characters ``start:end`` of a document's text, shown in colour ``color`` on
    both sides (the region of the other side it matches has the same colour)."""

    start: int
    end: int
    color: int


@dataclass(frozen=True)
class Pair:
    """Two documents that share code: each side's share, the score, the matched tokens and regions."""

    a: Document
    b: Document
    share_a: float
    share_b: float
    matched_tokens: int
    regions_a: tuple[Region, ...]
    regions_b: tuple[Region, ...]

    @property
    def score(self) -> float:
        return max(self.share_a, self.share_b)


@dataclass(frozen=True)
class Distinct:
    """A document's fingerprints that are neither boilerplate nor common, and the tokens they cover."""

    positions: dict[int, list[int]]
    covered: int


def common_hashes(documents: Sequence[Document], settings: Settings) -> set[int]:
    """Fingerprints found in more than ``common_share`` of the documents and ``common_floor`` of them."""
    counts = Counter(h for d in documents for h in d.prints.positions)
    limit = max(settings.common_floor, settings.common_share * len(documents))
    return {h for h, n in counts.items() if n > limit}


def distinct(document: Document, common: set[int], k: int) -> Distinct:
    kept = {h: p for h, p in document.prints.positions.items() if h not in common}
    return Distinct(kept, covered_tokens(kept, k, len(document.tokens)))


def candidates(documents: Sequence[Document], prints: Sequence[Distinct]) -> Counter[tuple[int, int]]:
    """How many fingerprints each pair shares, for the pairs that share any (two archived
    submissions are never a pair: the archive is compared with the batch, not with itself)."""
    holders: dict[int, list[int]] = defaultdict(list)
    for index, found in enumerate(prints):
        for h in found.positions:
            holders[h].append(index)
    shared: Counter[tuple[int, int]] = Counter()
    for members in holders.values():
        for i, j in itertools.combinations(members, 2):
            if not (documents[i].archived and documents[j].archived):
                shared[(i, j)] += 1
    return shared


def _could_pass(shared: int, a: Distinct, b: Distinct, settings: Settings) -> bool:
    """Whether ``shared`` fingerprints can cover enough tokens (each covers at most ``k``)."""
    most = shared * settings.k
    return (most >= settings.min_matched_tokens
            and most >= settings.threshold * min(a.covered or 1, b.covered or 1))


def _regions(document: Document, slices: list[tuple[int, int]], colors: list[int]) -> tuple[Region, ...]:
    tokens = document.tokens
    return tuple(Region(tokens[s].start, tokens[e - 1].end, c) for (s, e), c in zip(slices, colors))


def _slice_of(slices: list[tuple[int, int]], position: int) -> int:
    """The index of the slice holding token ``position`` (slices are sorted and disjoint)."""
    return bisect.bisect_right(slices, (position, _LAST)) - 1


def _colors(shared: set[int], pa: Distinct, pb: Distinct, slices_a: list[tuple[int, int]],
            slices_b: list[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """One colour per group of regions linked by a shared fingerprint, on both sides: a region and
    every region of the other side it matches are coloured alike."""
    parent = list(range(len(slices_a) + len(slices_b)))

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for h in shared:
        left = root(_slice_of(slices_a, pa.positions[h][0]))
        for position in [*pa.positions[h][1:]]:
            parent[root(_slice_of(slices_a, position))] = left
        for position in pb.positions[h]:
            parent[root(len(slices_a) + _slice_of(slices_b, position))] = left
    numbered: dict[int, int] = {}
    colors = [numbered.setdefault(root(node), len(numbered)) for node in range(len(parent))]
    return colors[:len(slices_a)], colors[len(slices_a):]


def compare(a: Document, b: Document, pa: Distinct, pb: Distinct, settings: Settings) -> Pair:
    """The code ``a`` and ``b`` share, as a ``Pair``."""
    shared = pa.positions.keys() & pb.positions.keys()
    slices_a = copied_slices(sorted(p for h in shared for p in pa.positions[h]), settings.k)
    slices_b = copied_slices(sorted(p for h in shared for p in pb.positions[h]), settings.k)
    colors_a, colors_b = _colors(shared, pa, pb, slices_a, slices_b)
    matched_a = sum(e - s for s, e in slices_a)
    matched_b = sum(e - s for s, e in slices_b)
    return Pair(a, b, matched_a / pa.covered if pa.covered else 0.0, matched_b / pb.covered if pb.covered else 0.0,
                min(matched_a, matched_b), _regions(a, slices_a, colors_a), _regions(b, slices_b, colors_b))


def similar_pairs(documents: Sequence[Document], settings: Settings, *, expected: set[int] | None = None) -> list[Pair]:
    """Every pair at or above the threshold sharing at least ``min_matched_tokens``, highest score first.

    ``expected`` are hashes of code students are expected to converge on (the instructor's
    solution): like common code, they are no evidence and match nothing."""
    common = common_hashes(documents, settings) | (expected or set())
    prints = [distinct(d, common, settings.k) for d in documents]
    found = []
    for (i, j), shared in candidates(documents, prints).items():
        if not _could_pass(shared, prints[i], prints[j], settings):
            continue
        pair = compare(documents[i], documents[j], prints[i], prints[j], settings)
        if pair.score >= settings.threshold and pair.matched_tokens >= settings.min_matched_tokens:
            found.append(pair)
    return sorted(found, key=lambda p: (-p.score, p.a.name, p.b.name))
