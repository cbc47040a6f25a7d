"""Sandboxed grading of deep-learning assignments: release, check, grade, validate."""

__version__ = "0.1.0"
