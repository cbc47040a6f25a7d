"""What a student reads first: the release's ``README.md`` and the one line ``pytest`` says
when the kit is missing.

The README says, in this order: what is in the folder, the one command that
installs the kit, how to run ``autograder check`` on the ``.py`` or the notebook
(and the same tests with plain ``pytest``), the rules every function follows (each rule a
hidden check enforces by its id, ``autograder.suite.rules.GENERAL_RULES``),
what is graded (``autograder.grading.credit.point_scheme``, also written as
``POINTS.md``) and what to hand in. Everything in it comes from the manifest
and the kit, never from the instructor's source, so it cannot leak a solution
(``publish.find_leaks`` scans it anyway).
"""

from __future__ import annotations

import shlex

from autograder.assignment import RELEASE_MANIFEST_NAME, Assignment
from autograder.conftest_template import CONFTEST
from autograder.grading.credit import point_scheme
from autograder.kit_wheel import wheel_name
from autograder.sandbox.isolation import OWN_MACHINE_NOTE
from autograder.suite.rules import GENERAL_RULES
from autograder.wording import plural

WHEELS_DIR = "wheels"
"""The release's folder holding the kit's wheel (``autograder.kit_wheel``)."""


def bundled_wheel() -> str:
    """The path, in the release folder, of the kit's wheel the release carries."""
    return f"{WHEELS_DIR}/{wheel_name()}"


def default_install() -> str:
    """The kit's wheel in the release: the kit the public tests were written for, installable with no
    package index holding the kit."""
    return bundled_wheel()


def install_command(install: str | None = None) -> str:
    """The one command that installs the kit: ``python3 -m pip install <spec>``."""
    return f"python3 -m pip install {shlex.quote(install or default_install())}"


def windows_install_command(install: str | None = None) -> str:
    """The same command for Windows: the ``py`` launcher, and the release's wheel by a Windows path."""
    spec = install or default_install()
    if spec == bundled_wheel():
        spec = spec.replace("/", "\\")
    return f"py -m pip install {spec if spec.isprintable() and ' ' not in spec else repr(spec)}"


def _install_section(install: str | None) -> list[str]:
    """Step 1 of the README, per system."""
    return [
        "With Python 3.11 or newer, in this folder. On **Linux** or **macOS**, in a terminal:",
        "",
        "```bash",
        install_command(install),
        "```",
        "",
        "On **Windows**, in PowerShell or the Command Prompt (`py` is the launcher python.org's "
        "installer puts in place):",
        "",
        "```",
        windows_install_command(install),
        "```",
        "",
    ]


def _check_section(module: str) -> list[str]:
    """Step 2 of the README: the commands, and what ``check`` does on each system."""
    return [
        "In this folder:",
        "",
        "```bash",
        f"autograder check {module}.py",
        f"autograder check {module}.ipynb",
        "```",
        "",
        "(On Windows, if `autograder` is not found, `py -m autograder check "
        f"{module}.py` does the same.)",
        "",
        "`check` runs the public tests on your file and prints ✓ or ✗ per function, and for each "
        "failing test the input, the expected and the returned value. It exits with status 0 once "
        "every public test passes. On Linux it runs your file in the same sandbox the grader uses. "
        "On macOS and Windows (and on a Linux without the sandbox's parts) it first prints "
        f"`{OWN_MACHINE_NOTE}` and runs your file as a plain process of your own machine: the same "
        "tests, messages and time limits; the memory limit holds on Linux, macOS does not enforce it "
        "and Windows gets none. The same "
        f"tests run under plain pytest: `pytest tests/` (on `{module}.py`) or "
        f"`pytest --submission {module}.ipynb tests/`.",
    ]


def missing_kit_message(install: str | None = None) -> str:
    """The one line a student who runs ``pytest`` without the kit gets."""
    return (f"these tests need the course's autograder kit, which is not installed for this Python: "
            f"run `{install_command(install)}` (see README.md)")


def _seconds(value: float) -> str:
    return f"{value:g} s"


def _install_notes(install: str | None) -> list[str]:
    """What the README says about the kit's wheel in the release, when that is what it installs."""
    if (install or default_install()) != bundled_wheel():
        return []
    return [f"Run it in this folder: it installs the kit from `{bundled_wheel()}`, which comes with the "
            "assignment, so no package index needs to hold the kit. pip still fetches the kit's "
            "dependencies from the package index (PyPI) as it always does; offline, put their wheels in "
            f"a folder `DEPS` and add `--no-index --find-links DEPS`.", ""]


def student_readme(assignment: Assignment, install: str | None = None) -> str:
    """The release's ``README.md``."""
    module = assignment.module
    bundled = (install or default_install()) == bundled_wheel()
    functions = ", ".join(f"`{name}`" for name in assignment.functions)
    limits = assignment.limits
    return "\n".join([
        f"# {assignment.title}",
        "",
        f"Write the functions {functions} in `{module}.py`, or in the notebook `{module}.ipynb` "
        "if you prefer Jupyter (work in one of them: the grader takes the one you hand in).",
        "",
        "In this folder:",
        "",
        f"- `{module}.py` and `{module}.ipynb`: the same assignment, as a script and as a notebook; "
        "every `raise NotImplementedError()` is yours to replace;",
        "- `tests/`: the public tests, a few basic checks per function;",
        f"- `{RELEASE_MANIFEST_NAME}`: what `autograder check` needs to know about the assignment;",
        "- `POINTS.md`: the points, as below;" if bundled else "- `POINTS.md`: the points, as below.",
        *([f"- `{WHEELS_DIR}/`: the kit, which step 1 installs."] if bundled else []),
        "",
        "## 1. Install the kit (once)",
        "",
        *_install_section(install),
        *_install_notes(install),
        "That installs the `autograder` command and the tests' helpers (numpy, SymPy, pytest...); "
        "it holds no answers. If pip refuses with `externally-managed-environment`, make a virtual "
        "environment first: `python3 -m venv ~/venvs/dl && source ~/venvs/dl/bin/activate` "
        "(Windows: `py -m venv %USERPROFILE%\\venvs\\dl` and `%USERPROFILE%\\venvs\\dl\\Scripts\\activate`), "
        "then run the command above.",
        "",
        "## 2. Check your work",
        "",
        *_check_section(module),
        "",
        "Passing the public tests is a good sign, not a guarantee: the grader's hidden tests check "
        "more inputs (edge points, large values, integer input, other parameters) and compare with "
        "numeric gradients.",
        "",
        "## Rules every function follows",
        "",
        "Beyond the values, the hidden tests check only rules marked `(rule ...)`: those below, "
        "and those a function's docstring marks the same way.",
        "",
        *(f"- {rule.stated()}" for rule in GENERAL_RULES),
        "- Use only numpy and Python's standard library: nothing else is installed in the sandbox, "
        "and your code may not start processes or open network connections.",
        f"- Each call may take at most {_seconds(limits.call_timeout_s)} and importing your file "
        f"at most {_seconds(limits.import_timeout_s)}; the grader limits memory to {limits.memory_mb} MB, "
        "and so does `check` on Linux (on macOS `check` sets the limit but macOS does not enforce it; "
        "on Windows `check` sets none).",
        "- Keep the functions' names and parameters as given.",
        "",
        "## What is graded",
        "",
        f"The hidden tests share {plural(assignment.total_points, 'point')} among the skills below (the "
        "same table is in `POINTS.md`); your grade report lists them the same way.",
        "",
        point_scheme(assignment).rstrip("\n"),
        "",
        "## Handing in",
        "",
        f"Hand in `{module}.py` or `{module}.ipynb` where your course says. In a notebook only the "
        "code cells count; IPython magics (`%...`) and shell lines (`!...`) are dropped.",
        "",
    ])


def release_conftest(assignment: Assignment, install: str | None = None) -> str:
    """``tests/conftest.py`` of the release: the kit's plugin, the default submission, and one
    line saying what to install when the kit is missing."""
    return CONFTEST.format(module=assignment.module, command=install_command(install),
                           message=missing_kit_message(install))
