"""Settings and Runtime for CLI commands."""

from __future__ import annotations

import sys

import click

from hotline import migrate
from hotline.runtime import Runtime
from hotline.settings import load_settings


def cli_runtime(needs_schema: bool = True) -> Runtime:
    """A Runtime from the environment's settings; exits clearly if the schema is missing."""
    rt = Runtime(load_settings())
    rt.settings.instance_dir.mkdir(parents=True, exist_ok=True)
    if needs_schema and migrate.current_revision(rt.settings.database_url) is None:
        click.echo("error: the database has no schema yet; run `hotline db upgrade`", err=True)
        sys.exit(1)
    return rt
