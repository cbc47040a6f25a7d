"""reference.guidance: the lecture's choice of activation, as data."""

from __future__ import annotations

import pytest

from reference.guidance import LAYERS, OUTPUT_ACTIVATIONS, TASKS, recommended_activation


@pytest.mark.parametrize("task", TASKS)
def test_hidden_layers_use_relu(task):
    assert recommended_activation(task, "hidden") == "relu"


@pytest.mark.parametrize(("task", "want"), [("binary", "sigmoid"), ("multiclass", "softmax"),
                                            ("regression", "linear")])
def test_output_layer(task, want):
    assert recommended_activation(task, "output") == want


@pytest.mark.parametrize(("task", "layer"), [("ranking", "output"), ("binary", "input"),
                                             ("Binary", "hidden"), ("ranking", "hidden")])
def test_unknown_task_or_layer_raises(task, layer):
    with pytest.raises(ValueError, match="expected one of"):
        recommended_activation(task, layer)


def test_tables_are_consistent():
    assert set(TASKS) == set(OUTPUT_ACTIVATIONS) and LAYERS == ("hidden", "output")
