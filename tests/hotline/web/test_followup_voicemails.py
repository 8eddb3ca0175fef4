"""Voicemails nobody can call back (withheld numbers) on the follow-up desk: listed, handled."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from callbacks.work_items.items import open_work_item
from hotline.calls import get_or_create_call
from hotline.models import AuditEntry, Voicemail
from hotline.phones import ANONYMOUS
from tests.callbacks.work_items.test_items import closed_line_app, leave_voicemail
from tests.console_support import CALLER, bearer, make_staff, page_login
from tests.routing.helpers import unique_sid

RECORDING = "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE{}"
# 20:05 and 21:30 in Asia/Shanghai on 11 March 2026.
EARLIER = datetime(2026, 3, 11, 12, 5, tzinfo=UTC)
LATER = datetime(2026, 3, 11, 13, 30, tzinfo=UTC)


@pytest.fixture
def staff(db_session):
    return make_staff(db_session)


def voicemail(db_session, created_at=EARLIER, *, phone=ANONYMOUS, region="harbin",
              service="legal_aid", duration=75, status="pending") -> Voicemail:  # fmt: skip
    """A voicemail left on the closed line (committed); one with a number is a work item."""
    call, _ = get_or_create_call(db_session, unique_sid(), phone, "+8645112348")
    call.region, call.service = region, service
    row = Voicemail(
        call_id=call.id, caller_id=call.caller_id, region=region, service=service,
        recording_url=RECORDING.format(call.id), recording_sid=f"RE{call.id:032d}",
        duration_seconds=duration, status=status, created_at=created_at,
    )  # fmt: skip
    db_session.add(row)
    db_session.flush()
    if phone != ANONYMOUS:
        assert open_work_item(db_session, call, "voicemail", created_at, voicemail=row)
    db_session.commit()
    return row


def stored(db_session, voicemail_id: int) -> Voicemail:
    """The voicemail as the app left it."""
    db_session.rollback()
    db_session.expire_all()
    return db_session.get(Voicemail, voicemail_id)


def closes(db_session) -> list[AuditEntry]:
    db_session.rollback()
    return list(
        db_session.scalars(select(AuditEntry).where(AuditEntry.action == "close_voicemail"))
    )


def test_the_desk_lists_pending_voicemails_without_a_number_oldest_first(client, db_session, staff):
    later = voicemail(db_session, LATER, region="qiqihar", service=None, duration=42)
    earlier = voicemail(db_session, EARLIER)
    voicemail(db_session, EARLIER, phone=CALLER)  # a work item: called back from the console
    voicemail(db_session, EARLIER, status="done")
    page_login(client, "chen")

    html = client.get("/followups").get_data(as_text=True)

    section = html[html.index('id="voicemails"') :]
    assert "<h2>匿名留言</h2>" in section and "待处理 2 条" in section
    assert section.index(f'data-voicemail-id="{earlier.id}"') < section.index(
        f'data-voicemail-id="{later.id}"'
    )
    assert section.count('data-testid="voicemail-row"') == 2
    link = f'href="{RECORDING.format(earlier.call_id)}"'
    for text in ("2026-03-11 20:05", "哈尔滨", "法律援助", "1分15秒", "2026-03-11 21:30",
                 "齐齐哈尔", "未选择", "42秒", link):  # fmt: skip
        assert text in section, text
    assert section.count(">已处理</button>") == 2


def test_the_api_lists_them_with_their_details(client, db_session, staff):
    row = voicemail(db_session)
    voicemail(db_session, phone=CALLER)
    chen = bearer(client, "chen")

    body = client.get("/api/voicemails?status=pending", headers=chen).get_json()
    default = client.get("/api/voicemails", headers=chen).get_json()
    done = client.get("/api/voicemails?status=done", headers=chen).get_json()

    assert body == default and done == {"voicemails": [], "total": 0}
    (shown,) = body["voicemails"]
    assert body["total"] == 1
    assert (shown["id"], shown["status"], shown["status_label"], shown["region_label"]) == (
        row.id, "pending", "待处理", "哈尔滨",
    )  # fmt: skip
    assert (shown["created_at_local"], shown["duration_seconds"], shown["duration_label"]) == (
        "2026-03-11 20:05", 75, "1分15秒",
    )  # fmt: skip
    assert shown["recording_url"] == RECORDING.format(row.call_id)
    assert shown["call_sid"].startswith("CA") and shown["closed_by"] is None


def test_closing_is_audited_once_and_a_second_close_is_a_conflict(client, db_session, staff):
    row = voicemail(db_session)
    chen = bearer(client, "chen")

    first = client.post(
        f"/api/voicemails/{row.id}/close", json={"note": "已收听，咨询内容已转哈尔滨法律援助中心"},
        headers=chen,
    )  # fmt: skip
    second = client.post(f"/api/voicemails/{row.id}/close", json={}, headers=chen)

    assert first.status_code == 200, first.get_json()
    closed = first.get_json()
    assert (closed["status"], closed["status_label"], closed["closed_by"]) == (
        "done", "已处理", "陈主任",
    )  # fmt: skip
    assert closed["outcome_note"] == "已收听，咨询内容已转哈尔滨法律援助中心"
    assert closed["closed_at"] and closed["closed_at_local"]
    assert second.status_code == 409 and second.get_json()["details"] == {"status": "done"}
    kept = stored(db_session, row.id)
    assert (kept.status, kept.closed_by_user_id) == ("done", staff.chen.id)
    assert kept.outcome_note == "已收听，咨询内容已转哈尔滨法律援助中心"
    (entry,) = closes(db_session)
    assert (entry.user_id, entry.target_type, entry.target_id) == (
        staff.chen.id, "voicemail", str(row.id),
    )  # fmt: skip
    assert entry.detail == {"note": "已收听，咨询内容已转哈尔滨法律援助中心", "region": "harbin"}
    assert client.get("/api/voicemails", headers=chen).get_json()["voicemails"] == []
    listed = client.get("/api/voicemails?status=done", headers=chen).get_json()["voicemails"]
    assert [v["id"] for v in listed] == [row.id]


def test_a_voicemail_with_a_number_is_closed_by_its_call_back_not_here(client, db_session, staff):
    row = voicemail(db_session, phone=CALLER)

    response = client.post(f"/api/voicemails/{row.id}/close", json={}, headers=bearer(client,
                           "chen"))  # fmt: skip

    assert response.status_code == 409 and "work_item_id" in response.get_json()["details"]
    assert stored(db_session, row.id).status == "pending" and closes(db_session) == []


def test_the_page_closes_one_with_its_form_and_refuses_a_form_without_csrf(
    client, db_session, staff
):
    row = voicemail(db_session)
    token = page_login(client, "chen")
    url = f"/followups/voicemails/{row.id}/close"

    refused = client.post(url, data={"note": "x"})
    assert refused.status_code == 400 and stored(db_session, row.id).status == "pending"

    done = client.post(url, data={"note": "留言为空白录音", "csrf_token": token})
    again = client.post(url, data={"note": "", "csrf_token": token})
    unknown = client.post(f"/followups/voicemails/{row.id + 99}/close", data={"csrf_token": token})

    assert done.status_code == 302
    assert done.location.endswith("/followups?done=voicemail#voicemails")
    html = client.get("/followups?done=voicemail").get_data(as_text=True)
    assert "留言已标记为已处理。" in html and "没有待处理的匿名留言。" in html
    assert again.status_code == 409 and "这条留言已处理" in again.get_data(as_text=True)
    assert unknown.status_code == 404 and "没有找到这条留言" in unknown.get_data(as_text=True)
    assert stored(db_session, row.id).outcome_note == "留言为空白录音"
    assert len(closes(db_session)) == 1


@pytest.mark.parametrize(
    ("method", "path"), [("get", "/api/voicemails"), ("post", "/api/voicemails/{id}/close")]
)
def test_agents_are_refused_and_anonymous_clients_must_log_in(
    client, db_session, staff, method, path
):
    row = voicemail(db_session)
    kwargs = {"json": {}} if method == "post" else {}
    path = path.format(id=row.id)

    as_agent = getattr(client, method)(path, headers=bearer(client, "wang"), **kwargs)
    nobody = getattr(client, method)(path, **kwargs)

    assert (as_agent.status_code, nobody.status_code) == (403, 401)
    assert stored(db_session, row.id).status == "pending"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"json": {"note": "长" * 1001}},
        {"json": {"note": 7}},
        {"json": {"note": "", "status": "done"}},
        {"data": "{oops", "content_type": "application/json"},
    ],
)
def test_bad_input_is_a_clear_400_and_changes_nothing(client, db_session, staff, kwargs):
    row = voicemail(db_session)

    response = client.post(f"/api/voicemails/{row.id}/close", headers=bearer(client, "chen"),
                           **kwargs)  # fmt: skip

    assert response.status_code == 400 and response.get_json()["message"]
    assert stored(db_session, row.id).status == "pending"
    assert closes(db_session) == []


def test_unknown_ids_and_statuses(client, db_session, staff):
    chen = bearer(client, "chen")

    missing = client.post("/api/voicemails/999/close", json={}, headers=chen)
    bad_status = client.get("/api/voicemails?status=later", headers=chen)

    assert (missing.status_code, bad_status.status_code) == (404, 400)
    assert "status" in bad_status.get_json()["message"]


def test_an_anonymous_voicemail_left_through_the_ivr_reaches_the_desk(
    runtime, tmp_path, db_session, staff
):
    app = closed_line_app(runtime, tmp_path)
    leave_voicemail(app, from_="anonymous")
    client = app.test_client()

    body = client.get("/api/voicemails", headers=bearer(client, "chen")).get_json()

    (shown,) = body["voicemails"]
    stored_row = stored(db_session, shown["id"])
    assert (shown["status"], shown["region"], shown["recording_url"]) == (
        "pending", None, stored_row.recording_url,
    )  # fmt: skip
    assert shown["recording_url"] and shown["duration_seconds"] == stored_row.duration_seconds


def test_the_openapi_document_describes_the_voicemail_endpoints(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    close = paths["/api/voicemails/{voicemail_id}/close"]["post"]
    schema = close["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["note"]["maxLength"] == 1000
    assert close["x-roles"] == ["supervisor", "admin"]
    listing = paths["/api/voicemails"]["get"]
    assert [p["name"] for p in listing["parameters"]] == ["status", "limit", "offset"]
