"""Benchmark: the kit's batch grading against nbgrader's autograde, and ``check``. Prints figures; asserts nothing.

Run from the repository root (nbgrader comes with ``pip install -e '.[test]'``)::

    python benchmarks/grading_throughput.py [--nbgrader 10] [--sizes 10,100,1000] [--jobs 2]

What it does, on the bundled ``activations`` assignment:

1. builds an nbgrader course with ``autograder nbgrader init`` and nbgrader's own
   ``generate_assignment``, and a realistic mix of student notebooks cycling through
   ``MIX``: the solution, partly wrong notebooks (one or two wrong functions), the
   released stub untouched, and hostile ones (builtins replaced at import, an array
   whose ``==`` always agrees, reading ``/etc/passwd``);
2. (b) times plain ``nbgrader autograde`` on the first ``--nbgrader`` notebooks of
   the course, and on a fifth of them (nbgrader runs each notebook in its own kernel,
   one after the other; the course's test cells call the same hidden checks, in that
   kernel, one cell per skill): from the two runs, its time to start and its time per
   notebook;
3. (a) times ``autograder grade --jobs J`` (a fresh process, as an instructor runs it)
   on the same notebooks, then on N = each of ``--sizes`` notebooks of the same mix;
4. prints submissions per second of each, the ratio (a)/(b) on the same notebooks and
   at each N (there against nbgrader's start plus N times its time per notebook), the
   per-submission latency p50 and p95, the peak memory (max RSS) of the grading
   processes, and seconds per submission at each N;
5. times ``autograder check`` on the solution (a fresh process each time, median of 5).

Both sides grade the same notebooks with the same hidden checks and the same points;
the kit runs them in its sandbox, nbgrader in the notebook's kernel.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

ASSIGNMENT = "activations"
REPO = Path(__file__).resolve().parent.parent
COURSE = REPO / "assignments"

WRONG = {
    "sigmoid_derivative": "def sigmoid_derivative(x):\n    return sigmoid(x)\n",
    "relu": "import numpy as np\n\ndef relu(x):\n    return np.maximum(x, 0)\n",
    "softmax": "import numpy as np\n\ndef softmax(z, axis=-1):\n    e = np.exp(z)\n    return e / e.sum()\n",
}
HOSTILE_PRELUDE = {
    "tamper": "import builtins\nbuiltins.abs = lambda value: 0.0\n",
    "fake_eq": ("import numpy as np\nclass Agrees(np.ndarray):\n    def __eq__(self, other):\n"
                "        return np.ones(np.shape(self), dtype=bool)\n"),
    "escape": ("import os\ntry:\n    SECRETS = open('/etc/passwd').read() + str(os.listdir('/'))\n"
               "except OSError:\n    SECRETS = ''\n"),
}
HOSTILE_CELLS = {"fake_eq": {"sigmoid": "def sigmoid(x):\n    return np.zeros(np.shape(x)).view(Agrees)\n"}}
MIX = ("correct", "wrong:sigmoid_derivative", "correct", "stub", "wrong:relu+softmax", "correct",
       "hostile:tamper", "wrong:relu", "correct", "hostile:fake_eq", "stub", "hostile:escape")
"""One cycle of the notebooks handed in: 4 correct, 3 partly wrong, 2 stubs, 3 hostile (builtins
replaced, a zeros array whose == always agrees, reading /etc/passwd and listing /)."""


def _cell(notebook: NotebookNode, grade_id: str) -> NotebookNode:
    return next(c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def variant(kind: str, solution: NotebookNode, stub: NotebookNode) -> NotebookNode:
    """The notebook a student of ``kind`` (an entry of ``MIX``) hands in."""
    if kind == "stub":
        return copy.deepcopy(stub)
    notebook = copy.deepcopy(solution)
    if kind.startswith("wrong:"):
        for function in kind.removeprefix("wrong:").split("+"):
            _cell(notebook, function).source = WRONG[function]
    elif kind.startswith("hostile:"):
        first = next(c for c in notebook.cells if c.cell_type == "code")
        trick = kind.removeprefix("hostile:")
        first.source = HOSTILE_PRELUDE[trick] + first.source
        for function, source in HOSTILE_CELLS.get(trick, {}).items():
            _cell(notebook, function).source = source
    return notebook


def isolated_env(scratch: Path) -> dict[str, str]:
    """HOME and Jupyter's folders inside ``scratch``; the kit's course folder for the kernels."""
    home = scratch / "home"
    (scratch / "tmp").mkdir(parents=True, exist_ok=True)
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])  # nbgrader runs alembic
    return {**os.environ, "PATH": path, "HOME": str(home), "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
            "JUPYTER_DATA_DIR": str(home / ".local" / "share" / "jupyter"),
            "JUPYTER_RUNTIME_DIR": str(scratch / "runtime"), "IPYTHONDIR": str(home / ".ipython"),
            "JUPYTER_NO_CONFIG": "1", "TMPDIR": str(scratch / "tmp"), "PYTHONWARNINGS": "ignore",
            "AUTOGRADER_COURSE": str(COURSE)}


def run(command: list[str], *, cwd: Path, env: dict[str, str], graded: bool = False) -> float:
    """Seconds ``command`` took; its output is kept only to explain a failure. A grading command
    (``graded``) may also exit 1: some submission was not fully graded."""
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          check=False)
    if done.returncode not in ((0, 1) if graded else (0,)):
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return time.perf_counter() - started


def build_course(scratch: Path, env: dict[str, str]) -> tuple[Path, NotebookNode, NotebookNode]:
    """The nbgrader course, and its solution and released notebooks."""
    root = scratch / "course"
    run([sys.executable, "-m", "autograder", "nbgrader", "init", str(root), "--assignment", ASSIGNMENT],
        cwd=scratch, env=env)
    run([sys.executable, "-m", "nbgrader", "generate_assignment", ASSIGNMENT], cwd=root, env=env)
    solution = nbformat.read(root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    stub = nbformat.read(root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    return root, solution, stub


def write_notebooks(folder: Path, count: int, solution: NotebookNode, stub: NotebookNode) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        kind = MIX[i % len(MIX)]
        path = folder / f"s{i:04d}_{kind.replace(':', '_').replace('+', '_')}.ipynb"
        nbformat.write(variant(kind, solution, stub), path)
        paths.append(path)
    return paths


def nbgrader_seconds(root: Path, notebooks: list[Path], env: dict[str, str]) -> float:
    """``nbgrader autograde`` of exactly ``notebooks``, placed in ``root`` (earlier ones removed)."""
    submitted = root / "submitted"
    if submitted.exists():
        shutil.rmtree(submitted)
    for path in notebooks:
        target = submitted / path.stem / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(path.read_bytes())
    return run([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--force"], cwd=root, env=env,
               graded=True)


@dataclass(frozen=True)
class NbgraderCost:
    """nbgrader's time for n notebooks, from two runs: a fixed start plus the same cost per notebook
    (it runs each notebook in a kernel of its own, one after the other)."""

    fixed_s: float
    per_notebook_s: float

    @classmethod
    def measured(cls, small: tuple[int, float], large: tuple[int, float]) -> NbgraderCost:
        per_notebook = (large[1] - small[1]) / (large[0] - small[0])
        return cls(max(0.0, small[1] - small[0] * per_notebook), per_notebook)

    def seconds(self, n: int) -> float:
        return self.fixed_s + n * self.per_notebook_s


MEASURE = """
import json, os, sys, threading

def tree_rss():
    # Resident MiB of every process below this one (the pool, its forks, the sandboxes).
    parents, rss = {}, {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
                parents[int(entry)], rss[int(entry)] = int(fields[1]), int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
            except (OSError, IndexError, ValueError):
                pass
    mine, frontier = set(), {os.getpid()}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - mine
        mine |= frontier
    return [rss[pid] / 2**20 for pid in mine]

peak = {"largest": 0.0, "total": 0.0}
def sample():
    while True:
        sizes = tree_rss() or [0.0]
        peak["largest"], peak["total"] = max(peak["largest"], max(sizes)), max(peak["total"], sum(sizes))
        threading.Event().wait(0.1)
threading.Thread(target=sample, daemon=True).start()

from autograder.cli import main
listing, assignment, out, jobs = sys.argv[1:]
try:
    main(["grade", "--assignment", assignment, "--out", out, "--jobs", jobs,
          *open(listing).read().split()])
except SystemExit as done:
    status = done.code
import resource
print(json.dumps({"status": status, "self_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "largest_mib": peak["largest"], "total_mib": peak["total"]}))
"""


def kit_run(scratch: Path, notebooks: list[Path], jobs: int, env: dict[str, str]) -> dict[str, Any]:
    """``autograder grade`` of ``notebooks`` in a fresh process, as an instructor runs it (grading,
    every student's files, then the batch report): its wall time, with the latencies each
    ``results.json`` records and the peak memory sampled meanwhile."""
    listing = scratch / f"list-{len(notebooks)}.txt"
    listing.write_text("\n".join(map(str, notebooks)), encoding="utf-8")
    out = scratch / f"graded-{len(notebooks)}"
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURE, str(listing), ASSIGNMENT, str(out), str(jobs)],
                          cwd=REPO, env=env, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    measured: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    results = [json.loads((out / path.stem / "results.json").read_text(encoding="utf-8")) for path in notebooks]
    return {**measured, "seconds": seconds, "latencies": [r["execution_time"] for r in results],
            "graded": sum(_graded(r) for r in results)}


def _graded(results: dict[str, Any]) -> bool:
    """Graded as ``GradeResult.graded`` says: no grader error, no case the grader failed to run."""
    cases = [case for test in results["tests"] for case in test["extra_data"]["cases"]]
    return results["extra_data"]["error_kind"] != "grader" and all(
        case.get("failure_kind") != "grader" for case in cases)


def check_seconds(scratch: Path, solution: NotebookNode, env: dict[str, str]) -> float:
    """``autograder check`` on the solution notebook, a fresh process each time: the median of 5."""
    folder = scratch / "check"
    folder.mkdir()
    path = folder / f"{ASSIGNMENT}.ipynb"
    nbformat.write(solution, path)
    command = [sys.executable, "-m", "autograder", "--course", str(COURSE), "check", str(path)]
    run(command, cwd=folder, env=env, graded=True)  # a first run fills the caches a student's machine keeps
    return statistics.median(run(command, cwd=folder, env=env, graded=True) for _ in range(5))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nbgrader", type=int, default=10, help="notebooks nbgrader autogrades (default 10)")
    parser.add_argument("--sizes", default="10,100,1000", help="batch sizes N the kit grades (default 10,100,1000)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="the kit's grading processes")
    options = parser.parse_args()
    sizes = [int(n) for n in options.sizes.split(",")]
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {memory_gib:.0f} GiB, "
          f"Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        env = isolated_env(scratch)
        root, solution, stub = build_course(scratch, env)
        notebooks = write_notebooks(scratch / "handed-in", max([options.nbgrader, *sizes]), solution, stub)
        print(f"mix of {len(MIX)}: {', '.join(MIX)}")

        small = max(1, options.nbgrader // 5)
        small_run = nbgrader_seconds(root, notebooks[:small], env)
        baseline = nbgrader_seconds(root, notebooks[:options.nbgrader], env)
        cost = NbgraderCost.measured((small, small_run), (options.nbgrader, baseline))
        same = kit_run(scratch, notebooks[:options.nbgrader], options.jobs, env)
        print(f"(b) nbgrader autograde: {small} notebooks {small_run:.1f} s, {options.nbgrader} notebooks "
              f"{baseline:.1f} s ({options.nbgrader / baseline:.2f} submissions/s): "
              f"{cost.fixed_s:.1f} s to start, then {cost.per_notebook_s:.2f} s per notebook")
        print(f"(a) autograder grade --jobs {options.jobs}, the same {options.nbgrader} notebooks: "
              f"{same['seconds']:.1f} s, {options.nbgrader / same['seconds']:.2f} submissions/s")
        print(f"ratio (a)/(b), the same {options.nbgrader} notebooks: {baseline / same['seconds']:.1f}x")

        for n in sizes:
            measured = kit_run(scratch, notebooks[:n], options.jobs, env)
            latencies = measured["latencies"]
            print(f"N={n:5d}: {measured['seconds']:7.1f} s, {measured['seconds'] / n:.3f} s per submission, "
                  f"{n / measured['seconds']:.2f}/s; latency p50 {percentile(latencies, 0.5):.2f} s, "
                  f"p95 {percentile(latencies, 0.95):.2f} s; peak RSS: batch process "
                  f"{measured['self_mib']:.0f} MiB, largest process below it {measured['largest_mib']:.0f} MiB, "
                  f"all together {measured['total_mib']:.0f} MiB; "
                  f"{measured['graded']}/{n} graded; ratio (a)/(b) {cost.seconds(n) / measured['seconds']:.1f}x "
                  f"(nbgrader's {cost.seconds(n):.0f} s for {n} from its two runs)")
        check = check_seconds(scratch, solution, env)
        print(f"autograder check on the solution notebook (fresh process): median {check:.2f} s")


if __name__ == "__main__":
    main()
