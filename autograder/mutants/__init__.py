"""Mistakes no catalog lists, derived from the reference's expressions by symbolic mutation.

``candidates`` (``autograder.mutants.candidates`` and ``.graphs``) builds, for one student
function, the reference with one change of its SymPy tree (``autograder.mutants.rewrites``).
``mutant_of`` names the first candidate that reproduces every logged call of a setting where the
reference does not; ``wrong_type`` a result with the reference's values but of the wrong type (a
list where an array belongs, float32 where float64 belongs); ``in_place`` names a setting whose every
call wrote into its read-only input; ``crash`` names a setting where every call raised;
``label_mistake`` a name taken or returned wrongly (an unknown name treated as one the reference knows,
a returned name the reference does not use). They run in the trusted grader on the logged arguments:
the worker never sees the reference.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from autograder.catalog import Misconception, combined

if TYPE_CHECKING:
    from autograder.grading.diagnose import LoggedCall

SOURCE = "derived from the reference's expression by one symbolic change"
TAG_MARK = "~"
"""A derived mistake's id is ``function~tag``: the function and the family of the change."""
NOT_IMPLEMENTED = "NotImplementedError"
"""What the released stub's functions raise: no candidate reproduces it, so it is never a derived mistake."""
NOT_A_CRASH = ("InputChanged", "FloatingPointError", "TimeoutError", "SubmissionTimeUp")
"""Raised calls that say something other than "the code cannot run on these inputs"."""


def _named(function: str, tag: str, text: str) -> Misconception:
    return Misconception(f"{function}{TAG_MARK}{tag}", function, f"looks like: {text}.", SOURCE, "")


def mutant_of(function: str, calls: list[LoggedCall], context: Sequence[LoggedCall] = ()) -> Misconception | None:
    """The first candidate that reproduces every call while the reference disagrees with one, and
    reproduces the ``context`` too (the function's other calls of the same setting in this
    submission: a name must fit all of them)."""
    from autograder.grading.diagnose import _agrees
    from autograder.mutants.candidates import candidates

    if not calls or all(c.raised == NOT_IMPLEMENTED for c in calls):
        return None  # a stub's calls: a candidate (the reference's expressions, compiled) never raises that
    found = candidates(function, calls[0].args, calls[0].kwargs)
    reference = next((c for c in found if not c.tag), None)
    if reference is None:
        return None
    evidence = [c for c in calls if not _agrees(reference.function, c)]
    if not evidence:
        return None
    rest = [c for c in calls if c not in evidence]
    everything = evidence + rest + list(context)
    matching = [c for c in found if c.tag and all(_agrees(c.function, call) for call in everything)]
    if not matching or _ambiguous(matching, calls):
        return None
    candidate = matching[0]
    parts = (_named(function, candidate.tag, candidate.text),
             *(_named(function, tag, text) for tag, text in candidate.also))
    return combined(parts)


def _perturbed(value: Any, scale: float = 1.3, shift: float = 0.25) -> Any:
    """``value`` with every float moved (x -> scale x + shift); ints, text and options kept."""
    import numpy as np

    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value * scale + shift
    if isinstance(value, float):
        return value * scale + shift
    if isinstance(value, dict):
        return {k: _perturbed(v, scale, shift) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_perturbed(v, scale, shift) for v in value)
    return value


def _mirrored(value: Any) -> Any:
    """``value`` with every float's sign turned (and moved a little): a kink's other side."""
    return _perturbed(value, -0.7, -0.1)


def _widened(value: Any) -> Any:
    """``value`` with every float array of one or more axes twice as long along each axis (its
    values, then moved ones), so that a one-element axis no longer hides a difference."""
    import numpy as np

    if isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.ndim >= 1:
        for axis in range(value.ndim):
            value = np.concatenate([value, _perturbed(value)], axis=axis)
        return value
    if isinstance(value, dict):
        return {k: _widened(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_widened(v) for v in value)
    return value


def _ambiguous(matching: list[Any], calls: list[LoggedCall]) -> bool:
    """Whether two candidates that both reproduce the calls are different mistakes: they give
    different values on the calls' inputs moved a little, mirrored, or made longer (a one-element softmax
    cannot tell an extra 1 in the denominator from a factor 2 there)."""
    from dataclasses import replace

    from autograder.grading.diagnose import _run, same_value

    if len(matching) < 2:
        return False
    probes = [replace(c, args=move(c.args), kwargs=move(c.kwargs), readonly=False, errstate=False)
              for c in calls[:8] for move in (_perturbed, _mirrored, _widened)]
    first = matching[0]
    wanted = [_run(first.function, p) for p in probes]
    for other in matching[1:]:
        for probe, (want, raised) in zip(probes, wanted):
            got, other_raised = _run(other.function, probe)
            if raised or other_raised:
                continue
            if not same_value(got, want):
                return True
    return False


def _described(value: Any) -> str:
    import numpy as np

    if isinstance(value, (list, tuple)):
        return "a Python list"
    if isinstance(value, np.ndarray):
        return "a 0-d array" if value.ndim == 0 else f"a {value.ndim}-D {value.dtype} array"
    if isinstance(value, (int, float)):
        return f"a Python {type(value).__name__}"
    return f"a {type(value).__name__}"


def _container(value: Any) -> str:
    """What kind of object a result is, as a student reads it (a float and np.float64 are one kind)."""
    import numpy as np

    if isinstance(value, (list, tuple)):
        return f"a Python {type(value).__name__}"
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":  # float32 values pass as float64 ones within the tolerance
            return f"a {'0-d ' if value.ndim == 0 else ''}{value.dtype} array"
        return "a 0-d array" if value.ndim == 0 else "an array"
    if isinstance(value, (bool, np.bool_)):
        return "a bool"
    if isinstance(value, (float, np.floating)):
        return "a float"
    if isinstance(value, (int, np.integer)):
        return "an int"
    return f"a {type(value).__name__}"


def wrong_type(function: str, calls: list[LoggedCall], reference: Any) -> Misconception | None:
    """Every returned call has the reference's values but another kind of result (a list where the
    reference returns an array, a 0-d array for a float): name the type; None otherwise."""
    from autograder.grading.diagnose import _run, same_value

    returned = [c for c in calls if not c.raised]
    if not returned or len(returned) < len(calls):
        return None
    kinds = set()
    for call in returned:
        want, raised = _run(reference, call)
        if raised or _container(call.result) == _container(want) or not same_value(call.result, want):
            return None
        kinds.add((_container(call.result), _container(want)))
    if len(kinds) != 1:
        return None
    got, want = kinds.pop()
    return _named(function, "type", f"the values are right, but {function} returns {got} where {want} belongs; "
                  "return np.asarray(result, dtype=np.float64) or the number itself, as the docstring says")


def in_place(function: str, calls: list[LoggedCall]) -> Misconception | None:
    """Every call of the setting ran on read-only-watched inputs and changed one of them."""
    if not calls or not all(c.readonly and c.raised == "InputChanged" for c in calls):
        return None
    return _named(function, "in-place", f"{function} writes into its input (an argument's values changed during "
                  "the call); np.asarray(x, dtype=np.float64) is x itself when x is already a float64 array, "
                  "so copy first (x.copy(), np.array(x, dtype=np.float64)) or build a new array")


def crash(function: str, calls: list[LoggedCall]) -> Misconception | None:
    """Every call of the setting raised the same exception: name it with the inputs it fails on."""
    raised = {c.raised for c in calls}
    if len(raised) != 1 or "" in raised or raised & set(NOT_A_CRASH):
        return None
    kinds = ", ".join(dict.fromkeys(_described(a) for c in calls for a in c.args if not isinstance(a, str)))
    return _named(function, "crash", f"{function} raises {raised.pop()} when given {kinds}; make it work on "
                  "every input the docstring allows (np.asarray(..., dtype=np.float64) first, no len() of a number)")


def _labels(reference: Any) -> set[str]:
    """The names the reference knows: the identifier-like string constants of its code (nested code
    too) and its parameters' string defaults."""
    import inspect
    import re

    found: set[str] = set()
    stack = [getattr(reference, "__code__", None)]
    while stack:
        code = stack.pop()
        if code is None:
            continue
        for const in code.co_consts:
            if isinstance(const, str) and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", const):
                found.add(const)
            elif hasattr(const, "co_consts"):
                stack.append(const)
    try:
        found |= {p.default for p in inspect.signature(reference).parameters.values() if isinstance(p.default, str)}
    except (TypeError, ValueError):
        pass
    return found


def _fits(candidate: Any, calls: Sequence[LoggedCall]) -> bool:
    from autograder.grading.diagnose import _agrees

    return all(_agrees(candidate, c) for c in calls)


def label_mistake(function: str, calls: list[LoggedCall], reference: Any,
                  context: Sequence[LoggedCall] = ()) -> Misconception | None:
    """A mistake in the names a function takes or returns, where the reference disagrees with a
    call: an unknown name treated as one the reference knows (not refused), or a returned name that
    the reference does not use in place of the one it returns. Named only when exactly one such
    change fits every call (and every ``context`` call)."""
    from autograder.grading.diagnose import _run

    if not calls or _fits(reference, calls):
        return None
    everything = [*calls, *context]
    known = _labels(reference)
    if not known:
        return None
    first = calls[0]
    unknown: list[tuple[str, Any, str]] = [("arg", i, a) for i, a in enumerate(first.args)
                                           if isinstance(a, str) and a not in known]
    unknown += [("kw", k, v) for k, v in first.kwargs.items() if isinstance(v, str) and v not in known]
    fitting: list[tuple[str, str]] = []
    for kind, where, value in unknown:
        for label in sorted(known):
            def treated(*args: Any, _kind: str = kind, _where: Any = where, _label: str = label,
                        **kwargs: Any) -> Any:
                if _kind == "arg" and isinstance(args[_where], str) and args[_where] not in known:
                    args = (*args[:_where], _label, *args[_where + 1:])
                elif _kind == "kw" and isinstance(kwargs.get(_where), str) and kwargs[_where] not in known:
                    kwargs = {**kwargs, _where: _label}
                return reference(*args, **kwargs)
            if _fits(treated, everything):
                fitting.append(("fallback", f"an unknown name {value!r} is not refused but treated as {label!r}; "
                                f"raise ValueError for a name the docstring does not list"))
    renamed: set[tuple[str, str]] = set()
    for call in everything:
        want, raised = _run(reference, call)
        if raised or call.raised or not isinstance(want, str) or not isinstance(call.result, str):
            renamed.add(("", ""))  # not a returned name on both sides
        elif want != call.result:
            renamed.add((want, call.result))
    if len(renamed) == 1 and ("", "") not in renamed:
        want, got = renamed.pop()
        replaced = {want: got}
        if got not in known and _fits(lambda *a, **k: replaced.get(reference(*a, **k), reference(*a, **k)),
                                      everything):
            fitting.append(("label", f"{function} returns {got!r} where {want!r} belongs; the names are "
                            "fixed strings, spelled as the docstring gives them"))
    if len(fitting) != 1:
        return None
    return _named(function, *fitting[0])
