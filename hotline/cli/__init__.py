"""The `hotline` command line."""

from __future__ import annotations

import sys

import click
import redis
from sqlalchemy.exc import OperationalError

from hotline.config_files import ConfigFileError
from hotline.settings import SettingsError


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


@click.group(cls=HotlineGroup)
def main() -> None:
    """12348 legal hotline backend."""


def _register() -> None:
    from hotline.cli import accounts, classify, db, demo, flows, processes, seed, simulate

    main.add_command(db.db)
    main.add_command(seed.seed)
    main.add_command(accounts.users)
    main.add_command(accounts.shifts)
    main.add_command(processes.serve)
    main.add_command(processes.worker)
    main.add_command(processes.router)
    main.add_command(classify.classify)
    main.add_command(flows.flows)
    main.add_command(simulate.simulate)
    main.add_command(demo.demo)


_register()
