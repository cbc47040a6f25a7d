"""autograder.release.script: notebooks -> the solution and stub modules."""

from __future__ import annotations

import ast
import inspect
import types

import pytest

from autograder.assignment import Assignment
from autograder.release import solution_source, stub_source
from autograder.release.nbgrader_cells import mark_nbgrader_cells
from autograder.release.script import comment_block, notebook_to_script

from .helpers import notebook_of


def _module(source: str, name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module


def test_script_keeps_code_cells_in_order_and_drops_test_cells() -> None:
    notebook = mark_nbgrader_cells(notebook_of(
        ("markdown", "# prose", {}), ("code", "import math", {}), ("code", "def f():\n    return 1", {}),
        ("code", "assert f() == 1", {"tags": ["tests"]})))
    script = notebook_to_script(notebook, header="Title\n\nSecond line")
    assert script == "# Title\n#\n# Second line\n\nimport math\n\n\ndef f():\n    return 1\n"
    assert "assert" not in script and "prose" not in script


def test_comment_block_comments_every_line() -> None:
    assert comment_block("a\n\nb") == "# a\n#\n# b\n\n"


def test_solution_defines_every_function_and_runs_no_test_code(assignment: Assignment) -> None:
    source = solution_source(assignment)
    tree = ast.parse(source)
    assert not [n for n in tree.body if isinstance(n, ast.Assert)], "test cells leaked into the solution"
    module = _module(source, f"{assignment.module}_solution")
    for name in assignment.functions:
        assert callable(getattr(module, name, None)), f"solution lacks {name}"


def test_stub_imports_and_every_function_raises_not_implemented(assignment: Assignment) -> None:
    source = stub_source(assignment)
    assert f"autograder check {assignment.module}.py" in source
    module = _module(source, f"{assignment.module}_stub")
    for name in assignment.functions:
        function = getattr(module, name)
        required = [p for p in inspect.signature(function).parameters.values()
                    if p.default is inspect.Parameter.empty
                    and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        with pytest.raises(NotImplementedError):
            function(*[None] * len(required))


def test_stub_and_solution_share_everything_outside_the_solutions(assignment: Assignment) -> None:
    """Same functions with the same signatures and docstrings: only the bodies differ."""
    solution = _module(solution_source(assignment), "solution")
    stub = _module(stub_source(assignment), "stub")
    for name in assignment.functions:
        assert inspect.signature(getattr(stub, name)) == inspect.signature(getattr(solution, name)), name
        assert inspect.getdoc(getattr(stub, name)) == inspect.getdoc(getattr(solution, name)), name
