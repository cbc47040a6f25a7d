"""Stand-ins for plotting, display and progress-bar modules inside the sandbox.

Loaded INSIDE the sandbox as the top-level module ``standins`` (next to
``worker.py``); imports only the standard library. ``install()`` adds an import
hook, after the real ones, that answers ``import matplotlib.pyplot as plt``,
``from IPython.display import display``, ``from tqdm import tqdm`` and the
other names in ``STAND_IN_PACKAGES`` with pure-Python modules that accept any
call and do nothing. Student notebooks plot and display things at top level;
none of it can change a grade, so none of it should cost one.

What a stand-in does: every attribute, call, index and context manager gives
another stand-in; iterating one yields nothing (so ``for ax in axes.flat``
does nothing); ``subplots`` and ``hist`` return tuples of the usual length so
``fig, ax = plt.subplots()`` unpacks; a call with a single function and no
other argument returns that function (``@interact``-style decorators keep the
function). ``tqdm``/``trange`` are real iterators over what they wrap.

What it does not do: it holds no reference to the worker or to anything
outside this module, reads and writes no file, and draws nothing.
"""

from __future__ import annotations

import importlib.machinery
import sys
import types
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    import importlib.abc

STAND_IN_PACKAGES = frozenset({"matplotlib", "mpl_toolkits", "pylab", "seaborn", "IPython", "ipywidgets",
                               "tqdm"})
"""Top-level packages answered by stand-ins (with all their submodules)."""


class StandIn:
    """Accepts any use and does nothing; ``repr`` says what it stands in for."""

    __slots__ = ("_standin_name",)

    def __init__(self, name: str) -> None:
        object.__setattr__(self, "_standin_name", name)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return _member(f"{self._standin_name}.{name}", name)

    def __setattr__(self, name: str, value: Any) -> None:
        pass  # fig.dpi = 100, ax.xaxis.label = ...: nothing to keep

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and not kwargs and isinstance(args[0], (types.FunctionType, type)):
            return args[0]  # a decorator (@interact, @widgets.interact_manual) keeps the function
        return StandIn(f"{self._standin_name}()")

    def __getitem__(self, key: Any) -> StandIn:
        return StandIn(f"{self._standin_name}[...]")

    def __setitem__(self, key: Any, value: Any) -> None:
        pass  # plt.rcParams["figure.figsize"] = (8, 6)

    def __iter__(self) -> Iterator[Any]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __bool__(self) -> bool:
        return True

    def __contains__(self, item: Any) -> bool:
        return False

    def __enter__(self) -> StandIn:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def __repr__(self) -> str:
        return f"<stand-in for {self._standin_name}>"


def subplots(*args: Any, **kwargs: Any) -> tuple[StandIn, Any]:
    """``fig, ax = plt.subplots()`` and ``fig, axes = plt.subplots(2, 3)``: a grid of axes when asked for."""
    nrows = _count(args[0] if args else kwargs.get("nrows", 1))
    ncols = _count(args[1] if len(args) > 1 else kwargs.get("ncols", 1))
    figure = StandIn("figure")
    if nrows * ncols == 1 and kwargs.get("squeeze", True):
        return figure, StandIn("axes")
    if (nrows == 1 or ncols == 1) and kwargs.get("squeeze", True):
        return figure, AxesGrid([StandIn("axes") for _ in range(nrows * ncols)])
    return figure, AxesGrid([AxesGrid([StandIn("axes") for _ in range(ncols)]) for _ in range(nrows)])


def hist(*args: Any, **kwargs: Any) -> tuple[StandIn, StandIn, StandIn]:
    """``n, bins, patches = plt.hist(x)``."""
    return StandIn("counts"), StandIn("bins"), StandIn("patches")


_SHAPED = {"subplots": subplots, "hist": hist}


def _member(qualified: str, name: str) -> Any:
    """The stand-in for attribute ``name``: a shaped function where the usual unpacking needs one."""
    return _SHAPED.get(name) or StandIn(qualified)


def _count(value: Any) -> int:
    """A small positive int from a subplot count (a student's odd value counts as 1)."""
    return value if isinstance(value, int) and 0 < value <= 64 else 1


class AxesGrid(StandIn):
    """The axes of ``plt.subplots(n, m)``: indexable, iterable, ``.flat``, ``.flatten()``."""

    __slots__ = ("_standin_items",)

    def __init__(self, items: Sequence[Any]) -> None:
        super().__init__("axes")
        object.__setattr__(self, "_standin_items", list(items))

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, tuple):
            found: Any = self
            for part in key:
                found = found[part]
            return found
        try:
            return self._standin_items[key]
        except (IndexError, TypeError):
            return StandIn("axes")

    def __iter__(self) -> Iterator[Any]:
        return iter(self._standin_items)

    def __len__(self) -> int:
        return len(self._standin_items)

    def _leaves(self) -> list[Any]:
        return [leaf for item in self._standin_items
                for leaf in (item._leaves() if isinstance(item, AxesGrid) else [item])]

    @property
    def flat(self) -> Iterator[Any]:
        return iter(self._leaves())

    def flatten(self, *args: Any) -> AxesGrid:
        return AxesGrid(self._leaves())

    ravel = flatten


class tqdm:  # noqa: N801 - the name students import
    """A progress bar that shows nothing: iterates what it wraps, every other method does nothing."""

    def __init__(self, iterable: Iterable[Any] | None = None, *args: Any, **kwargs: Any) -> None:
        self.iterable = iterable if iterable is not None else ()
        self.n = 0
        self.total = kwargs.get("total")

    def __iter__(self) -> Iterator[Any]:
        for item in self.iterable:
            self.n += 1
            yield item

    def __len__(self) -> int:
        try:
            return len(self.iterable)  # type: ignore[arg-type]
        except TypeError:
            return 0

    def __enter__(self) -> tqdm:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return StandIn(f"tqdm.{name}")

    @staticmethod
    def write(text: Any = "", *args: Any, **kwargs: Any) -> None:
        print(text)


def trange(*args: Any, **kwargs: Any) -> tqdm:
    return tqdm(range(*args), **kwargs)


def display(*objects: Any, **kwargs: Any) -> None:
    """``IPython.display.display``: shows nothing (a notebook would render the objects)."""


def get_ipython() -> StandIn:
    """What a kernel's ``get_ipython()`` gives; its magics do nothing here."""
    return StandIn("get_ipython()")


_REAL_MEMBERS: dict[str, dict[str, Any]] = {
    "tqdm": {"tqdm": tqdm, "trange": trange},
    "IPython.display": {"display": display},
    "IPython": {"get_ipython": get_ipython},
}


_PLOTTING_NAMES = ("plot", "figure", "show", "subplots", "subplot", "xlabel", "ylabel", "title", "suptitle",
                   "legend", "grid", "savefig", "hist", "scatter", "bar", "imshow", "colorbar", "xlim", "ylim",
                   "xticks", "yticks", "tight_layout", "close", "axhline", "axvline", "text", "annotate",
                   "fill_between", "semilogy", "loglog", "errorbar", "contour", "contourf", "gca", "gcf")
_STAR_NAMES: dict[str, tuple[str, ...]] = {
    "matplotlib.pyplot": _PLOTTING_NAMES,
    "pylab": _PLOTTING_NAMES,
    "IPython.display": ("display", "clear_output", "HTML", "Markdown", "Math", "Latex", "Image", "SVG",
                        "Audio", "Video", "JSON", "IFrame"),
    "tqdm": ("tqdm", "trange"),
}
"""What ``from matplotlib.pyplot import *`` and the like bring in (any other name still works by attribute)."""


def _is_stand_in(fullname: str) -> bool:
    return fullname.split(".", 1)[0] in STAND_IN_PACKAGES


class _StandInModule(types.ModuleType):
    """A stand-in module: its real members, then a stand-in for any other name."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        if self.__name__.startswith("tqdm") and name in ("tqdm", "trange"):
            return _REAL_MEMBERS["tqdm"][name]
        return _member(f"{self.__name__}.{name}", name)


class _StandInFinder:
    """Finds the stand-in packages only after every real finder has failed.

    A meta path finder and loader as the import system calls them (``find_spec``, ``create_module``,
    ``exec_module``), without importlib.abc's base classes: importing importlib.abc (importlib.resources,
    pathlib, zipfile...) would cost every worker's start a few milliseconds."""

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if not _is_stand_in(fullname):
            return None
        return importlib.machinery.ModuleSpec(fullname, cast("importlib.abc.Loader", self), is_package=True)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = _StandInModule(spec.name, f"Stand-in for {spec.name} (the grader draws nothing).")
        module.__dict__.update(_REAL_MEMBERS.get(spec.name, {}), __version__="0+stand-in",
                               __all__=list(_STAR_NAMES.get(spec.name, ())))
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        module.__path__ = []  # a package, so ``import matplotlib.pyplot`` finds the submodule here too


def install(*, first: bool = False) -> None:
    """Answer imports of ``STAND_IN_PACKAGES`` with stand-ins: after the real finders (the sandbox,
    where none of them is installed), or ``first``, before them (the own-machine worker, whose
    Python may have the real matplotlib: a window would open and wait, where the sandbox draws nothing)."""
    if first:
        sys.meta_path.insert(0, _StandInFinder())
    else:
        sys.meta_path.append(_StandInFinder())
