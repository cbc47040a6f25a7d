"""Grading: run an assignment's suite against one submission and score it."""
