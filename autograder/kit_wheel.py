"""The kit's own wheel, so that what an instructor hands out carries the kit.

A student's release folder and a Gradescope bundle both hold
``dl_gradekit-<version>-py3-none-any.whl``: a course must not depend on the kit
being published on a package index. ``kit_wheel()`` returns that wheel, built
from the kit that runs it, one of two ways:

* **from a clone** (an editable install, or the checkout itself): ``python -m
  build``, which builds the sdist and then the wheel *from the sdist*, so only
  what ``MANIFEST.in`` lets into the sdist (``autograder/``, ``reference/``)
  can reach the wheel; a ``build/`` folder left by an older ``pip install .``
  (when the kit still shipped ``assignments/``) cannot slip in;
* **from an installed kit** (``pip install .`` or a wheel): the installed
  files its ``RECORD`` lists under ``autograder/`` and ``reference/``, and its
  metadata (entry points included), packed again into a wheel. Nothing else
  installed beside them is taken.

Building costs a second or more, and ``release`` runs often, so the wheel is
cached under ``$AUTOGRADER_CACHE`` (default ``~/.cache/dl-gradekit``; ``off``:
no cache) by a digest of the kit's version and files: any edit of the kit
builds a new one, and only the newest few are kept.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

import autograder
from autograder import __version__, files
from autograder.fingerprint import feed_files, source_files

DISTRIBUTION = "dl-gradekit"
"""The kit's distribution name (``pip install dl-gradekit``)."""
PACKAGES = ("autograder", "reference")
"""The top-level packages of the distribution: the kit and the reference, never the course."""
BUILD_FILES = ("pyproject.toml", "MANIFEST.in", "README.md", "SECURITY.md")
"""A clone's files outside the packages that shape its sdist and wheel."""
BUILD_TIMEOUT_S = 600
KEPT_BUILDS = 8
"""Cached wheels kept (the newest): every edit of a clone makes a new one."""


class KitWheelError(RuntimeError):
    """The kit's wheel cannot be built here; the message says why and what to do instead."""


def wheel_name(version: str = __version__) -> str:
    """The file name of the kit's wheel at ``version`` (pure Python: ``py3-none-any``)."""
    return f"{DISTRIBUTION.replace('-', '_')}-{version}-py3-none-any.whl"


def kit_clone() -> Path | None:
    """The clone the running kit is imported from (an editable install or a checkout), if it is one."""
    root = Path(autograder.__file__).resolve().parent.parent
    try:
        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return root if project.get("project", {}).get("name") == DISTRIBUTION else None


def _package_files(root: Path) -> list[Path]:
    """The files of the kit's packages under ``root``, bytecode and caches aside, in a stable order."""
    return sorted(path for package in PACKAGES for path in source_files(root / package))


def _digest(root: Path, files: Iterable[Path]) -> str:
    digest = hashlib.sha256(f"{DISTRIBUTION} {__version__}\n".encode())
    feed_files(digest, root, files)
    return digest.hexdigest()[:20]


def cache_folder(kind: str, key: str) -> Path:
    """``<cache>/<kind>/<key>/``, made; a new folder of this process's temporary files when there is no
    cache (``AUTOGRADER_CACHE=off``) or it cannot be written, so that a build still works, uncached."""
    root = files.cache_folder()  # one cache folder for the kit: wheels beside expected values
    if root is not None:
        try:
            folder = root / kind / key
            folder.mkdir(parents=True, exist_ok=True)
            return folder
        except OSError:
            pass
    return Path(tempfile.mkdtemp(prefix=f"dl-gradekit-{kind}-"))


def _setuptools_is_recent() -> bool:
    """setuptools >= 77 (what pyproject.toml requires) in this environment: build without isolation."""
    try:
        return int(importlib.metadata.version("setuptools").split(".")[0]) >= 77
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return False


def build_from_clone(clone: Path, out_dir: Path) -> Path:
    """The wheel of ``clone`` by ``python -m build`` (the sdist, then the wheel from that sdist)."""
    if importlib.util.find_spec("build") is None:
        raise KitWheelError(f"building the kit's wheel from the clone {clone} needs the `build` package "
                            "(pip install build, or pip install -e '.[test]')")
    isolation = ["--no-isolation"] if _setuptools_is_recent() else []  # else build fetches setuptools
    done = subprocess.run([sys.executable, "-m", "build", *isolation, "--outdir", str(out_dir), str(clone)],
                          capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, stdin=subprocess.DEVNULL,
                          check=False)
    wheels = sorted(out_dir.glob("*.whl"))
    if done.returncode != 0 or [w.name for w in wheels] != [wheel_name()]:
        last = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["no output"]
        raise KitWheelError(f"building the kit's wheel from {clone} failed: {last[0]}")
    return wheels[0]


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


WHEEL_METADATA = "Wheel-Version: 1.0\nGenerator: dl-gradekit\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
METADATA_FILES = frozenset({"METADATA", "entry_points.txt", "top_level.txt"})
"""The installed metadata a wheel carries; pip's own (INSTALLER, RECORD, direct_url.json) is not."""


def _installed_files(dist: importlib.metadata.Distribution) -> tuple[list[PurePosixPath], list[PurePosixPath]]:
    """The installed distribution's package files and metadata files, as RECORD names them."""
    packages: list[PurePosixPath] = []
    metadata: list[PurePosixPath] = []
    for entry in dist.files or []:
        path = PurePosixPath(entry.as_posix())
        if path.parts[0] in PACKAGES and "__pycache__" not in path.parts and path.suffix != ".pyc":
            packages.append(path)
        elif path.parts[0].endswith(".dist-info") and (path.name in METADATA_FILES or "licenses" in path.parts):
            metadata.append(path)
    return sorted(packages), sorted(metadata)


def installed_distribution() -> importlib.metadata.Distribution | None:
    """The installed ``dl-gradekit`` whose files are the kit that runs, if there is one."""
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None
    running = Path(autograder.__file__).resolve()
    located = Path(str(dist.locate_file("autograder/__init__.py"))).resolve()
    return dist if located == running else None


def pack_installed(dist: importlib.metadata.Distribution, out_dir: Path) -> Path:
    """The installed kit's files packed again into its wheel in ``out_dir``."""
    packages, metadata = _installed_files(dist)
    if PurePosixPath("autograder", "__init__.py") not in packages or not any(p.name == "METADATA" for p in metadata):
        raise KitWheelError("the installed dl-gradekit lists no package files in its RECORD; "
                            "pass --install SPEC naming the wheel to hand out")
    info = f"{DISTRIBUTION.replace('-', '_')}-{__version__}.dist-info"
    target = out_dir / wheel_name()
    record: list[str] = []
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as wheel:
        def add(name: str, data: bytes) -> None:
            wheel.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED)
            record.append(f"{name},{_record_hash(data)},{len(data)}")

        for path in packages:
            add(path.as_posix(), Path(str(dist.locate_file(path))).read_bytes())
        for path in metadata:
            add(PurePosixPath(info, *path.parts[1:]).as_posix(), Path(str(dist.locate_file(path))).read_bytes())
        add(f"{info}/WHEEL", WHEEL_METADATA.encode())
        record.append(f"{info}/RECORD,,")
        wheel.writestr(zipfile.ZipInfo(f"{info}/RECORD", date_time=(1980, 1, 1, 0, 0, 0)),
                       "\n".join(record) + "\n", zipfile.ZIP_DEFLATED)
    return target


def _source() -> tuple[Path | importlib.metadata.Distribution, str]:
    """What the running kit's wheel is built from (a clone's root, or the installed distribution),
    and the cache key of what would be built."""
    clone = kit_clone()
    if clone is not None:
        extra = [clone / name for name in BUILD_FILES if (clone / name).is_file()]
        return clone, "c" + _digest(clone, [*_package_files(clone), *extra])
    dist = installed_distribution()
    if dist is None:
        raise KitWheelError(f"the running kit ({Path(autograder.__file__).parent}) is neither a clone nor an "
                            f"installed {DISTRIBUTION}: pass --install SPEC naming what students install")
    root = Path(str(dist.locate_file("")))
    return dist, "i" + _digest(root, [root / p for p in _installed_files(dist)[0]])


def kit_wheel() -> Path:
    """The running kit's wheel, from the cache or built now (then cached); ``KitWheelError`` if it cannot be."""
    source, key = _source()
    folder = cache_folder("wheels", key)
    cached = folder / wheel_name()
    if cached.is_file():
        return cached
    scratch = Path(tempfile.mkdtemp(prefix=".build-", dir=folder))
    try:
        built = (build_from_clone(source, scratch) if isinstance(source, Path)
                 else pack_installed(source, scratch))
        os.replace(built, cached)  # atomic: a concurrent release reads a whole wheel or builds its own
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    files.prune_cache(folder.parent, keep=folder, count=KEPT_BUILDS)
    return cached
