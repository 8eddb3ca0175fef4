"""The `hotline` command line."""

from __future__ import annotations

import sys

import click
import redis
from sqlalchemy.exc import OperationalError

from hotline.config_files import ConfigFileError
from hotline.logs import configure_logging
from hotline.settings import SettingsError, load_settings


class HotlineGroup(click.Group):
    """A click group that turns configuration errors into one clear line and exit code 2."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (SettingsError, ConfigFileError) as exc:
            click.echo(f"configuration error: {exc}", err=True)
            sys.exit(2)
        except OperationalError as exc:
            click.echo(f"error: database unreachable: {exc.orig}", err=True)
            sys.exit(1)
        except redis.ConnectionError as exc:
            click.echo(f"error: Redis unreachable: {exc}", err=True)
            sys.exit(1)


def _commands() -> list[click.Command]:
    from hotline.cli import accounts, classify, db, demo, flows, processes, seed, simulate

    return [
        db.db,
        seed.seed,
        accounts.users,
        accounts.shifts,
        processes.serve,
        processes.worker,
        processes.router,
        classify.classify,
        flows.flows,
        simulate.simulate,
        demo.demo,
    ]


class HotlineCli(HotlineGroup):
    """The `hotline` group: its commands are listed in `_commands`, logging set up first."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(command.name or "" for command in _commands())

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return next((command for command in _commands() if command.name == cmd_name), None)

    def invoke(self, ctx: click.Context) -> object:
        try:
            configure_logging(load_settings().log_level)
        except SettingsError as exc:
            click.echo(f"configuration error: {exc}", err=True)
            sys.exit(2)
        return super().invoke(ctx)


@click.group(cls=HotlineCli)
def main() -> None:
    """12348 legal hotline backend."""
