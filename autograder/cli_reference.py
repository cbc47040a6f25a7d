"""``autograder reference``: show what the reference derives (thin; logic is in reference/)."""

from __future__ import annotations

import json
from pathlib import Path

import click
import sympy as sp
from rich.console import Console
from rich.table import Table

from autograder.reference_display import display_number, display_set
from reference.activations import ACTIVATIONS
from reference.network import PARAMETERS, path_report
from reference.properties import ActivationProperties, all_properties


@click.group()
def reference() -> None:
    """Inspect the symbolic reference: activation properties, chain-rule paths, lecture figures."""


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _properties_row(props: ActivationProperties) -> list[str]:
    at = props.derivative_max_at
    where = display_number(at.args[0], 4) if isinstance(at, sp.FiniteSet) and len(at) == 1 \
        else display_set(at, 4)
    if not props.derivative_max_attained:
        where = f"{where}, not attained"
    return [props.name, display_set(props.output_range, 4), display_set(props.derivative_range, 4),
            display_number(props.derivative_max, 4), where, _yes(props.zero_centered),
            _yes(props.monotonic), ", ".join(props.saturating) or "-", _yes(props.exact)]


@reference.command()
@click.option("--json", "as_json", is_flag=True, help="print a JSON object keyed by activation")
def properties(as_json: bool) -> None:
    """Derived properties of every activation (defaults: leaky alpha=1/100, elu alpha=1, prelu a=1/4)."""
    table = all_properties()
    if as_json:
        click.echo(json.dumps({name: p.to_json() for name, p in table.items()}, indent=2))
        return
    view = Table(title="Activation properties (derived by SymPy; --json for exact values)")
    for column in ("activation", "f range", "f' range", "sup f'", "at x",
                   "0-centred", "monotone", "f'->0 at", "exact"):
        view.add_column(column, no_wrap=column == "activation")
    for props in table.values():
        view.add_row(*_properties_row(props))
    Console().print(view)


def _check_param(ctx: click.Context, option: click.Parameter, value: str) -> str:
    if value not in PARAMETERS:
        raise click.BadParameter(f"unknown parameter {value!r}; known: {', '.join(PARAMETERS)}",
                                 ctx=ctx, param=option)
    return value


@reference.command()
@click.option("--param", required=True, callback=_check_param, metavar="NAME",
              help=f"parameter of the lecture network ({', '.join(PARAMETERS)})")
@click.option("--activation", type=click.Choice(list(ACTIVATIONS)), default="sigmoid",
              show_default=True)
@click.option("--json", "as_json", is_flag=True, help="print the paths as a JSON list")
def paths(param: str, activation: str, as_json: bool) -> None:
    """Every chain-rule path from NAME to the loss L of the lecture network, and their sum."""
    report = path_report(param, activation)
    if as_json:
        click.echo(json.dumps([term.to_json() for term in report.terms], indent=2))
        return
    console = Console()
    console.print(f"dL/d{param} with {activation}: {len(report.terms)} path(s)")
    for i, term in enumerate(report.terms, start=1):
        console.print(f"\npath {i}: {' -> '.join(term.nodes)}", markup=False)
        console.print(f"  product: {term.local_product}", markup=False)
    console.print(f"\nsum over paths: {report.local_sum}", markup=False)
    console.print(f"sum over paths == sympy.diff(composed L, {param}): {report.matches_diff}",
                  markup=False)


@reference.command()
@click.argument("figure", type=click.Choice(["vanishing", "activations"]))
@click.option("--out", "out_file", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="file to write: .png, .svg or .pdf")
def plot(figure: str, out_file: Path) -> None:
    """Draw a lecture FIGURE from the reference: the gradient reaching layer 1 by depth
    (vanishing) or each activation beside its derivative (activations)."""
    from autograder.report.lecture import save_figure

    if out_file.suffix.lower() not in (".png", ".svg", ".pdf"):
        raise click.BadParameter(f"{out_file.name}: the file should end in .png, .svg or .pdf",
                                 param_hint="--out")
    if not out_file.parent.is_dir():
        raise click.BadParameter(f"{out_file.parent} is not a folder", param_hint="--out")
    save_figure(figure, out_file)
    click.echo(f"wrote {out_file}")
