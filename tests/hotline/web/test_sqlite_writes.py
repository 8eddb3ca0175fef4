"""SQLite development mode: parallel GETs that write (an audit entry) never find it locked.

Against a real SQLite file on both backends: a deferred SQLite transaction that read first fails
at once on its write ("database is locked") when another connection committed in between.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from hotline import migrate
from hotline.models import AuditEntry
from hotline.runtime import Runtime
from hotline.web.app import create_app
from tests.console_support import bearer, make_call, make_staff

THREADS = 8
REQUESTS_EACH = 15


@pytest.fixture
def sqlite_app(base_settings, tmp_path, session_runtime):
    """The app on its own SQLite file (the session's Redis)."""
    settings = base_settings.with_overrides(database_url=f"sqlite:///{tmp_path}/hotline.db")
    migrate.upgrade(settings.database_url)
    rt = Runtime(settings)
    rt.__dict__["redis"] = session_runtime.redis
    app = create_app(runtime=rt)
    app.config["TESTING"] = True
    yield app, rt
    rt.engine.dispose()


def test_parallel_history_views_are_each_answered_and_audited(sqlite_app):
    app, rt = sqlite_app
    with rt.session() as session:
        staff = make_staff(session)
        call = make_call(session, staff.agent(session, staff.wang))
        sid = call.call_sid
    headers = bearer(app.test_client(), "chen")
    start = threading.Barrier(THREADS)

    def views(_index: int) -> list[int]:
        client = app.test_client()
        start.wait()
        path = f"/api/calls/{sid}/history"
        return [client.get(path, headers=headers).status_code for _ in range(REQUESTS_EACH)]

    with ThreadPoolExecutor(THREADS) as pool:
        statuses = [status for batch in pool.map(views, range(THREADS)) for status in batch]

    assert statuses == [200] * (THREADS * REQUESTS_EACH)
    with rt.session() as session:
        audited = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "view_caller_history")
        )
    assert audited == THREADS * REQUESTS_EACH
