"""`hotline db`: schema migrations."""

from __future__ import annotations

import click

from hotline import migrate
from hotline.settings import load_settings


@click.group()
def db() -> None:
    """Database schema migrations."""


@db.command()
@click.option("--revision", default="head", show_default=True)
def upgrade(revision: str) -> None:
    """Migrate the database up (creates the schema on an empty database)."""
    settings = load_settings()
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.database_url, revision)
    click.echo(f"database at revision {migrate.current_revision(settings.database_url)}")


@db.command()
@click.argument("revision")
def downgrade(revision: str) -> None:
    """Migrate the database down to REVISION ("base" drops every table)."""
    settings = load_settings()
    migrate.downgrade(settings.database_url, revision)
    click.echo(f"database at revision {migrate.current_revision(settings.database_url)}")


@db.command()
def current() -> None:
    """Print the database's revision."""
    click.echo(migrate.current_revision(load_settings().database_url) or "none")
