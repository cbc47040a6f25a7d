"""How a file name refers to an assignment's module, as students really name files.

Browsers and students rename: ``activations (1).py`` (a second download),
``Activations-final.ipynb``, ``Copy of activations.ipynb``, ``activations_v2.py``.
A name refers to a module when the module's name appears in it, in any case,
not glued to other letters (``myactivations`` does not count).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePath


def stem_of(name: str) -> str:
    """The file name without its directory and last suffix: ``a/activations (1).py`` -> ``activations (1)``."""
    return PurePath(name).stem


def names_module(name: str, module: str) -> bool:
    """Whether the file ``name`` (with or without a suffix) refers to ``module``."""
    words = [re.escape(word) for word in re.split(r"[^a-z0-9]+", module.lower()) if word]
    if not words:
        return False
    pattern = r"(?<![a-z])" + r"[^a-z0-9]*".join(words) + r"(?![a-z])"
    return re.search(pattern, stem_of(name).lower()) is not None


def modules_named(names: Iterable[str], modules: Iterable[str]) -> list[str]:
    """The modules the file ``names`` refer to; the exactly named ones alone when there are any."""
    names, modules = list(names), list(modules)
    exact = [m for m in modules if any(stem_of(n) == m for n in names)]
    if exact:
        return exact
    return [m for m in modules if any(names_module(n, m) for n in names)]
