"""The follow-up desk in headless chromium: a supervisor sees a 回访 task, reveals the number,
and closes the task with its outcome and a note; and marks an anonymous voicemail handled."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from callbacks.surveys.ratings import record_rating
from hotline import clock
from hotline.models import AuditEntry, ReturnVisit, Survey, Voicemail
from tests.browser.conftest import OutsideTraffic
from tests.browser.test_console import log_in
from tests.console_support import CALLER, CALLER_MASKED, make_call, make_staff
from tests.hotline.web.test_followup_voicemails import RECORDING, voicemail


def test_a_supervisor_sees_a_low_rating_task_and_closes_it(
    live_server, new_page, db_session, screenshot
):
    staff = make_staff(db_session)
    call = make_call(db_session, staff.agent(db_session, staff.wang), stage="ended")
    survey = Survey(call_id=call.id, channel="ivr", comment="律师态度生硬")
    db_session.add(survey)
    db_session.flush()
    task = record_rating(db_session, survey, 1, clock.now() - timedelta(days=2), raw_reply="1")
    db_session.commit()
    outside = OutsideTraffic()
    page = new_page(outside)

    log_in(page, live_server, "chen")
    page.click("text=回访与短信")

    row = page.locator(f"tr[data-task-id='{task.id}']")
    expect(row).to_be_visible()
    expect(row).to_have_class("overdue")
    expect(row).to_contain_text("1分 非常不满意")
    expect(row).to_contain_text("律师态度生硬")
    expect(row.get_by_test_id("task-caller")).to_have_text(CALLER_MASKED)
    row.get_by_role("button", name="查看完整号码").click()
    expect(row.get_by_test_id("task-caller")).to_have_text(CALLER)
    screenshot(page, "followup_desk")

    row.get_by_label("回访结果").select_option("done")
    row.get_by_label("备注").fill("已电话回访，来电人接受解释")
    row.get_by_role("button", name="关闭任务").click()

    expect(page.get_by_test_id("desk-done")).to_have_text("回访任务已关闭。")
    expect(page.locator(f"tr[data-task-id='{task.id}']")).to_have_count(0)
    expect(page.locator("#task-table")).to_contain_text("暂无待回访任务。")
    db_session.rollback()
    db_session.expire_all()
    stored = db_session.get(ReturnVisit, task.id)
    assert (stored.status, stored.outcome_note, stored.closed_by_user_id) == (
        "done",
        "已电话回访，来电人接受解释",
        staff.chen.id,
    )
    actions = db_session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["reveal_number", "close_return_visit"]
    assert outside.requests == [] and outside.websockets == []


def test_a_supervisor_marks_an_anonymous_voicemail_handled(
    live_server, new_page, db_session, screenshot
):
    staff = make_staff(db_session)
    row = voicemail(db_session)
    outside = OutsideTraffic()
    page = new_page(outside)

    log_in(page, live_server, "chen")
    page.click("text=回访与短信")

    line = page.locator(f"tr[data-voicemail-id='{row.id}']")
    expect(page.locator("#voicemails h2")).to_have_text("匿名留言")
    expect(line).to_contain_text("2026-03-11 20:05")
    expect(line).to_contain_text("法律援助")
    expect(line).to_contain_text("1分15秒")
    expect(line.get_by_test_id("recording-link")).to_have_attribute(
        "href", RECORDING.format(row.call_id)
    )
    screenshot(page, "followup_desk_voicemails")
    line.get_by_label("留言处理备注").fill("录音为咨询离婚财产分割，无法回拨，已记录")
    line.get_by_role("button", name="已处理").click()

    expect(page.get_by_test_id("desk-done")).to_have_text("留言已标记为已处理。")
    expect(page.locator(f"tr[data-voicemail-id='{row.id}']")).to_have_count(0)
    expect(page.locator("#voicemail-table")).to_contain_text("没有待处理的匿名留言。")
    db_session.rollback()
    db_session.expire_all()
    stored = db_session.get(Voicemail, row.id)
    assert (stored.status, stored.closed_by_user_id) == ("done", staff.chen.id)
    assert stored.outcome_note == "录音为咨询离婚财产分割，无法回拨，已记录"
    assert outside.requests == [] and outside.websockets == []
