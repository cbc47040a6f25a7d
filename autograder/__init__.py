"""Sandboxed grading of deep-learning assignments: release, check, grade, validate."""
