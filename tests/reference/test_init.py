"""The reference package: a complete, cheap public API."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import reference

ROOT = Path(__file__).resolve().parents[2]


def test_all_names_exist():
    assert len(set(reference.__all__)) == len(reference.__all__)
    for name in reference.__all__:
        assert hasattr(reference, name), name


def test_import_derives_nothing():
    code = ("import reference, reference.properties as p, reference.network as n; "
            "assert p.derive_properties.cache_info().currsize == 0; "
            "assert n.lecture_network.cache_info().currsize == 0; print('ok')")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
