"""The symbolic reference of the unit: every expected value of the kit is derived here.

Importing the package only defines expressions; nothing is derived until asked
(``derive_properties`` and the network graphs are computed lazily and cached).
"""

from reference.activations import ACTIVATIONS, LECTURE_ACTIVATIONS, Activation, get_activation
from reference.graph import Graph, PathTerm, graph_symbol
from reference.guidance import HIDDEN_ACTIVATION, OUTPUT_ACTIVATIONS, recommended_activation
from reference.losses import (
    binary_cross_entropy,
    binary_cross_entropy_gradient,
    categorical_cross_entropy,
    categorical_cross_entropy_gradient,
    chain_rule,
    cross_entropy_gradient_is_s_minus_onehot,
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
from reference.chain_bound import ChainBound, chain_derivative_bound
from reference.properties import ActivationProperties, all_properties, derive_properties
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
