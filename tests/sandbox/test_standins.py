"""Plotting, display and progress bars cost nothing: the stand-in modules, in a real worker."""

from __future__ import annotations

import statistics
import time

import pytest

from autograder.sandbox import SandboxSession
from autograder.sandbox.program import CodeCell, Program

from .conftest import source

PLOTTING = """
    import numpy as np
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib import cm
    import seaborn as sns
    from IPython.display import display, HTML, clear_output
    from IPython import get_ipython
    from tqdm import tqdm, trange
    from tqdm.auto import tqdm as auto_tqdm
    import ipywidgets as widgets
    from ipywidgets import interact

    matplotlib.use("Agg")
    plt.rcParams["figure.figsize"] = (8, 5)
    plt.style.use("seaborn-v0_8")
    sns.set_theme()
    x = np.linspace(-5, 5, 101)
    fig, ax = plt.subplots()
    ax.plot(x, np.tanh(x), label="tanh")
    ax.set_title("tanh"); ax.legend(); ax.grid(True)
    fig, axes = plt.subplots(2, 3, figsize=(12, 6))
    for row in axes:
        for a in row:
            a.plot(x, x)
    for a in axes.flat:
        a.set_xlim(-1, 1)
    axes[1, 2].hist(x)
    n, bins, patches = plt.hist(x, bins=10)
    fig2 = plt.figure()
    fig2.add_subplot(111).imshow(np.eye(3), cmap=cm.viridis)
    plt.tight_layout(); plt.savefig("figure.png"); plt.show(); plt.close("all")
    display(HTML("<b>hi</b>")); display(x); clear_output(wait=True)
    get_ipython().run_line_magic("matplotlib", "inline")
    total = 0
    for value in tqdm(range(5), desc="epochs"):
        total += value
    for value in trange(3):
        total += value
    for value in auto_tqdm([10]):
        total += value
    with tqdm(total=3) as bar:
        bar.update(1)
    tqdm.write("done")

    @interact(alpha=(0.0, 1.0))
    def show(alpha=0.5):
        plt.plot(x, alpha * x)

    def plot_and_return(values):
        plt.figure(); plt.plot(values); plt.show()
        display(values)
        return values * 2

    def counted():
        return total
"""


def test_plotting_display_and_progress_bars_do_nothing_and_cost_nothing(make_session) -> None:
    session = make_session(PLOTTING)
    report = session.loaded
    assert report.ok and report.failures == (), report.warnings()
    assert session.call("counted") == 10 + 3 + 10
    assert session.call("plot_and_return", (2.0,)) == 4.0
    assert session.call("show") is None
    assert session.captured_output().stdout == "done\n"


def test_star_imports_and_versions_work(make_session) -> None:
    session = make_session("""
        import matplotlib
        from matplotlib.pyplot import *
        from IPython.display import *
        print(matplotlib.__version__)
        figure(); plot([1, 2]); xlabel("x"); show()
        display(HTML("<b>x</b>"))
    """)
    assert session.loaded.failures == ()
    assert session.captured_output().stdout == "0+stand-in\n"


def test_a_kernel_builtin_display_needs_no_import(make_session) -> None:
    session = make_session("display(1)\nget_ipython().system('ls')\ndef f():\n    return display('x')\n")
    assert session.loaded.failures == () and session.call("f") is None


def test_a_stand_in_exposes_nothing_of_the_worker(make_session) -> None:
    session = make_session("""
        import matplotlib.pyplot as plt
        def probe():
            found = []
            for thing in (plt, plt.plot, plt.plot(), plt.subplots()[1]):
                for name in ("__dict__", "__globals__", "__closure__", "__code__"):
                    value = getattr(thing, name, None)
                    if value:
                        found.append(name)
            return sorted(set(found)), repr(plt.figure())
    """)
    found, shown = session.call("probe")
    assert "__globals__" not in found and "__closure__" not in found
    assert shown == "<stand-in for matplotlib.pyplot.figure()>"


def test_a_real_module_of_the_same_family_is_not_invented(make_session) -> None:
    session = make_session("def f():\n    import scipy\n")
    assert session.loaded.ok
    with pytest.raises(Exception, match="ModuleNotFoundError"):
        session.call("f")


@pytest.mark.slow
def test_what_the_stand_ins_cost_per_submission(capsys: pytest.CaptureFixture[str]) -> None:
    """Worker start to load report, with and without a cell of plotting: the stand-ins add milliseconds."""
    def start(text: str) -> float:
        program = Program((CodeCell(source(text), 1),), keep_going=True)
        started = time.monotonic()
        with SandboxSession(program) as session:
            assert session.loaded.ok and session.loaded.failures == ()
            return time.monotonic() - started

    bare = "import numpy as np\nx = np.linspace(-5, 5, 101)\ndef counted():\n    return 0\n"
    runs = [(start(bare), start(PLOTTING)) for _ in range(5)]
    without = statistics.median(r[0] for r in runs)
    with_plots = statistics.median(r[1] for r in runs)
    with capsys.disabled():
        print(f"\n[stand-ins] worker start to load report: {without * 1000:.0f} ms without plotting, "
              f"{with_plots * 1000:.0f} ms with a cell of plotting, display and tqdm "
              f"(+{(with_plots - without) * 1000:.0f} ms)")
    assert with_plots - without < 0.25
