"""Tests of the nbgrader course folder, run through nbgrader's own command line."""
