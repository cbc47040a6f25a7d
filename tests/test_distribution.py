"""What a student installs holds no answers, and is all a student needs.

* The wheel (``pip wheel --no-deps .``) and the sdist (``python -m build --sdist``),
  built from a clean copy of this repository and unpacked, hold the kit and the
  reference and nothing of the course: no solution region, no hidden-test region,
  no instructor ``source.py``, no hidden suite file (by name, by content or by its
  test functions), no ``misconceptions.toml``, no ``assignments/`` package.
* The wheel, installed into a fresh virtual environment, releases every assignment
  from the course folder (``--course``), and ``autograder check`` in each release
  folder, with no course anywhere to be found, passes the solution and fails the
  stub notebook; ``pytest`` there says in one line what to install before the kit is
  installed, and passes the solution after.

Both build with the test environment's setuptools (``--no-build-isolation``, so
nothing is downloaded; the ``test`` extra pins ``setuptools>=77`` and ``build``).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import re
import shutil
import site
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import nbformat
import pytest

from autograder.assignment import COURSE_ENV, Assignment, find_course
from autograder.files import CACHE_ENV
from autograder.kit_wheel import wheel_name
from autograder.release import instructor_notebook, solution_source
from autograder.release.nbgrader_cells import is_source_test_cell
from autograder.release.readme import missing_kit_message
from autograder.release.regions import HIDDEN_TESTS, SOLUTION, regions

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
COURSE = find_course(REPO / "assignments")
ASSIGNMENTS = COURSE.assignments()
KIT_NAMES = frozenset({"autograder", "reference", "assignments"})
"""Top-level names of this project: never taken from the test environment into the fresh one."""
NOT_COPIED = ("/.git", "/.venv*", "/build", "/dist", "*.egg-info", "__pycache__", ".pytest_cache", "/graded",
              "/out")
MARKER_LINE = re.compile(r"#+\s*BEGIN (SOLUTION|HIDDEN TESTS)")
GENERIC_NAMES = frozenset({"__init__.py", "conftest.py"})
TIMEOUT_S = 900


def _run(command: list[str], *, cwd: Path, env: dict[str, str] | None = None,
         check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT_S,
                          stdin=subprocess.DEVNULL, check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"$ {' '.join(command)}\nexit {done.returncode}\n{done.stdout[-4000:]}\n"
                             f"{done.stderr[-4000:]}")
    return done


def _clean_copy(target: Path) -> Path:
    """The repository's files without build leftovers, caches or virtual environments."""
    def ignore(folder: str, names: list[str]) -> set[str]:
        top = Path(folder).resolve() == REPO
        return {n for n in names for pattern in NOT_COPIED
                if (top or not pattern.startswith("/")) and Path(n).match(pattern.lstrip("/"))}

    shutil.copytree(REPO, target, ignore=ignore, symlinks=True)
    return target


def _setuptools_is_recent() -> bool:
    try:
        major = int(importlib.metadata.version("setuptools").split(".")[0])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return False
    return major >= 77


@dataclass(frozen=True)
class Built:
    wheel: Path
    sdist: Path
    files: dict[str, dict[PurePosixPath, bytes]]  # "wheel"/"sdist" -> path in the archive -> bytes


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    base = tmp_path_factory.mktemp("dist")
    source = _clean_copy(base / "src")
    out = base / "out"
    recent = _setuptools_is_recent()  # else pip and build fetch setuptools>=77 into an isolated env
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", *(["--no-build-isolation"] if recent else []),
          "-w", str(out), str(source)], cwd=base)
    _run([sys.executable, "-m", "build", "--sdist", *(["--no-isolation"] if recent else []), "-o", str(out),
          str(source)], cwd=base)
    (wheel,), (sdist,) = sorted(out.glob("*.whl")), sorted(out.glob("*.tar.gz"))
    with zipfile.ZipFile(wheel) as archive:
        wheel_files = {PurePosixPath(i.filename): archive.read(i) for i in archive.infolist() if not i.is_dir()}
    with tarfile.open(sdist) as archive:
        sdist_files = {PurePosixPath(*PurePosixPath(m.name).parts[1:]): archive.extractfile(m).read()  # type: ignore[union-attr]
                       for m in archive.getmembers() if m.isfile()}
    return Built(wheel, sdist, {"wheel": wheel_files, "sdist": sdist_files})


# --------------------------------------------------------------------------
# What the course must never put in a distribution


@dataclass(frozen=True)
class Secrets:
    names: frozenset[str]  # file names of the course's secret files
    digests: frozenset[str]  # sha256 of every course file that is not public
    blocks: tuple[tuple[str, tuple[str, ...]], ...]  # (where, stripped lines of a solution/hidden region)
    test_functions: frozenset[str]  # "def test_x(" of the hidden suites, not in the public ones


def _stripped(text: str) -> list[str]:
    """A text's non-empty lines, stripped; JSON string quoting (a notebook's lines) undone."""
    lines = (line.strip().strip(",").strip('"').replace("\\n", "").strip() for line in text.split("\n"))
    return [line for line in lines if line]


def _region_blocks(assignment: Assignment) -> list[tuple[str, tuple[str, ...]]]:
    blocks = []
    for cell in instructor_notebook(assignment).cells:
        found = list(regions(cell.source, SOLUTION, where=cell.id))
        if is_source_test_cell(cell):
            found += regions(cell.source, HIDDEN_TESTS, where=cell.id)
        for region in found:
            lines = tuple(_stripped("\n".join(region.body)))
            if len(lines) >= 2:  # a one-line region (`return s`) is too common to stand for a solution
                blocks.append((f"{assignment.id} {cell.id}", lines))
    return blocks


def _test_functions(folder: Path) -> set[str]:
    return {f"def {name}(" for path in folder.rglob("*.py")
            for name in re.findall(r"(?m)^def (test_\w+)\(", path.read_text(encoding="utf-8"))}


@pytest.fixture(scope="module")
def secrets() -> Secrets:
    names: set[str] = set()
    digests: set[str] = set()
    blocks: list[tuple[str, tuple[str, ...]]] = []
    functions: set[str] = set()
    for assignment in ASSIGNMENTS:
        secret_files = [assignment.source_path, assignment.misconceptions_path,
                        *(p for p in assignment.hidden_tests.rglob("*") if p.is_file())]
        for path in secret_files:
            if path.is_file() and "__pycache__" not in path.parts:
                digests.add(hashlib.sha256(path.read_bytes()).hexdigest())
                if path.name not in GENERIC_NAMES:
                    names.add(path.name)
        blocks += _region_blocks(assignment)
        functions |= _test_functions(assignment.hidden_tests) - _test_functions(assignment.public_tests)
    assert {"source.py", "misconceptions.toml"} <= names and blocks and functions
    return Secrets(frozenset(names), frozenset(digests), tuple(blocks), frozenset(functions))


def _contains_block(lines: list[str], block: tuple[str, ...]) -> bool:
    first = block[0]
    return any(lines[i:i + len(block)] == list(block) for i, line in enumerate(lines) if line == first)


def leaks(files: dict[PurePosixPath, bytes], secrets: Secrets) -> list[str]:
    """Every trace of the course's secrets in an unpacked distribution, one message each."""
    found: list[str] = []
    for path, data in sorted(files.items()):
        parts = set(path.parts)
        if "assignments" in parts or {"tests", "hidden"} <= parts:
            found.append(f"{path}: a course folder")
        if path.name in secrets.names:
            found.append(f"{path}: has the name of an instructor-only file")
        if hashlib.sha256(data).hexdigest() in secrets.digests:
            found.append(f"{path}: is an instructor-only file")
        text = data.decode("utf-8", errors="replace")
        lines = _stripped(text)
        found += [f"{path}: has the region marker {line!r}" for line in lines if MARKER_LINE.fullmatch(line)]
        found += [f"{path}: holds the region {where}" for where, block in secrets.blocks
                  if _contains_block(lines, block)]
        found += [f"{path}: defines the hidden test {name[4:-1]}" for name in sorted(secrets.test_functions)
                  if name in text]
    return found


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_the_distribution_holds_the_kit_and_no_answers(built: Built, secrets: Secrets, kind: str) -> None:
    files = built.files[kind]
    assert not leaks(files, secrets), "\n".join(leaks(files, secrets))
    packages = {p.parts[0] for p in files if p.suffix == ".py"}
    if kind == "wheel":
        assert packages == {"autograder", "reference"}
    else:
        assert packages == {"autograder", "reference"}, "the sdist holds the kit only (no tests/, no assignments/)"
        assert PurePosixPath("pyproject.toml") in files and PurePosixPath("README.md") in files
    for module in ("autograder/cli.py", "autograder/suite/plugin.py", "autograder/release/readme.py",
                   "reference/activations.py"):
        assert PurePosixPath(module) in files, module


def test_the_leak_check_sees_every_kind_of_leak(secrets: Secrets) -> None:
    """The check above would fail on each secret, so its silence means something."""
    assignment = ASSIGNMENTS[0]
    hidden = next(p for p in sorted(assignment.hidden_tests.rglob("test_*.py")))
    source = assignment.source_path.read_text(encoding="utf-8")
    cases = {
        PurePosixPath("assignments/x/manifest.toml"): b"",
        PurePosixPath("pkg/source.py"): b"",
        PurePosixPath("pkg/copy.py"): hidden.read_bytes(),
        PurePosixPath("pkg/solution.py"): solution_source(assignment).encode(),
        PurePosixPath("pkg/markers.py"): source.encode(),
        PurePosixPath("pkg/renamed_suite.py"): hidden.read_bytes() + b"\n# edited\n",
        PurePosixPath("pkg/instructor.ipynb"): nbformat.writes(instructor_notebook(assignment)).encode(),
    }
    found = leaks(cases, secrets)
    for path in cases:
        assert any(message.startswith(f"{path}:") for message in found), path


# --------------------------------------------------------------------------
# A fresh environment: the wheel, the course folder, a student's release


def _kit_free_site(target: Path) -> Path:
    """A folder of links to this environment's installed packages, minus this project:
    the dependencies a fresh venv reuses instead of downloading them."""
    target.mkdir()
    folders = [*site.getsitepackages(), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    for folder in dict.fromkeys(Path(f) for f in folders if Path(f).is_dir()):
        for entry in folder.iterdir():
            stem = entry.name.split(".")[0].split("-")[0]
            if (stem in KIT_NAMES or entry.name.startswith(("dl_gradekit", "__editable__", "_dl_gradekit"))
                    or entry.suffix == ".pth" or (target / entry.name).exists()):
                continue
            (target / entry.name).symlink_to(entry)
    return target


@dataclass(frozen=True)
class FreshVenv:
    root: Path
    python: Path
    autograder: Path
    env: dict[str, str]
    without_kit: dict[str, Path]  # assignment id -> a release made before the kit was installed


@pytest.fixture(scope="module")
def fresh_venv(built: Built, tmp_path_factory: pytest.TempPathFactory) -> FreshVenv:
    base = tmp_path_factory.mktemp("fresh")
    root = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(root)], cwd=base)
    python = root / "bin" / "python"
    purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                   cwd=base).stdout.strip()
    deps = _kit_free_site(base / "deps")
    (Path(purelib) / "dependencies.pth").write_text(f"{deps}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in (COURSE_ENV, "PYTHONPATH", "VIRTUAL_ENV")}
    env.update(PATH=f"{root / 'bin'}{os.pathsep}{env.get('PATH', '')}", PYTHONDONTWRITEBYTECODE="1")
    env[CACHE_ENV] = str(base / "cache")  # the installed kit packs its own wheel, not this clone's cached one

    # Before the kit: pytest in a release folder says what to install, in one line.
    without_kit: dict[str, Path] = {}
    from autograder.release import release_assignment

    for assignment in ASSIGNMENTS:
        folder = release_assignment(assignment, base / "before").folder
        done = _run([str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/"], cwd=folder, env=env,
                    check=False)
        lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
        assert (done.returncode, lines) == (4, [f"ERROR: {missing_kit_message()}"]), done.stdout + done.stderr
        without_kit[assignment.id] = folder

    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
          str(built.wheel)], cwd=base, env=env)
    where = _run([str(python), "-c", "import autograder, reference; print(autograder.__file__)"], cwd=base,
                 env=env).stdout.strip()
    assert Path(where).resolve().is_relative_to(root.resolve()), where  # the wheel's kit, not this checkout
    assert _run([str(python), "-c", "import assignments"], cwd=base, env=env, check=False).returncode == 1
    return FreshVenv(root, python, root / "bin" / "autograder", env, without_kit)


@pytest.mark.parametrize("assignment", ASSIGNMENTS, ids=[a.id for a in ASSIGNMENTS])
def test_a_student_checks_a_release_with_the_wheel_alone(fresh_venv: FreshVenv, assignment: Assignment,
                                                         tmp_path: Path) -> None:
    kit, env, module = str(fresh_venv.autograder), fresh_venv.env, assignment.module
    # Without --course, the installed kit finds no course from a folder outside the clone.
    done = _run([kit, "release", "--assignment", assignment.id, "--out", "release"], cwd=tmp_path, env=env,
                check=False)
    assert done.returncode == 2 and "no course folder found" in done.stderr, done.stdout + done.stderr
    said = [line for line in done.stderr.splitlines() if "no course folder found" in line]
    assert len(said) == 1 and "autograder --course DIR" in said[0] and COURSE_ENV in said[0], said  # how to name it
    _run([kit, "--course", str(COURSE.root), "release", "--assignment", assignment.id, "--out", "release"],
         cwd=tmp_path, env=env)
    folder = tmp_path / "release" / assignment.id
    figures = {"activations": {"activations.png"}, "vanishing": {"vanishing_gradient.png"}}.get(assignment.id, set())
    assert {p.name for p in folder.iterdir()} == {f"{module}.py", f"{module}.ipynb", "README.md", "POINTS.md",
                                                   "assignment.toml", "tests", "wheels"} | figures
    # the same release either way; the wheel is the installed kit packed again, so only its name is equal
    assert _files(folder, wheels=False) == _files(fresh_venv.without_kit[assignment.id], wheels=False)
    assert _names(folder / "wheels") == _names(fresh_venv.without_kit[assignment.id] / "wheels") == [wheel_name()]

    stub = _run([kit, "check", f"{module}.ipynb"], cwd=folder, env=env, check=False)
    assert stub.returncode == 1 and "some public tests fail" in stub.stdout, stub.stdout + stub.stderr
    (folder / f"{module}.py").write_text(solution_source(assignment), encoding="utf-8")
    passing = _run([kit, "check", f"{module}.py"], cwd=folder, env=env, check=False)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "all public tests pass" in passing.stdout and "✗" not in passing.stdout
    tests = _run([str(fresh_venv.python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/"], cwd=folder,
                 env=env, check=False)
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]


def _files(folder: Path, *, wheels: bool = True) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts and (wheels or p.suffix != ".whl")}


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _wheel_files(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as archive:
        return {i.filename: archive.read(i) for i in archive.infolist()
                if not i.is_dir() and ".dist-info/" not in i.filename}


@pytest.fixture(scope="module")
def student_venv(fresh_venv: FreshVenv, tmp_path_factory: pytest.TempPathFactory) -> tuple[FreshVenv, Path]:
    """A student's machine: the release made by the installed kit (no clone anywhere), its README's
    command run in the release folder with no package index (the dependencies are this machine's)."""
    base = tmp_path_factory.mktemp("student")
    _run([str(fresh_venv.autograder), "--course", str(COURSE.root), "release", "--assignment", "activations",
          "--out", "release"], cwd=base, env=fresh_venv.env)
    folder = base / "release" / "activations"
    readme = (folder / "README.md").read_text(encoding="utf-8")
    command = re.search(r"```bash\n(python3 -m pip install \S+)\n```", readme)
    assert command and command.group(1) == f"python3 -m pip install wheels/{wheel_name()}", readme[:2000]
    root = base / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(root)], cwd=base)
    python = root / "bin" / "python"
    purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                   cwd=base).stdout.strip()
    (Path(purelib) / "dependencies.pth").write_text(f"{_kit_free_site(base / 'deps')}\n", encoding="utf-8")
    env = {**fresh_venv.env, "PATH": f"{root / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-index", "-q",
          *command.group(1).split()[4:]], cwd=folder, env=env)
    where = _run([str(python), "-c", "import autograder; print(autograder.__file__)"], cwd=base,
                 env=env).stdout.strip()
    assert Path(where).resolve().is_relative_to(root.resolve()), where
    student = FreshVenv(root, python, root / "bin" / "autograder", env, {})
    return student, folder


def test_the_wheel_a_release_carries_is_the_installed_kit(built: Built, student_venv: tuple[FreshVenv, Path],
                                                          secrets: Secrets) -> None:
    """Packed again from the installed kit: the same package files as the wheel built from the sdist,
    no answers, and its entry points (the ``autograder`` command, the pytest plugins)."""
    _, folder = student_venv
    carried = folder / "wheels" / wheel_name()
    assert _wheel_files(carried) == _wheel_files(built.wheel)
    unpacked = {PurePosixPath(name): data for name, data in _wheel_files(carried).items()}
    assert not leaks(unpacked, secrets)
    with zipfile.ZipFile(carried) as archive:
        entry_points = next(n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt"))
        assert "autograder = autograder.launch:main" in archive.read(entry_points).decode()


def test_a_student_installs_the_release_wheel_and_checks(student_venv: tuple[FreshVenv, Path]) -> None:
    student, folder = student_venv
    stub = _run([str(student.autograder), "check", "activations.py"], cwd=folder, env=student.env, check=False)
    assert stub.returncode == 1 and "some public tests fail" in stub.stdout, stub.stdout + stub.stderr
    (folder / "activations.py").write_text(solution_source(COURSE.assignment("activations")), encoding="utf-8")
    passing = _run([str(student.autograder), "check", "activations.py"], cwd=folder, env=student.env, check=False)
    assert passing.returncode == 0 and "all public tests pass" in passing.stdout, passing.stdout + passing.stderr
    # broken: a function wrong, then a file that does not parse; each said, exit 1
    solution = (folder / "activations.py").read_text(encoding="utf-8")
    (folder / "activations.py").write_text(solution + "\n\ndef sigmoid_derivative(x):\n    return sigmoid(x)\n",
                                           encoding="utf-8")
    wrong = _run([str(student.autograder), "check", "activations.py"], cwd=folder, env=student.env, check=False)
    assert wrong.returncode == 1 and "✗ sigmoid_derivative (" in wrong.stdout, wrong.stdout + wrong.stderr
    assert "✓ sigmoid (" in wrong.stdout and "some public tests fail" in wrong.stdout
    (folder / "activations.py").write_text("def sigmoid(x:\n", encoding="utf-8")
    broken = _run([str(student.autograder), "check", "activations.py"], cwd=folder, env=student.env, check=False)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "✗ the submission could not be loaded: SyntaxError" in broken.stdout and not broken.stderr.strip()
