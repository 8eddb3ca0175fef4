"""The live view in headless chromium says how many routers and workers run, and when none does."""

from __future__ import annotations

from playwright.sync_api import expect

from hotline.heartbeats import WORKERS, Heartbeat
from hotline.staff import create_user
from tests.browser.conftest import OutsideTraffic
from tests.console_support import PASSWORD
from tests.console_support import password_hash as page_password_hash


def test_the_live_page_shows_the_processes_and_the_no_router_alert(
    app, live_server, new_page, db_session, runtime, routing_clock
):
    app.config["HOTLINE_LIVE_STREAM_SECONDS"] = 60
    create_user(db_session, "chen", "supervisor", "", password_hash=page_password_hash())
    db_session.commit()
    Heartbeat(runtime.redis, WORKERS).beat()  # a worker runs; no router does

    page = new_page(OutsideTraffic())
    page.goto(f"{live_server}/login?next=/live")
    page.fill("#username", "chen")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("#live-connection")).to_have_attribute("data-state", "open")
    expect(page.locator("#live-routers")).to_have_text("0")
    expect(page.locator("#live-workers")).to_have_text("1")
    expect(page.locator("#live-alerts li")).to_have_count(0)  # no router, but only just now

    routing_clock.advance(16)
    alert = page.locator("#live-alerts li[data-kind='no_router']")
    expect(alert).to_have_text("路由进程已停止 15秒以上，来电无法分配")
    expect(page.locator("#live-alerts li[data-kind='no_worker']")).to_have_count(0)
