"""`hotline seed --demo`: demo data for development."""

from __future__ import annotations

import sys

import click

from hotline import clock
from hotline.cli.context import cli_runtime
from hotline.devtools.demo_data import DEMO_PASSWORD, seed_demo
from hotline.taxonomy import load_taxonomy
from routing.regions import load_regions


@click.command()
@click.option("--demo", is_flag=True, required=True, help="create demo staff and a week of rota")
def seed(demo: bool) -> None:
    """Load the regions from config and create demo agents with shifts (development only)."""
    rt = cli_runtime()
    if rt.settings.is_production:
        click.echo("error: demo data is refused in production", err=True)
        sys.exit(1)
    regions = load_regions(rt.settings.config_dir)
    taxonomy = load_taxonomy(rt.settings.config_dir)
    with rt.session() as session:
        report = seed_demo(session, regions, taxonomy, clock.now())
        session.commit()
    click.echo(f"{len(regions.regions)} regions in config: {', '.join(regions.codes())}")
    if report.users:
        click.echo(
            f"created {report.users} users ({report.agents} agents) and {report.shifts} shifts; "
            f"demo password: {DEMO_PASSWORD}"
        )
    else:
        click.echo("demo data exists already; nothing created")
    rt.close()
