"""Settings for the kit's own test run.

The expectation cache (``autograder.suite.expectation_cache``) writes into the
user's cache folder; the test run gives it a temporary folder instead, so the
tests never read values another run left behind, nor leave files of their
temporary suites in the user's cache. Subprocesses inherit the setting.

The vanishing assignment carries a question sheet, drawn from a course secret
that ``grade`` refuses to run without; the run sets one (unless the environment
has one), so every test that grades it grades the sheet too. Tests of a
missing secret remove it themselves.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile

import pytest


@functools.cache
def _test_cache_folder() -> str:
    """One folder per test process, removed at exit (after the cache's own exit-time save,
    which was registered later and so runs first)."""
    folder = tempfile.mkdtemp(prefix="dl-gradekit-test-cache-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def pytest_configure(config: pytest.Config) -> None:
    os.environ["AUTOGRADER_CACHE"] = _test_cache_folder()
    os.environ.setdefault("AUTOGRADER_VARIANT_SECRET", "the kit's own test run")
