"""The symbolic reference of the unit: every expected value of the kit is derived here.

Importing the package imports no SymPy and derives nothing: names, parameter
names, kinks, ``PARAMETERS``/``HIDDEN`` and the guidance are plain data, and
every expression, derivative, evaluator and graph is built (importing SymPy)
the first time it is used, then cached. A grader whose expected values all
come from its cache (``autograder.suite.expect``) never imports SymPy at all.
The names of purely symbolic modules (``Graph``, ``derive_properties``, ...)
are imported from their modules on first access.
"""

from typing import Any

from reference.activations import ACTIVATIONS, LECTURE_ACTIVATIONS, Activation, get_activation
from reference.guidance import HIDDEN_ACTIVATION, OUTPUT_ACTIVATIONS, recommended_activation
from reference.losses import (
    binary_cross_entropy,
    binary_cross_entropy_gradient,
    categorical_cross_entropy,
    categorical_cross_entropy_gradient,
    chain_rule,
    gradient_descent_step,
    mse,
    mse_gradient,
    sum_over_paths,
)
from reference.network import (
    HIDDEN,
    PARAMETERS,
    PathReport,
    backward,
    deep_chain,
    deep_chain_forward,
    deep_chain_gradients,
    forward,
    lecture_network,
    loss,
    path_report,
    paths,
    train,
    vanishing_bound,
)
from reference.numeric import compile_expression
from reference.softmax import jacobian, softmax, symbolic_jacobian

__all__ = [
    "ACTIVATIONS", "LECTURE_ACTIVATIONS", "Activation", "get_activation",
    "Graph", "PathTerm", "graph_symbol",
    "HIDDEN_ACTIVATION", "OUTPUT_ACTIVATIONS", "recommended_activation",
    "binary_cross_entropy", "binary_cross_entropy_gradient", "categorical_cross_entropy",
    "categorical_cross_entropy_gradient", "chain_rule", "cross_entropy_gradient_is_s_minus_onehot",
    "gradient_descent_step", "mse", "mse_gradient", "sum_over_paths",
    "HIDDEN", "PARAMETERS", "PathReport", "backward", "deep_chain", "deep_chain_forward",
    "deep_chain_gradients", "forward", "lecture_network", "loss", "path_report", "paths", "train",
    "vanishing_bound",
    "compile_expression",
    "ActivationProperties", "ChainBound", "all_properties", "chain_derivative_bound",
    "derive_properties",
    "jacobian", "softmax", "symbolic_jacobian",
]

_SYMBOLIC_HOMES = {
    "Graph": "reference.graph", "PathTerm": "reference.graph", "graph_symbol": "reference.graph",
    "cross_entropy_gradient_is_s_minus_onehot": "reference.loss_expressions",
    "ActivationProperties": "reference.properties", "all_properties": "reference.properties",
    "derive_properties": "reference.properties",
    "ChainBound": "reference.chain_bound", "chain_derivative_bound": "reference.chain_bound",
}
"""Where each name that needs SymPy to import lives (PEP 562: imported on first access)."""


def __getattr__(name: str) -> Any:
    home = _SYMBOLIC_HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value
