"""The similarity check's settings, each with its default and why (one typed place)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    """How submissions are fingerprinted and which pairs are listed."""

    k: int = 12
    """Tokens in a fingerprinted run (the noise threshold): shorter shared runs never match. One
    line of these functions is about 10 to 20 tokens."""
    window: int = 4
    """Winnowing window: any shared run of ``k + window - 1`` tokens is sure to match."""
    threshold: float = 0.8
    """A pair is listed when its score (``Pair.score``, the larger share) is at least this. Measured
    (``benchmarks/similarity_quality.py``, README "Similarity"): disguised copies score 0.95 and
    up, independent solutions 0.66 at most, the two hint-following ones of the bundled samples."""
    min_matched_tokens: int = 40
    """...and it shares at least this many tokens beyond the boilerplate (a few lines at least)."""
    common_share: float = 0.2
    """A fingerprint found in more than this share of the submissions (and in more than
    ``common_floor`` of them) is code everybody writes, not evidence: it is ignored."""
    common_floor: int = 5
    rare_share: float = 0.1
    """A misconception diagnosed in at most this share of the graded batch (or in two students
    only) is rare: two submissions sharing it is evidence."""
