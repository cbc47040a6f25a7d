"""autograder reference ...: the CLI over reference/ (click's CliRunner, in process)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from autograder.cli_reference import reference
from reference.activations import ACTIVATIONS
from reference.network import PARAMETERS


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def _json(runner: CliRunner, *args: str):
    result = runner.invoke(reference, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_properties_json(runner):
    data = _json(runner, "properties", "--json")
    assert list(data) == list(ACTIVATIONS)
    assert (data["sigmoid"]["derivative_max"], data["sigmoid"]["derivative_max_at"]) == ("1/4", "0")
    assert (data["tanh"]["derivative_max"], data["tanh"]["derivative_max_at"]) == ("1", "0")
    assert data["softplus"]["derivative_max_attained"] is False


def test_properties_table(runner):
    result = runner.invoke(reference, ["properties"], terminal_width=160)
    assert result.exit_code == 0, result.output
    for name in ACTIVATIONS:
        assert name in result.output
    assert "1/4" in result.output


def test_paths_w1_has_two(runner):
    data = _json(runner, "paths", "--param", "w1", "--json")
    assert [p["nodes"] for p in data] == [["w1", "o1", "o2_1", "o3", "L"], ["w1", "o1", "o2_2", "o3", "L"]]
    assert all("sigmoid_prime" in p["product"] for p in data)


def test_paths_w4_has_one(runner):
    data = _json(runner, "paths", "--param", "w4", "--activation", "relu", "--json")
    assert [p["nodes"] for p in data] == [["w4", "o3", "L"]]
    assert "relu_prime" in data[0]["product"]


def test_paths_text_reports_the_check(runner):
    result = runner.invoke(reference, ["paths", "--param", "b1", "--activation", "tanh"],
                           terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "2 path(s)" in result.output
    assert "b1 -> o1 -> o2_1 -> o3 -> L" in result.output
    assert "sympy.diff(composed L, b1): True" in result.output


def test_unknown_param_lists_the_known_ones(runner):
    result = runner.invoke(reference, ["paths", "--param", "w9"])
    assert result.exit_code == 2
    assert "unknown parameter 'w9'" in result.output
    assert ", ".join(PARAMETERS) in result.output


def test_unknown_activation_is_rejected(runner):
    result = runner.invoke(reference, ["paths", "--param", "w1", "--activation", "swish"])
    assert result.exit_code == 2 and "sigmoid" in result.output
