"""Benchmark: the kit's batch grading against nbgrader's autograde, and ``check``. Prints figures; asserts nothing.

Run from the repository root (nbgrader comes with ``pip install -e '.[test]'``, Dask with ``.[dask]``)::

    python benchmarks/grading_throughput.py [--sizes 1,5,20,200,1000] [--nbgrader 1,5,20] [--jobs 2]
                                            [--dask 200] [--memory 100,10000] [--check-runs 5]

A quick look, without nbgrader, Dask or the synthetic batches (about a minute)::

    python benchmarks/grading_throughput.py --sizes 1,5 --nbgrader "" --dask 0 --memory ""

What it does, on the bundled ``activations`` assignment:

1. builds an nbgrader course with ``autograder nbgrader init`` and nbgrader's own
   ``generate_assignment``, and a realistic mix of student notebooks cycling through
   ``MIX``: the solution, partly wrong notebooks (one or two wrong functions), the
   released stub untouched, and hostile ones (builtins replaced at import, an array
   whose ``==`` always agrees, reading ``/etc/passwd``);
2. times plain ``nbgrader autograde`` on the first N notebooks for each N of ``--nbgrader``
   (nbgrader runs each notebook in its own kernel, one after the other; the course's test
   cells call the same hidden checks, in that kernel, one cell per skill); a size of
   ``--sizes`` nbgrader did not run is its least-squares line through those runs (a start,
   then the same time per notebook);
3. grades one notebook to fill the kit's cache (the solution, the stub, the expected values,
   kept as after an instructor's first batch), then times ``autograder grade --jobs J`` (a fresh
   process, as an instructor runs it: grading, every student's files, the batch report) on the
   same first N notebooks for each N of ``--sizes``: the time to the first result (the first
   ``results.json`` on disk, from the command's start), the total time, the ratio against
   nbgrader, the per-submission latency p50 and p95, and the peak memory (max RSS) of the batch
   process and of the processes below it;
4. grades the first ``--dask`` notebooks on a Dask ``LocalCluster`` of J worker processes of
   one thread each (``grade --scheduler``) and with the local pool, one after the other;
5. the batch process's peak memory on synthetic batches of each size of ``--memory``
   (``autograder report`` over that many ``results.json`` folders, copies of graded ones);
6. times ``autograder check`` on the solution (a fresh process each time, median of ``--check-runs``)
   against ``python -c "import numpy"``, taken in turns.

The kit's processes keep their bytecode (``PYTHONPYCACHEPREFIX`` in the scratch folder), as an
installed kit does: numpy's, which the yardstick imports, is compiled at its install too.

Both sides grade the same notebooks with the same hidden checks and the same points;
the kit runs them in its sandbox, nbgrader in the notebook's kernel. Wall-clock figures
need a quiet machine: the load average is printed before and after.
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
            "AUTOGRADER_COURSE": str(COURSE), "PYTHONPYCACHEPREFIX": str(scratch / "pycache"),
            "PYTHONDONTWRITEBYTECODE": ""}


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
    """nbgrader's time for n notebooks: a fixed start plus the same cost per notebook (it runs each
    notebook in a kernel of its own, one after the other), the least-squares line through its runs."""

    fixed_s: float
    per_notebook_s: float

    @classmethod
    def measured(cls, runs: dict[int, float]) -> NbgraderCost:
        if len(runs) < 2:
            ((n, seconds),) = runs.items()
            return cls(0.0, seconds / n)
        sizes, times = list(runs), list(runs.values())
        slope, intercept = statistics.linear_regression(sizes, times)
        return cls(max(0.0, intercept), slope)

    def seconds(self, n: int) -> float:
        return self.fixed_s + n * self.per_notebook_s


MEASURE = """
import json, os, select, sys

def tree_rss(root, skipped):
    # Resident MiB of every process below ``root`` (the pool, its forks, the sandboxes), ``skipped`` aside.
    parents, rss = {}, {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
                parents[int(entry)], rss[int(entry)] = int(fields[1]), int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
            except (OSError, IndexError, ValueError):
                pass
    mine, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - mine
        mine |= frontier
    return [rss[pid] / 2**20 for pid in mine - {skipped}]

# The sampler is a process of its own, not a thread: a command that sees another thread in its
# process grades otherwise (its pool comes from a fork server, not from forks of itself).
stop_read, stop_write = os.pipe()
report_read, report_write = os.pipe()
sampler = None
if os.environ.get("BENCH_SAMPLE_TREE") == "1":
    measured = os.getpid()
    sampler = os.fork()
    if sampler == 0:
        peak = {"largest": 0.0, "total": 0.0}
        while not select.select([stop_read], [], [], 0.1)[0]:
            sizes = tree_rss(measured, os.getpid()) or [0.0]
            peak["largest"], peak["total"] = max(peak["largest"], max(sizes)), max(peak["total"], sum(sizes))
        os.write(report_write, json.dumps(peak).encode())
        os._exit(0)
os.close(report_write)

from autograder.cli import main
listing, *command = sys.argv[1:]
try:
    main([*command, *open(listing).read().split()])
except SystemExit as done:
    status = done.code
# VmHWM, not ru_maxrss: ru_maxrss keeps the benchmark's own size from before exec.
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
peak = {"largest": 0.0, "total": 0.0}
if sampler is not None:
    os.write(stop_write, b"stop")
    peak = json.loads(os.read(report_read, 4096) or b"{}") or peak
    os.waitpid(sampler, 0)
print(json.dumps({"status": status, "self_mib": int(hwm.split()[1]) / 1024,
                  "largest_mib": peak["largest"], "total_mib": peak["total"]}))
"""


def measured_command(listing: Path, command: list[str], env: dict[str, str], *,
                     sample_tree: bool = True) -> tuple[float, float, dict[str, Any]]:
    """``autograder COMMAND`` (then the paths in ``listing``) in a fresh process: when it started
    (epoch seconds), its wall time, and what ``MEASURE`` reports (peak memory, exit status)."""
    env = {**env, "BENCH_SAMPLE_TREE": "1" if sample_tree else "0"}
    started_at, started = time.time(), time.perf_counter()
    done = subprocess.run([sys.executable, "-c", MEASURE, str(listing), *command],
                          cwd=REPO, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"autograder {' '.join(command)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return started_at, seconds, json.loads(done.stdout.strip().splitlines()[-1])


def kit_run(scratch: Path, notebooks: list[Path], jobs: int, env: dict[str, str], *, label: str = "",
            scheduler: str | None = None) -> dict[str, Any]:
    """``autograder grade`` of ``notebooks`` in a fresh process, as an instructor runs it (grading,
    every student's files, then the batch report): its wall time and time to the first result on
    disk, with the latencies each ``results.json`` records and the peak memory sampled meanwhile."""
    name = f"{len(notebooks)}{label}"
    listing = scratch / f"list-{name}.txt"
    listing.write_text("\n".join(map(str, notebooks)), encoding="utf-8")
    out = scratch / f"graded-{name}"
    shutil.rmtree(out, ignore_errors=True)
    command = ["grade", "--assignment", ASSIGNMENT, "--out", str(out), "--jobs", str(jobs)]
    command += ["--scheduler", scheduler] if scheduler else []
    started_at, seconds, measured = measured_command(listing, command, env)
    files = [out / path.stem / "results.json" for path in notebooks]
    results = [json.loads(path.read_text(encoding="utf-8")) for path in files]
    first = min(path.stat().st_mtime for path in files) - started_at
    return {**measured, "seconds": seconds, "first_s": first, "out": out,
            "latencies": [r["execution_time"] for r in results], "graded": sum(_graded(r) for r in results)}


def _graded(results: dict[str, Any]) -> bool:
    """Graded as ``GradeResult.graded`` says: no grader error, no case the grader failed to run."""
    cases = [case for test in results["tests"] for case in test["extra_data"]["cases"]]
    return results["extra_data"]["error_kind"] != "grader" and all(
        case.get("failure_kind") != "grader" for case in cases)


def check_seconds(scratch: Path, solution: NotebookNode, env: dict[str, str], runs: int) -> tuple[float, float]:
    """``autograder check`` on the solution notebook and ``python -c "import numpy"``, a fresh process
    each time: the median of ``runs`` of each, taken in turns."""
    folder = scratch / "check"
    folder.mkdir()
    path = folder / f"{ASSIGNMENT}.ipynb"
    nbformat.write(solution, path)
    command = [sys.executable, "-m", "autograder", "--course", str(COURSE), "check", str(path)]
    numpy = [sys.executable, "-c", "import numpy"]
    run(command, cwd=folder, env=env, graded=True)  # a first run fills the caches a student's machine keeps
    checks, imports = [], []
    for _ in range(runs):
        checks.append(run(command, cwd=folder, env=env, graded=True))
        imports.append(run(numpy, cwd=folder, env=env))
    return statistics.median(checks), statistics.median(imports)


def dask_versus_pool(scratch: Path, notebooks: list[Path], jobs: int, env: dict[str, str]) -> None:
    """The same batch graded on a Dask ``LocalCluster`` of ``jobs`` processes and with the local pool."""
    try:
        from distributed import LocalCluster
    except ImportError:
        print("Dask: not installed (pip install -e '.[dask]'), skipped")
        return
    pool = kit_run(scratch, notebooks, jobs, env, label="-pool")
    # The workers get the measured commands' environment: the same HOME, so the same kit cache the
    # pool's processes read (kept passing run, derived values). Without it they would read this
    # process's HOME's cache, empty on a fresh machine, and each derive the reference's values first.
    with LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None,
                      env=env) as cluster:
        dask = kit_run(scratch, notebooks, jobs, env, label="-dask", scheduler=cluster.scheduler_address)
    n = len(notebooks)
    print(f"Dask LocalCluster of {jobs} processes, {n} notebooks: {dask['seconds']:.1f} s "
          f"({n / dask['seconds']:.2f}/s, {dask['graded']}/{n} graded); local pool of {jobs}: "
          f"{pool['seconds']:.1f} s ({n / pool['seconds']:.2f}/s); "
          f"Dask at {pool['seconds'] / dask['seconds']:.0%} of the pool's throughput")


def synthetic_batch(graded: Path, folder: Path, n: int) -> None:
    """``n`` students' results in ``folder``: copies of the ``results.json`` files in ``graded``, each
    under a student id of its own."""
    sources = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(graded.glob("*/results.json"))]
    for i in range(n):
        result = copy.deepcopy(sources[i % len(sources)])
        student = f"synthetic{i:05d}"
        result["extra_data"]["student_id"] = student
        (folder / student).mkdir(parents=True)
        (folder / student / "results.json").write_text(json.dumps(result), encoding="utf-8")


def report_memory(scratch: Path, graded: Path, sizes: list[int], env: dict[str, str]) -> None:
    """The batch process's peak memory writing the report of synthetic batches of each size."""
    peaks = {}
    for n in sizes:
        folder = scratch / f"synthetic-{n}"
        synthetic_batch(graded, folder, n)
        listing = scratch / f"report-{n}.txt"
        listing.write_text(str(folder), encoding="utf-8")
        _, seconds, measured = measured_command(listing, ["report"], env, sample_tree=False)
        peaks[n] = measured["self_mib"]
        print(f"autograder report over {n} synthetic results: {seconds:.1f} s, peak RSS {measured['self_mib']:.0f} MiB")
        shutil.rmtree(folder)
    low, high = min(sizes), max(sizes)
    if low != high:
        print(f"peak memory at N={high} is {peaks[high] / peaks[low]:.2f}x that at N={low}")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3]) if Path("/proc/loadavg").exists() else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nbgrader", default="1,5,20", help="sizes nbgrader autogrades (default 1,5,20; "
                        "\"\": not run, no ratio)")
    parser.add_argument("--sizes", default="1,5,20,200,1000", help="batch sizes N the kit grades")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="the kit's grading processes")
    parser.add_argument("--dask", type=int, default=200, help="notebooks graded on Dask and the pool (0: skip)")
    parser.add_argument("--memory", default="100,10000", help="synthetic batch sizes for the report's memory "
                        "(\"\": skip)")
    parser.add_argument("--check-runs", type=int, default=5, help="runs of check and of the numpy import (0: skip)")
    options = parser.parse_args()
    sizes = [int(n) for n in options.sizes.split(",")]
    nbgrader_sizes = [int(n) for n in options.nbgrader.split(",") if n.strip()]
    memory_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {memory_gib:.0f} GiB, "
          f"Python {platform.python_version()}; load average {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        env = isolated_env(scratch)
        root, solution, stub = build_course(scratch, env)
        notebooks = write_notebooks(scratch / "handed-in", max([*nbgrader_sizes, *sizes, options.dask]),
                                    solution, stub)
        print(f"mix of {len(MIX)}: {', '.join(MIX)}")

        runs = {n: nbgrader_seconds(root, notebooks[:n], env) for n in nbgrader_sizes}
        cost = NbgraderCost.measured(runs) if runs else None
        if cost is None:
            print("nbgrader autograde: not run (--nbgrader \"\"): no ratio")
        else:
            print("nbgrader autograde: " + ", ".join(f"{n} notebooks {s:.1f} s" for n, s in runs.items())
                  + f"; {cost.fixed_s:.1f} s to start, then {cost.per_notebook_s:.2f} s per notebook")

        cold = kit_run(scratch, notebooks[:1], options.jobs, env, label="-cold")
        print(f"the kit's first grade on this machine (its cache empty: the solution, the stub and the expected "
              f"values are built): first result {cold['first_s']:.2f} s, total {cold['seconds']:.1f} s; "
              f"the runs below find them in the cache")
        print("| N | nbgrader autograde | the kit: first result | the kit: total | ratio |")
        print("|---|---|---|---|---|")
        details = []
        largest: dict[str, Any] = {}
        for n in sizes:
            measured = kit_run(scratch, notebooks[:n], options.jobs, env)
            largest = measured
            theirs = runs.get(n, cost.seconds(n)) if cost is not None else None
            source = "" if n in runs else " (from its line)"
            nbgrader = "not run" if theirs is None else f"{theirs:.1f} s{source}"
            ratio = "-" if theirs is None else f"**{theirs / measured['seconds']:.1f}x**"
            print(f"| {n} | {nbgrader} | {measured['first_s']:.2f} s | {measured['seconds']:.1f} s | {ratio} |")
            latencies = measured["latencies"]
            details.append(f"N={n}: {measured['seconds'] / n:.3f} s per submission, latency p50 "
                           f"{percentile(latencies, 0.5):.2f} s, p95 {percentile(latencies, 0.95):.2f} s; peak RSS: "
                           f"batch process {measured['self_mib']:.0f} MiB, largest process below it "
                           f"{measured['largest_mib']:.0f} MiB, all together {measured['total_mib']:.0f} MiB; "
                           f"{measured['graded']}/{n} graded")
        print("\n".join(details))
        if options.dask:
            dask_versus_pool(scratch, notebooks[:options.dask], options.jobs, env)
        memory_sizes = [int(n) for n in options.memory.split(",") if n.strip()]
        if memory_sizes and largest:
            report_memory(scratch, largest["out"], memory_sizes, env)
        if options.check_runs > 0:
            check, numpy = check_seconds(scratch, solution, env, options.check_runs)
            print(f"autograder check on the solution notebook (fresh process): median {check:.2f} s; "
                  f"python -c 'import numpy': {numpy:.2f} s ({check / numpy:.1f}x)")
    print(f"load average at the end: {load()}")


if __name__ == "__main__":
    main()
