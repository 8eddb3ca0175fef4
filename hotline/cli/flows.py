"""`hotline flows check`: validate every IVR flow and print its graph."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from hotline.settings import load_settings


@click.group()
def flows() -> None:
    """IVR call flows (ivr_flows/flows/*.yaml)."""


@flows.command("check")
@click.option(
    "--dir",
    "flows_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="the flows directory (default: the packaged ivr_flows/flows)",
)
@click.option("--quiet", is_flag=True, help="only report problems, no graphs")
def check(flows_dir: Path | None, quiet: bool) -> None:
    """Validate every flow against config/; print each as a Mermaid graph, or the problems."""
    from ivr_flows.engine import FLOWS_DIR
    from ivr_flows.graph import to_mermaid
    from ivr_flows.resources import load_resources
    from ivr_flows.schema import FlowError, load_flows

    resources = load_resources(load_settings().config_dir)
    try:
        found = load_flows(flows_dir or FLOWS_DIR, resources.prompts, resources.vocabulary())
    except FlowError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        click.echo(f"error: {len(exc.problems)} problem(s) in the flows", err=True)
        sys.exit(1)
    for flow in found.values():
        click.echo(f"ok: flow {flow.name} ({flow.path}, {len(flow.nodes)} nodes)")
        if not quiet:
            click.echo(to_mermaid(flow))
