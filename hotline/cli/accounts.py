"""`hotline users` and `hotline shifts`: staff accounts and the duty rota."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from hotline.cli.context import cli_runtime
from hotline.errors import HotlineError
from hotline.models.vocabulary import ROLES
from hotline.staff import add_shift, create_user
from hotline.taxonomy import load_taxonomy
from hotline.times import format_local
from routing.regions import PROVINCE, load_regions


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@click.group()
def users() -> None:
    """Staff accounts."""


@users.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--region", help="home region code (agents)")
@click.option("--skills", help="service names and group digits, comma separated, or 'all'")
@click.option("--contact", help="+86... phone number or client:NAME (default client:USERNAME)")
@click.option("--name", "display_name", default="", help="display name")
@click.option("--password-stdin", is_flag=True, required=True, help="read the password from stdin")
def users_add(
    username: str,
    role: str,
    region: str | None,
    skills: str | None,
    contact: str | None,
    display_name: str,
    password_stdin: bool,
) -> None:
    """Create a user (and their agent profile for lawyer, mediator and legal_aid)."""
    password = sys.stdin.readline().rstrip("\r\n")
    rt = cli_runtime()
    taxonomy = load_taxonomy(rt.settings.config_dir)
    regions = load_regions(rt.settings.config_dir).codes() + [PROVINCE]
    try:
        skill_list = taxonomy.parse_skills(skills) if skills else None
    except ValueError as exc:
        _fail(str(exc))
    with rt.session() as session:
        try:
            user = create_user(
                session,
                username,
                role,
                password,
                region=region,
                skills=skill_list,
                contact=contact,
                display_name=display_name,
                known_regions=regions,
            )
            session.commit()
        except HotlineError as exc:
            session.rollback()
            _fail(exc.message)
        click.echo(f"created {user.role} {user.username} (id {user.id})")
    rt.close()


@click.group()
def shifts() -> None:
    """The duty rota."""


def _parse_time(value: str, option: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        _fail(f"{option}: not an ISO 8601 time: {value!r}")
    if parsed.tzinfo is None:
        _fail(f"{option}: give a UTC offset, e.g. {value}+08:00")
    return parsed


@shifts.command("add")
@click.argument("username")
@click.option("--start", required=True, help="ISO 8601 with offset, e.g. 2026-11-27T08:00+08:00")
@click.option("--end", required=True, help="ISO 8601 with offset")
@click.option("--region", help="region of duty (default: the agent's home region)")
def shifts_add(username: str, start: str, end: str, region: str | None) -> None:
    """Put an agent on duty."""
    starts_at, ends_at = _parse_time(start, "--start"), _parse_time(end, "--end")
    rt = cli_runtime()
    regions = load_regions(rt.settings.config_dir).codes() + [PROVINCE]
    with rt.session() as session:
        try:
            shift = add_shift(session, username, starts_at, ends_at, region, regions)
            session.commit()
        except HotlineError as exc:
            session.rollback()
            _fail(exc.message)
        click.echo(
            f"shift {shift.id}: {username} on duty in {shift.region} "
            f"{format_local(shift.starts_at)} - {format_local(shift.ends_at)} (Asia/Shanghai)"
        )
    rt.close()
