"""Academic integrity beside the grades: which submissions share code beyond what every student
was given, and which mistakes they share.

* ``tokens``: a submission's code as normalised tokens (renaming and reformatting change nothing);
* ``fingerprints``: MOSS's winnowing over those tokens, with copydetect;
* ``documents``: submissions, archived ones and the boilerplate (the released stub, the public tests);
* ``pairs``: which pairs share code, their scores and matched regions;
* ``misconceptions``: the diagnosed mistakes a pair shares, from the graded batch;
* ``page``: ``similarity.html``, the matched code side by side;
* ``run``: the check of a batch (``check_similarity``), for ``autograder similarity`` and
  ``autograder grade --similarity``; ``view``: what those commands print.
"""

from autograder.integrity.settings import Settings

__all__ = ["Settings", "Similarity", "SimilarityError", "check_similarity", "read_similarity"]


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    # The check and its imports load only when used: the CLI reads ``Settings`` for its defaults.
    if name in ("Similarity", "SimilarityError", "check_similarity", "read_similarity"):
        from autograder.integrity import run
        return getattr(run, name)
    raise AttributeError(name)
