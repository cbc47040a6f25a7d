"""``report.preload``: the report's imports load in a thread while a batch is graded."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent('''
    import sys
    from autograder.report import preload
    names = ("autograder.report.curve_plot", "autograder.report.batch_report", "jinja2", "matplotlib")
    before = [m in sys.modules for m in names]
    thread = preload()
    thread.join(120)
    print(before, thread.is_alive(), [m in sys.modules for m in names])
''')


def test_preload_imports_the_report_modules_in_a_thread_that_ends() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=180, check=True)
    # the pages' plots and the report's charts are SVG written directly: matplotlib is not loaded
    assert done.stdout.split("\n")[0] == "[False, False, False, False] False [True, True, True, False]"
