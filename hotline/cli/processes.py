"""`hotline serve`, `hotline worker` and `hotline router`: the service's processes."""

from __future__ import annotations

import os
import signal
import sys
import threading

import click

from hotline import clock, migrate
from hotline.cli.children import Children
from hotline.cli.context import cli_runtime
from hotline.runtime import Runtime, redis_url
from hotline.settings import load_settings


def _stop_on_signals(stop: threading.Event) -> None:
    def handler(signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


@click.command()
def worker() -> None:
    """Run an RQ worker (with its scheduler) on the high and default queues until SIGTERM."""
    from callbacks.worker_process import run_worker

    rt = cli_runtime(needs_schema=False)
    stop = threading.Event()
    _stop_on_signals(stop)
    run_worker(rt, stop, resume_outbox)
    rt.close()


def resume_outbox(rt: Runtime) -> int:
    """Queue the jobs Redis lost: pending SMS, follow-ups, SMS surveys, lifecycle steps."""
    from callbacks.resume import resume_followups, resume_lifecycle_steps, resume_sms_surveys
    from callbacks.sms.config import load_sms_config
    from callbacks.sms.outbox import requeue_pending

    now = clock.now()
    delay = load_sms_config(rt.settings.config_dir).survey_delay
    with rt.session() as session:
        return (
            requeue_pending(session, rt.redis, now, rt.settings)
            + resume_followups(session, rt.redis, now)
            + resume_sms_surveys(session, rt.redis, now, delay)
            + resume_lifecycle_steps(session, rt.redis, now)
        )


@click.command()
@click.option(
    "--rebuild",
    "rebuild_only",
    is_flag=True,
    help="rebuild the live routing state in Redis from the database, then exit",
)
def router(rebuild_only: bool) -> None:
    """Run the router process until SIGTERM or SIGINT (or rebuild its state and exit)."""
    from callbacks.lifecycle import CallLifecycle
    from routing.router_process import rebuild_now, run_router

    rt = cli_runtime(needs_schema=rebuild_only)
    if rebuild_only:
        report = rebuild_now(rt)
        click.echo(
            f"routing state rebuilt: {report.waiting} waiting, {report.offered} ringing, "
            f"{report.talking} talking, {report.agents} agents"
        )
        rt.close()
        return
    stop = threading.Event()
    _stop_on_signals(stop)
    run_router(rt, CallLifecycle(rt), stop)
    rt.close()


def prepare_embedded(rt: Runtime) -> None:
    """On the embedded defaults: migrate, and seed the demo staff and rota on first start."""
    from sqlalchemy import func, select

    from hotline.devtools.demo_data import seed_demo
    from hotline.models import User
    from hotline.taxonomy import load_taxonomy
    from routing.regions import load_regions

    migrate.upgrade(rt.settings.database_url)
    with rt.session() as session:
        if not session.scalar(select(func.count()).select_from(User)):
            report = seed_demo(
                session,
                load_regions(rt.settings.config_dir),
                load_taxonomy(rt.settings.config_dir),
                clock.now(),
            )
            session.commit()
            click.echo(f"demo data: {report.agents} agents, {report.shifts} shifts")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Development: migrate, seed demo data, then run web + worker + router together."""
    from werkzeug.serving import run_simple

    from hotline.web.app import create_app

    settings = load_settings()
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    rt = Runtime(settings)
    prepare_embedded(rt)
    child_env = dict(os.environ, REDIS_URL=redis_url(settings), DATABASE_URL=settings.database_url)
    children = Children("hotline.cli", ("worker", "router"), child_env).start()
    pids = children.pids()
    click.echo(f"worker pid {pids['worker']}, router pid {pids['router']}")
    click.echo(f"hotline serving on http://{host}:{port}/ (database {settings.database_url})")
    # SIGTERM unwinds like Ctrl-C so the children are stopped with us.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
    try:
        run_simple(host, port, create_app(runtime=rt), threaded=True, use_reloader=False)
    finally:
        children.stop()
        rt.close()
