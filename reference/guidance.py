"""The lecture's rule for choosing an activation, as data.

Hidden layers use ReLU (or a variant: PReLU, ELU); the output layer follows
the task: sigmoid for binary classification, softmax for multi-class, and a
linear (identity) output for regression.
"""

from __future__ import annotations

HIDDEN_ACTIVATION = "relu"
"""The default hidden-layer activation of the lecture."""

OUTPUT_ACTIVATIONS: dict[str, str] = {
    "binary": "sigmoid",
    "multiclass": "softmax",
    "regression": "linear",
}
"""Output-layer activation per task."""

TASKS = tuple(OUTPUT_ACTIVATIONS)
LAYERS = ("hidden", "output")


def recommended_activation(task: str, layer: str) -> str:
    """The lecture's activation for ``layer`` ("hidden"/"output") of a ``task`` network.

    ``task`` is one of ``TASKS``. Raises ``ValueError`` naming the accepted
    values for an unknown task or layer (the task is checked for hidden layers
    too, so a typo never passes silently).
    """
    if task not in OUTPUT_ACTIVATIONS:
        raise ValueError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    if layer == "hidden":
        return HIDDEN_ACTIVATION
    if layer == "output":
        return OUTPUT_ACTIVATIONS[task]
    raise ValueError(f"unknown layer {layer!r}; expected one of {', '.join(LAYERS)}")
