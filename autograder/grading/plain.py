"""Running a plain public suite without pytest, for ``autograder check``.

A student runs ``check`` again and again; pytest's import, configuration and collection cost it
about as much as numpy's import. A public suite is plain: test functions marked with ``skill``,
``contract``, ``rule`` and one ``parametrize``, talking to ``student``. For a suite inside that
subset, ``run_plain_suite`` does by hand what pytest would do, with the same cases in the same
order, the same names, marks and messages (``autograder.grading.verdicts``), without importing
pytest. Anything outside the subset is found before any case runs (the folder, each module's
syntax, then its parameter sets once imported), and the caller runs pytest instead
(``autograder.grading.run.run_suite``).

The subset, checked on the syntax before anything is imported:

* the folder holds ``test_*.py`` modules only (besides ``__pycache__``), at most the conftest.py
  ``autograder release`` writes; a pytest configuration in it or above it (``pytest.ini``, a
  ``[tool.pytest...]`` table, ``[pytest]`` in tox.ini, ``[tool:pytest]`` in setup.cfg) sets only
  options the kit's run ignores (``INERT_OPTIONS``); no ``PYTEST_ADDOPTS`` or ``PYTEST_PLUGINS``
  in the environment;
* a module uses pytest only as ``import pytest``, ``pytest.mark.skill/contract/rule/parametrize``
  and ``pytest.param``; it binds no other top-level name that starts with ``test`` than its test
  functions, and no ``pytestmark``; no class whose name starts with ``Test``;
* a test function is a plain top-level ``def`` (no ``async``, no ``yield``), decorated only with
  those markers (``parametrize`` at most once, ``ids`` its only option), whose parameters are the
  parametrized names and the fixtures ``student``, ``strict_student`` and ``record_property``
  (none with a default, no ``*args``);
* every parameter set's id is printable ASCII, unique within its function.

Inside the module, ``import pytest`` binds a small stand-in (``_Pytest``) that builds the marks,
never the real module, and nothing else in the process sees it.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import os
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from autograder.grading.diagnose import CaseDiagnosis
from autograder.grading.outcomes import CaseOutcome, SuiteRun, exception_name
from autograder.grading.verdicts import (
    GRADER_FAILURE,
    UNMARKED,
    CaseMarks,
    drop_exception,
    failed_ending,
    failure,
    marks_from,
    passed_ending,
)
from autograder.suite.expect import save_expectations

StudentFactory = Callable[[], contextlib.AbstractContextManager[Any]]

MARKERS = frozenset({"skill", "contract", "rule", "parametrize"})
"""The markers a plain suite may use: the kit's three and ``parametrize``."""
FIXTURES = frozenset({"student", "strict_student", "record_property"})
"""The fixtures a plain test function may ask for."""
INI_FILES = {"pytest.ini": "pytest", ".pytest.ini": "pytest", "pyproject.toml": "tool.pytest", "tox.ini": "pytest",
             "setup.cfg": "tool:pytest"}
"""pytest's configuration files, and the section of each that configures it."""
INERT_OPTIONS = frozenset({"testpaths", "addopts", "python_files", "markers", "filterwarnings", "minversion",
                           "console_output_style", "cache_dir", "junit_family", "log_cli", "log_level"})
"""Options of a pytest configuration that the kit's run of a suite overrides (``addopts``,
``python_files``) or never acts on (its warnings, logging, cache and terminal plugins are off)."""


class OutsideSubset(Exception):
    """The suite is not plain: pytest runs it instead."""


# ---------------------------------------------------------------- the stand-in for pytest


@dataclass(frozen=True)
class Mark:
    """A marker with its arguments, used as pytest's ``MarkDecorator`` is: called on a test
    function, it marks it; called with anything else, it is a marker with more arguments."""

    name: str
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args and not kwargs and len(args) == 1 and callable(args[0]) \
                and getattr(args[0], "__name__", "<lambda>") != "<lambda>":
            target = args[0]
            target.pytestmark = [*getattr(target, "pytestmark", []), self]
            return target
        return Mark(self.name, self.args + args, {**self.kwargs, **kwargs})


@dataclass(frozen=True)
class Param:
    """``pytest.param(*values, marks=..., id=...)``."""

    values: tuple[Any, ...]
    marks: tuple[Mark, ...]
    id: object


class _Marks:
    def __getattr__(self, name: str) -> Mark:
        if name not in MARKERS:
            raise AttributeError(name)
        return Mark(name)


class _Pytest:
    """What a plain suite's ``import pytest`` binds: ``pytest.mark`` and ``pytest.param``."""

    mark = _Marks()

    @staticmethod
    def param(*values: Any, marks: Mark | Iterable[Mark] = (), id: object = None) -> Param:  # noqa: A002
        return Param(values, (marks,) if isinstance(marks, Mark) else tuple(marks), id)


STAND_IN = _Pytest()


# ---------------------------------------------------------------- the subset, on the syntax


def plain_modules(suite_dir: Path, module: str) -> list[Path] | None:
    """The suite's modules, in pytest's order, when the folder and their syntax are inside the
    subset; None otherwise. ``module``: the assignment's module (its release conftest names it)."""
    if os.environ.get("PYTEST_ADDOPTS") or os.environ.get("PYTEST_PLUGINS") or _configured(suite_dir):
        return None
    try:
        entries = sorted(os.scandir(suite_dir), key=lambda e: e.name)
    except OSError:
        return None
    modules: list[Path] = []
    for entry in entries:
        if entry.name == "__pycache__":
            continue
        path = Path(entry.path)
        if entry.is_dir() or not entry.is_file():
            return None
        if entry.name == "conftest.py":
            if not _release_conftest(path, module):
                return None
        elif entry.name.startswith("test_") and entry.name.endswith(".py"):
            modules.append(path)
        elif entry.name.endswith((".py", ".pyc")) or entry.name in INI_FILES:
            return None
    try:
        if not modules or not all(_plain_syntax(ast.parse(path.read_bytes(), str(path))) for path in modules):
            return None
    except (OSError, SyntaxError, ValueError):
        return None
    return modules


def _configured(suite_dir: Path) -> bool:
    """Whether a pytest configuration file in ``suite_dir`` or a folder above it sets anything
    the kit's run of a suite would act on (``INERT_OPTIONS`` aside)."""
    for folder in (suite_dir.resolve(), *suite_dir.resolve().parents):
        for name in INI_FILES:
            path = folder / name
            if path.is_file():
                try:
                    options = _pytest_options(path)
                except (OSError, ValueError):
                    return True
                if options is not None and not options <= INERT_OPTIONS:
                    return True
    return False


def _pytest_options(path: Path) -> set[str] | None:
    """The options a configuration file gives pytest; None when it configures no pytest.
    ValueError: it cannot be read."""
    text = path.read_text(encoding="utf-8")
    if path.name == "pyproject.toml":
        import tomllib

        tool = tomllib.loads(text).get("tool", {}).get("pytest")
        if tool is None:
            return None
        if not isinstance(tool, dict):
            raise ValueError("tool.pytest is not a table")
        options = {key for key in tool if key != "ini_options"}
        ini = tool.get("ini_options", {})
        return options | set(ini) if isinstance(ini, dict) else {"ini_options"}
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error as err:
        raise ValueError(str(err)) from err
    section = INI_FILES[path.name]
    if not parser.has_section(section):
        return set() if path.name in ("pytest.ini", ".pytest.ini") else None
    return set(parser.options(section))


def _release_conftest(path: Path, module: str) -> bool:
    """Whether ``path`` is the conftest.py ``autograder release`` writes (whatever it says to install)."""
    from autograder.conftest_template import CONFTEST

    try:
        given = ast.parse(path.read_bytes())
    except (OSError, SyntaxError, ValueError):
        return False
    written = ast.parse(CONFTEST.format(module=module, command="", message=""))
    return _without_texts(given) == _without_texts(written)


def _without_texts(tree: ast.Module) -> str:
    """The conftest's syntax without its docstring and the message of a missing kit."""
    body = tree.body[1:] if tree.body and isinstance(tree.body[0], ast.Expr) \
        and isinstance(tree.body[0].value, ast.Constant) else tree.body
    for node in ast.walk(ast.Module(body=body, type_ignores=[])):
        if isinstance(node, ast.Assign) and [ast.dump(t) for t in node.targets] == [
                ast.dump(ast.Name("_MISSING_KIT", ast.Store()))] and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str):
            node.value = ast.Constant("")
    return ast.dump(ast.Module(body=body, type_ignores=[]))


def _plain_syntax(tree: ast.Module) -> bool:
    """Whether a test module's syntax is inside the subset (see the module's docstring)."""
    tests = 0
    for statement in tree.body:
        if isinstance(statement, ast.FunctionDef) and statement.name.startswith("test"):
            if not _plain_test(statement):
                return False
            tests += 1
        elif isinstance(statement, ast.AsyncFunctionDef) and statement.name.startswith("test"):
            return False
        elif isinstance(statement, ast.ClassDef) and statement.name.startswith("Test"):
            return False
        elif not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
                and any(name.startswith("test") or name in ("pytestmark", "__test__") for name in _bound(statement)):
            return False
    names = [s.name for s in tree.body if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]
    return tests > 0 and len(names) == len(set(names)) and _pytest_used_plainly(tree)


def _bound(statement: ast.stmt) -> Iterator[str]:
    """The names a top-level statement binds in the module."""
    if isinstance(statement, ast.Import | ast.ImportFrom):
        for alias in statement.names:
            yield "test *" if alias.name == "*" else (alias.asname or alias.name).split(".")[0]
        return
    for node in _walk(statement):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            yield node.id
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield node.name


def _plain_test(function: ast.FunctionDef) -> bool:
    arguments = function.args
    if arguments.vararg or arguments.kwarg or arguments.posonlyargs or arguments.kwonlyargs \
            or arguments.defaults or arguments.kw_defaults:
        return False
    if any(isinstance(node, ast.Yield | ast.YieldFrom) for node in _own_nodes(function)):
        return False
    parametrized = 0
    for decorator in function.decorator_list:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = _marker_name(target)
        if name is None:
            return False
        if name == "parametrize":
            parametrized += 1
            if not isinstance(decorator, ast.Call) or any(k.arg != "ids" for k in decorator.keywords):
                return False
    return parametrized <= 1


def _own_nodes(function: ast.FunctionDef) -> Iterator[ast.AST]:
    """The nodes of ``function``'s body, not those of functions or classes defined inside it."""
    pending: list[ast.AST] = list(function.body)
    while pending:
        node = pending.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            pending.extend(_child_nodes(node))


def _marker_name(node: ast.expr) -> str | None:
    """``skill`` for ``pytest.mark.skill``; None for anything else."""
    if isinstance(node, ast.Attribute) and node.attr in MARKERS and isinstance(node.value, ast.Attribute) \
            and node.value.attr == "mark" and isinstance(node.value.value, ast.Name) \
            and node.value.value.id == "pytest":
        return node.attr
    return None


def _pytest_used_plainly(tree: ast.Module) -> bool:
    """``pytest`` is imported as itself, never rebound, and read only as ``pytest.mark.<marker>``
    or ``pytest.param``; nothing imports pytest's own modules or names from pytest."""
    parents: dict[int, ast.AST] = {}
    for node in _walk(tree, parents):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top in ("pytest", "_pytest") and (alias.name != "pytest" or alias.asname is not None):
                    return False
        elif isinstance(node, ast.ImportFrom):
            if (node.module or "").split(".")[0] in ("pytest", "_pytest") or node.level == 0 and any(
                    alias.name == "pytest" for alias in node.names):
                return False
        elif isinstance(node, ast.Name) and node.id == "pytest":
            if not isinstance(node.ctx, ast.Load):
                return False
            parent = parents.get(id(node))
            if not isinstance(parent, ast.Attribute) or parent.value is not node:
                return False
            if parent.attr == "param":
                continue
            grandparent = parents.get(id(parent))
            if parent.attr != "mark" or not isinstance(grandparent, ast.Attribute) \
                    or grandparent.attr not in MARKERS:
                return False
        elif isinstance(node, ast.arg | ast.alias) and (getattr(node, "arg", None) == "pytest"
                                                        or getattr(node, "asname", None) == "pytest"):
            return False
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == "pytest":
            return False
        elif isinstance(node, ast.Global | ast.Nonlocal) and "pytest" in node.names:
            return False
    return True


def _child_nodes(node: ast.AST) -> list[ast.AST]:
    """``ast.iter_child_nodes(node)`` as a list, without its two generators (these walks are most of
    the time ``check`` spends reading a suite)."""
    children: list[ast.AST] = []
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, ast.AST):
            children.append(value)
        elif isinstance(value, list):
            children.extend(item for item in value if isinstance(item, ast.AST))
    return children


def _walk(tree: ast.AST, parents: dict[int, ast.AST] | None = None) -> Iterator[ast.AST]:
    """The nodes of ``tree`` in ``ast.walk``'s order. With ``parents``: before a node is yielded,
    ``parents`` maps the id of each of its children to it (so a node's parent and grandparent are
    known when it comes), in the same pass."""
    pending: list[ast.AST] = [tree]
    at = 0
    while at < len(pending):
        node = pending[at]
        at += 1
        children = _child_nodes(node)
        if parents is not None:
            for child in children:
                parents[id(child)] = node
        pending.extend(children)
        yield node


# ---------------------------------------------------------------- collection


@dataclass
class PlainCase:
    """One case: its function, its name, its parameters and its markers (as pytest's ``own_markers``)."""

    name: str
    function: Callable[..., Any]
    parameters: dict[str, Any]
    fixtures: tuple[str, ...]
    markers: list[Mark]
    properties: list[tuple[str, object]] = field(default_factory=list)

    @property
    def marks(self) -> CaseMarks | None:
        return marks_from([m for m in self.markers if m.name == "skill"],
                          any(m.name == "contract" for m in self.markers))

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(arg for m in self.markers if m.name == "rule" for arg in m.args))


def _import(path: Path, name: str) -> ModuleType:
    """The module at ``path``, run with ``import pytest`` binding the stand-in (its own
    ``import pytest`` statements only: a module it imports gets the real one)."""
    module = ModuleType(name)
    module.__file__ = str(path)

    def importing(what: str, globals_: Mapping[str, object] | None = None, locals_: Mapping[str, object] | None = None,
                  fromlist: tuple[str, ...] | None = (), level: int = 0) -> Any:
        if what == "pytest" and level == 0 and globals_ is module.__dict__:
            return STAND_IN
        return builtins.__import__(what, globals_, locals_, fromlist or (), level)

    module.__dict__["__builtins__"] = {**builtins.__dict__, "__import__": importing}
    code = compile(path.read_bytes(), str(path), "exec", dont_inherit=True)
    sys.modules[name] = module
    exec(code, module.__dict__)  # noqa: S102  (the instructor's suite, as pytest would import it)
    return module


def _cases(module: ModuleType) -> list[PlainCase]:
    cases = []
    for name, function in list(vars(module).items()):
        if not name.startswith("test") or not callable(function) or not hasattr(function, "__code__"):
            continue
        markers = list(getattr(function, "pytestmark", []))
        if not all(isinstance(m, Mark) for m in markers) or hasattr(function, "__test__"):
            raise OutsideSubset(f"{name}: markers of its own, or __test__")
        code = function.__code__
        arguments = code.co_varnames[:code.co_argcount]
        fixtures = tuple(a for a in arguments if a in FIXTURES)
        parametrize = [m for m in markers if m.name == "parametrize"]
        if not parametrize:
            if set(arguments) - FIXTURES:
                raise OutsideSubset(f"{name}: fixtures of its own")
            cases.append(PlainCase(name, function, {}, fixtures, markers))
            continue
        argnames, argvalues, ids, force_tuple = _parametrize(parametrize[0])
        if set(arguments) != set(argnames) | set(fixtures) or set(argnames) & FIXTURES:
            raise OutsideSubset(f"{name}: parameters and fixtures do not match")
        sets = [v if isinstance(v, Param) else Param((v,) if force_tuple else tuple(v), (), None)
                for v in argvalues]
        names = _ids(sets, argnames, ids)
        for values, case_id, marks in zip((s.values for s in sets), names, (s.marks for s in sets), strict=True):
            if len(values) != len(argnames):
                raise OutsideSubset(f"{name}: a parameter set of the wrong length")
            cases.append(PlainCase(f"{name}[{case_id}]", function, dict(zip(argnames, values, strict=True)),
                                   fixtures, [*markers, *marks]))
    return cases


def _parametrize(mark: Mark) -> tuple[list[str], list[Any], Any, bool]:
    """Its names, its values, its ``ids``, and whether each value is one parameter (one name
    given as a string) rather than a sequence of them."""
    if len(mark.args) != 2 or set(mark.kwargs) - {"ids"}:
        raise OutsideSubset("parametrize with other arguments")
    argnames, argvalues = mark.args
    if isinstance(argnames, str):
        names = [n.strip() for n in argnames.split(",") if n.strip()]
    elif isinstance(argnames, list | tuple) and all(isinstance(n, str) for n in argnames):
        names = list(argnames)
    else:
        raise OutsideSubset("parametrize's names")
    values = list(argvalues)
    if not names or not values or len(set(names)) != len(names):
        raise OutsideSubset("an empty or repeated parametrize")
    force_tuple = isinstance(argnames, str) and len(names) == 1
    if not force_tuple and not all(isinstance(v, Param | list | tuple) for v in values):
        raise OutsideSubset("parameter sets that are not sequences")
    return names, values, mark.kwargs.get("ids"), force_tuple


def _ids(sets: list[Param], argnames: list[str], ids: Any) -> list[str]:
    """Each parameter set's id, as pytest makes it; OutsideSubset where pytest would escape,
    suffix or refuse one."""
    listed = list(ids) if ids is not None and not callable(ids) else None
    if listed is not None and len(listed) != len(sets):
        raise OutsideSubset("ids of another length than the parameter sets")
    made = []
    for index, parameter_set in enumerate(sets):
        if parameter_set.id is not None:
            made.append(_plain_id(parameter_set.id))
        elif listed is not None and index < len(listed) and listed[index] is not None:
            made.append(_plain_id(_from_value(listed[index])))
        else:
            made.append("-".join(_value_id(value, argname, index, ids if callable(ids) else None)
                                 for value, argname in zip(parameter_set.values, argnames, strict=False)))
    if len(set(made)) != len(made):
        raise OutsideSubset("parameter sets with the same id")
    return made


def _value_id(value: Any, argname: str, index: int, function: Callable[[Any], object] | None) -> str:
    if function is not None:
        made = function(value)
        if made is not None:
            return _plain_id(_from_value(made))
    if isinstance(value, str) and len(value) > 100:
        raise OutsideSubset("a long string parameter")
    found = _from_value(value, required=False)
    return argname + str(index) if found is None else _plain_id(found)


def _from_value(value: Any, *, required: bool = True) -> object:
    """What pytest makes an id from ``value`` (None: its argument's name and index, where not
    ``required``); values of the other types it takes ids from are outside the subset."""
    import enum
    import re

    if isinstance(value, str):
        return value
    if value is None or isinstance(value, bool | int | float):
        return str(value)
    if required or isinstance(value, bytes | complex | enum.Enum | re.Pattern) \
            or isinstance(getattr(value, "__name__", None), str):
        raise OutsideSubset("an id from a value of another type")
    return None


def _plain_id(made: object) -> str:
    if not isinstance(made, str) or not made.isascii() or not made.isprintable():
        raise OutsideSubset("an id pytest would escape")
    return made


# ---------------------------------------------------------------- running


def run_plain_suite(suite_dir: Path, module: str, factory: StudentFactory, *,
                    diagnosis: CaseDiagnosis | None = None,
                    ready: Callable[[], bool] | None = None) -> SuiteRun | None:
    """The run of the suite in ``suite_dir`` as ``run_suite`` gives it, without pytest; None when the
    suite is outside the subset (found before ``ready`` is asked or anything of the student's runs).
    ``module``: the assignment's module."""
    paths = plain_modules(suite_dir, module)
    if paths is None:
        return None
    # the name pytest's importlib mode gives a module at the top of its rootdir, unless taken
    names = [path.stem if path.stem not in sys.modules else f"_autograder_plain_{i}_{path.stem}"
             for i, path in enumerate(paths)]
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
            try:
                cases = [case for path, name in zip(paths, names, strict=True) for case in _cases(_import(path, name))]
            except (OutsideSubset, Exception):
                return None  # pytest collects it, and says what is wrong with it
            if ready is not None and not ready():
                return _outcomes(cases, {}, [])
            return _run(cases, factory, diagnosis)
    finally:
        save_expectations()  # what the reference derived, for the next process (never raises)
        for name in names:
            sys.modules.pop(name, None)


@dataclass
class _Student:
    """The session's ``student``: set up for the first case that asks, its failure kept for the others."""

    factory: StudentFactory
    manager: contextlib.AbstractContextManager[Any] | None = None
    proxy: Any = None
    error: BaseException | None = None

    def get(self) -> Any:
        if self.error is not None:
            raise self.error
        if self.manager is None:
            manager = self.factory()
            try:
                self.proxy = manager.__enter__()
            except BaseException as err:
                self.error = err
                raise
            self.manager = manager
        return self.proxy

    def close(self) -> None:
        if self.manager is not None:
            with contextlib.suppress(Exception):  # the kit's teardown, as pytest's report of it is ignored
                self.manager.__exit__(None, None, None)


Ending = dict[str, Any]


def _run(cases: list[PlainCase], factory: StudentFactory, diagnosis: CaseDiagnosis | None) -> SuiteRun:
    endings: dict[int, Ending] = {}
    errors: list[str] = []
    student = _Student(factory)
    try:
        for index, case in enumerate(cases):
            endings[index] = _run_case(case, student, diagnosis)
    except Exception as err:  # the kit's own failure (a diagnosis): fail closed, as pytest's internal error
        errors.append(f"the suite's run stopped: {type(err).__name__}: {err}")
    finally:
        student.close()
    return _outcomes(cases, endings, errors)


def _run_case(case: PlainCase, student: _Student, diagnosis: CaseDiagnosis | None) -> Ending:
    if diagnosis is not None:
        diagnosis.begin_case()
    when = "setup"
    try:
        arguments = dict(case.parameters)
        for fixture in case.fixtures:
            if fixture == "student":
                arguments[fixture] = student.get()
            elif fixture == "strict_student":
                arguments[fixture] = student.get().with_options(errstate=True)
            else:
                arguments[fixture] = lambda name, value: case.properties.append((name, value))
        when = "call"
        case.function(**arguments)
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # noqa: BLE001  (pytest reports any exception a case raises)
        return _failed(case, err, when, diagnosis)
    return passed_ending(dict(case.properties))


def _failed(case: PlainCase, error: BaseException, when: str, diagnosis: CaseDiagnosis | None) -> Ending:
    from autograder.curves import curve_of

    failed = failure(error, lambda: "".join(traceback.format_exception(error)))
    curve, raised = curve_of(error), exception_name(type(error))
    drop_exception(error)
    found = diagnosis.diagnose() if when == "call" and diagnosis is not None else None
    return failed_ending(failed, dict(case.properties), curve, raised, found)


def _outcomes(cases: list[PlainCase], endings: Mapping[int, Ending], errors: list[str]) -> SuiteRun:
    outcomes = []
    for index, case in enumerate(cases):
        name = case.name.removeprefix("test_")
        marks = case.marks
        if marks is None:
            errors.append(f"{name} has no valid skill marker (exactly one skill(name, weight=w > 0))")
            marks = CaseMarks(UNMARKED, 1.0, False)
        ending = endings.get(index, {"passed": False, "message": GRADER_FAILURE, "kind": "grader",
                                     "detail": "the test did not run"})
        outcomes.append(CaseOutcome(name, marks.skill, 0.0, contract=marks.contract, weight=marks.weight,
                                    rules=case.rules, **ending))
    return SuiteRun(tuple(outcomes), tuple(errors))
