"""Benchmark: how fast the kit checks and grades. Prints figures; asserts nothing.

Run from the repository root::

    python -m tests.benchmarks.grading_throughput [--submissions 40] [--jobs 2]

It measures, on the bundled ``activations`` assignment:
* ``autograder check`` on the instructor's solution, as a student runs it
  (a fresh process each time, median of 5);
* one submission graded alone in a warm process (median of 5);
* a batch of N copies of the demo samples graded with ``--jobs`` processes,
  reported as submissions per minute.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.assignment import get_assignment
from autograder.grading.batch import grade_batch
from autograder.grading.grade import grade_submission
from autograder.release import solution_source
from autograder.sandbox import sandbox_kind

ASSIGNMENT = get_assignment("activations")
SAMPLES = sorted((ASSIGNMENT.root / "samples").glob("*.py"))


def median_seconds(run: object, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def bench_check(folder: Path) -> float:
    path = folder / "activations.py"
    path.write_text(solution_source(ASSIGNMENT), encoding="utf-8")
    command = [sys.executable, "-m", "autograder", "check", str(path)]
    return median_seconds(lambda: subprocess.run(command, check=True, capture_output=True), 5)


def bench_solo(folder: Path) -> float:
    path = folder / "solo.py"
    path.write_text(solution_source(ASSIGNMENT), encoding="utf-8")
    grade_submission(ASSIGNMENT, path)  # warm: imports, lambdified oracles
    return median_seconds(lambda: grade_submission(ASSIGNMENT, path), 5)


def bench_batch(folder: Path, count: int, jobs: int) -> float:
    paths = []
    for i in range(count):
        sample = SAMPLES[i % len(SAMPLES)]
        path = folder / "batch" / f"s{i:03d}_{sample.stem}.py"
        path.parent.mkdir(exist_ok=True)
        path.write_text(sample.read_text(encoding="utf-8"), encoding="utf-8")
        paths.append(path)
    started = time.perf_counter()
    grade_batch(ASSIGNMENT, paths, folder / "graded", jobs=jobs)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"sandbox: {sandbox_kind()}; hidden suite of {ASSIGNMENT.id}")
        print(f"autograder check (fresh process, public suite): median {bench_check(folder):.2f} s")
        print(f"one submission, hidden suite, warm process: median {bench_solo(folder):.2f} s")
        seconds = bench_batch(folder, options.submissions, options.jobs)
        rate = options.submissions / seconds * 60
        print(f"batch of {options.submissions} with {options.jobs} jobs: {seconds:.1f} s, "
              f"{rate:.0f} submissions/minute ({seconds / options.submissions:.2f} s each)")


if __name__ == "__main__":
    main()
