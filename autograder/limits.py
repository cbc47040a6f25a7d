"""The default resource limits of one submission, written once.

An assignment's manifest may set them in its ``[limits]`` table
(``autograder.assignment.Limits``: megabytes and seconds, for people); the
sandbox enforces them as ``autograder.sandbox.SandboxLimits`` (bytes). Both
default to the values here, so a manifest without ``[limits]`` and a
``SandboxLimits()`` made by hand mean the same submission.
"""

from __future__ import annotations

import os

MIB = 1024 * 1024

CALL_TIMEOUT_S = 5.0
"""Wall-clock seconds one call of a student function may take."""
IMPORT_TIMEOUT_S = 10.0
"""Wall-clock seconds loading the submission may take, once the worker is up."""
MEMORY_MB = 1024
"""Address space of the worker (numpy and OpenBLAS need about 250 MiB of it)."""
CPU_SECONDS = 120
"""CPU seconds one worker process may burn before SIGXCPU."""
SUBMISSION_TIMEOUT_S = 300.0
"""The most any submission's calls may take in all (``autograder.grading.budget`` usually gives less)."""

DEFAULT_JOBS = os.cpu_count() or 1
"""Grading processes of ``grade`` (and ``grade_batch``) when none are asked for: one per core."""
