"""The supervisors' live view in headless chromium: a call joins the queue and leaves it.

The call goes the real way: the test caller dials the IVR and presses its keys until it waits in
the queue; the router offers it to the on-duty lawyer (a redirect through the fake Twilio API);
the caller fetches the connect TwiML and the lawyer presses 1. The open page learns all of it
from its SSE stream, without a reload.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from hotline.models import AuditEntry
from hotline.phones import mask
from hotline.staff import create_user
from tests.browser.conftest import OutsideTraffic
from tests.console_support import PASSWORD
from tests.console_support import password_hash as page_password_hash
from tests.routing.helpers import add_agent, redirects, start_talk

HARBIN_LANDLINE = "+8645188886666"


@pytest.fixture
def people(db_session, routing_clock):
    """The supervisor chen and an on-duty Harbin lawyer, available."""
    create_user(
        db_session, "chen", "supervisor", "", display_name="陈主任",
        password_hash=page_password_hash(),
    )  # fmt: skip
    db_session.commit()
    return add_agent(db_session, "lawyer1", "harbin", contact="+8613900000001", now=routing_clock())


def test_a_call_appears_in_the_queue_and_leaves_it_when_answered(
    app,
    live_server,
    new_page,
    people,
    db_session,
    routing_caller,
    router,
    fake_twilio,
    screenshot,
):
    app.config["HOTLINE_LIVE_STREAM_SECONDS"] = 60
    outside = OutsideTraffic()
    page = new_page(outside)
    page.goto(f"{live_server}/login?next=/live")
    page.fill("#username", "chen")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{live_server}/live")
    expect(page.locator("#live-connection")).to_have_attribute("data-state", "open")
    expect(page.locator("#waiting-empty")).to_be_visible()
    agent_row = page.locator(f"#agents-table tr[data-agent-id='{people.id}']")
    expect(agent_row).to_have_attribute("data-state", "available")
    expect(page.locator("nav a.active")).to_have_text("实时监控")
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    call = routing_caller.place_call(from_=HARBIN_LANDLINE, inputs=["1", "1", "2"])
    assert call.ended == ("queue", "hotline-harbin")

    rows = page.locator("#waiting-table tbody tr")
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row).to_have_attribute("data-call-sid", call.call_sid)
    expect(row).to_contain_text(mask(HARBIN_LANDLINE))
    expect(row).to_contain_text("哈尔滨")
    expect(row).to_contain_text("劳动纠纷")
    expect(page.locator("#waiting-empty")).to_be_hidden()
    expect(page.locator("[data-kpi=waiting]")).to_have_text("1")
    assert HARBIN_LANDLINE[3:] not in page.content()  # masked everywhere
    reveal = row.locator("a")
    expect(reveal).to_have_attribute("href", f"/calls/{call.call_sid}")
    screenshot(page, "live-waiting")

    assert router.run_once().offered == 1
    expect(agent_row).to_have_attribute("data-state", "ringing")
    start_talk(routing_caller, call.call_sid, redirects(fake_twilio, call.call_sid)[0])

    expect(rows).to_have_count(0)
    expect(page.locator("#waiting-empty")).to_be_visible()
    expect(agent_row).to_have_attribute("data-state", "talking")
    expect(agent_row).to_contain_text("通话中")
    expect(agent_row).to_contain_text(mask(HARBIN_LANDLINE))
    expect(page.locator("[data-kpi=answered]")).to_have_text("1")
    screenshot(page, "live-talking")

    agent_row.locator("button[data-action=pause]").click()  # no more calls after this one
    expect(page.locator("#live-action-message")).to_have_text("已暂停该坐席接听。")
    expect(agent_row.locator("button[data-action=release]")).to_have_text("恢复")
    expect(agent_row).to_have_attribute("data-state", "talking")
    assert page.evaluate("window.__sameDocument") is True
    db_session.rollback()
    (entry,) = db_session.scalars(
        select(AuditEntry).where(AuditEntry.action == "agent_paused")
    ).all()
    assert entry.target_id == str(people.id)
    page.goto("about:blank")  # closes the stream
    assert outside.requests == []
