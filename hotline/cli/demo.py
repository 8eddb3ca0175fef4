"""`hotline demo`: a simulated centre on the embedded defaults, to watch /live move.

It starts what `hotline serve` starts (web, RQ worker, router) plus a fake Twilio API on
127.0.0.1; simulated callers place signed calls into the real webhooks and demo agents answer
them through the API. No process of the demo connects to anything but this machine.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from sqlalchemy import func, select
from werkzeug.serving import make_server

from hotline import clock
from hotline.cli.children import Children
from hotline.cli.processes import prepare_embedded
from hotline.devtools import local_only
from hotline.devtools.demo_centre import DemoAgents, DemoCentre, agents_on_duty
from hotline.devtools.demo_data import DEMO_PASSWORD
from hotline.devtools.fake_twilio import FakeTwilio, QuietRequestHandler
from hotline.models import Call, Consultation
from hotline.runtime import Runtime, redis_url
from hotline.settings import Settings, load_settings

HOST = "127.0.0.1"
PROGRESS_SECONDS = 15


@contextmanager
def _children(settings: Settings) -> Iterator[Children]:
    """The RQ worker and the router, refusing outside connections like this process."""
    env = dict(
        os.environ,
        REDIS_URL=redis_url(settings),
        DATABASE_URL=settings.database_url,
        HOTLINE_PUBLIC_URL=settings.public_url or "",
        TWILIO_API_BASE_URL=settings.twilio_api_base_url,
        TWILIO_ACCOUNT_SID=settings.twilio_account_sid,
        TWILIO_AUTH_TOKEN=settings.twilio_auth_token,
    )
    children = Children("hotline.cli.offline", ("worker", "router"), env).start()
    try:
        yield children
    finally:
        children.stop()


@contextmanager
def _web(rt: Runtime, port: int) -> Iterator[None]:
    """The web app on 127.0.0.1:port in a background thread."""
    from hotline.web.app import create_app

    server = make_server(
        HOST, port, create_app(runtime=rt), threaded=True, request_handler=QuietRequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2})
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _progress(centre: DemoCentre) -> None:
    while not centre.stop.wait(PROGRESS_SECONDS):
        counts = centre.counts()
        rest = ", ".join(
            f"{k} {v}" for k, v in sorted(counts.items()) if k not in ("placed", "live")
        )
        click.echo(f"demo: {counts['placed']} calls placed, {counts['live']} on the line; {rest}")


def _summary(rt: Runtime, since: Any, fake: FakeTwilio, centre: DemoCentre) -> list[str]:
    with rt.session() as session:
        outcomes = dict(
            session.execute(
                select(Call.outcome, func.count())
                .where(Call.started_at >= since)
                .group_by(Call.outcome)
            )
            .tuples()
            .all()
        )
        answered = session.scalar(
            select(func.count()).where(
                Call.started_at >= since, Call.agent_id.is_not(None), Call.talk_seconds > 0
            )
        )
        consultations = session.scalar(
            select(func.count()).select_from(Consultation).where(Consultation.created_at >= since)
        )
    shown = ", ".join(f"{k or 'none'} {v}" for k, v in sorted(outcomes.items(), key=str))
    return [
        f"calls placed: {centre.placed}; outcomes in the database: {shown}",
        f"answered by demo agents with a talk recorded: {answered}; consultations: {consultations}",
        f"requests to the fake Twilio API: {len(fake.requests)}",
        f"calls the app sent to its fallback: {centre.fell_back}",
        f"outside connections refused: {local_only.refused()}",
        f"call errors: {len(centre.errors)}"
        + (f" (first: {centre.errors[0]})" if centre.errors else ""),
    ]


@click.command()
@click.option("--port", default=5000, show_default=True, type=int, help="web port on 127.0.0.1")
@click.option("--rate", default=8.0, show_default=True, type=click.FloatRange(0.1, 600),
              help="calls per minute")  # fmt: skip
@click.option("--duration", default=None, type=click.FloatRange(1, None),
              help="stop after this many seconds (default: run until Ctrl-C)")  # fmt: skip
@click.option("--speed", default=10.0, show_default=True, type=click.FloatRange(1, 600),
              help="talks run this many times faster (6 minutes last 36 s at 10)")  # fmt: skip
@click.option("--seed", default=None, type=int, help="random seed for a repeatable run")
def demo(port: int, rate: float, duration: float | None, speed: float, seed: int | None) -> None:
    """A simulated centre: callers and agents through the real app and a local fake Twilio."""
    settings = load_settings()
    if settings.is_production:
        raise click.UsageError("the demo places simulated calls: not with HOTLINE_ENV=production")
    local_only.enable()
    fake = FakeTwilio(settings.twilio_account_sid, settings.twilio_auth_token).start()
    base_url = f"http://{HOST}:{port}"
    settings = settings.with_overrides(public_url=base_url, twilio_api_base_url=fake.base_url)
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    rt = Runtime(settings)
    prepare_embedded(rt)
    started = clock.now()
    with rt.session() as session:
        on_duty = agents_on_duty(session, started)
    seed = seed if seed is not None else int(started.timestamp())
    agents = DemoAgents(base_url, on_duty, DEMO_PASSWORD, seed)
    from routing.regions import load_regions

    regions = load_regions(settings.config_dir)
    centre = DemoCentre(base_url, settings, fake, agents, regions, rate, speed, seed)
    signal.signal(signal.SIGTERM, lambda _signum, _frame: centre.stop.set())
    try:
        with _web(rt, port), _children(settings):
            click.echo(f"{agents.sign_in()} demo agents on duty are available")
            click.echo(f"demo centre on {base_url}/  (fake Twilio API on {fake.base_url})")
            click.echo(f"log in at {base_url}/login as supervisor / {DEMO_PASSWORD}, then open")
            click.echo(f"{base_url}/live: queues, agents and today's figures move as calls come in")
            click.echo(f"{rate:g} calls a minute, talks {speed:g}x faster; Ctrl-C stops")
            threading.Thread(target=_progress, args=(centre,), daemon=True).start()
            try:
                centre.run(duration)
            except KeyboardInterrupt:
                click.echo("stopping: the callers still on the line hang up")
            centre.finish()
            agents.sign_out()
    finally:
        centre.stop.set()
        for line in _summary(rt, started, fake, centre):
            click.echo(line)
        fake.stop()
        rt.close()
