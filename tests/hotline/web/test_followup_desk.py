"""The follow-up desk: 回访 tasks, failed SMS and unmatched replies, as a page and as the API."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from callbacks.surveys.ratings import record_rating
from hotline import clock
from hotline.models import AuditEntry, Call, Message, ReturnVisit, Survey
from tests.console_support import (
    CALLER,
    CALLER_DIGITS,
    CALLER_MASKED,
    bearer,
    make_call,
    make_staff,
    page_login,
)

OTHER_CALLER = "+8613998765432"
OTHER_MASKED = "139****5432"


@pytest.fixture
def staff(db_session):
    return make_staff(db_session)


def low_rating(db_session, staff, *, due_in: timedelta, phone=CALLER, comment="") -> ReturnVisit:
    """A call rated 2 on the phone, its 回访 task due `due_in` from now (committed)."""
    call = make_call(db_session, staff.agent(db_session, staff.wang), phone=phone, stage="ended")
    survey = Survey(call_id=call.id, channel="ivr", comment=comment)
    db_session.add(survey)
    db_session.flush()
    task = record_rating(db_session, survey, 2, clock.now(), raw_reply="2")
    assert task is not None
    task.due_at = clock.now() + due_in
    db_session.commit()
    return task


def message(db_session, **fields) -> Message:
    values = {"from_number": "+8645112348", "to_number": CALLER, "body": "", **fields}
    row = Message(**values)
    db_session.add(row)
    db_session.commit()
    return row


def stored_task(db_session, task_id: int) -> ReturnVisit:
    """The task as the app left it (the test session's copy is stale)."""
    db_session.rollback()
    db_session.expire_all()
    return db_session.get(ReturnVisit, task_id)


def audit_entries(db_session, action: str) -> list[AuditEntry]:
    db_session.rollback()
    return list(db_session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_the_desk_lists_open_tasks_overdue_first_with_masked_numbers(client, db_session, staff):
    later = low_rating(db_session, staff, due_in=timedelta(hours=20), comment="等了很久")
    overdue = low_rating(db_session, staff, due_in=timedelta(hours=-2), phone=OTHER_CALLER)
    page_login(client, "chen")

    html = client.get("/followups").get_data(as_text=True)

    rows = re.findall(r'<tr class="(overdue)?" data-task-id="(\d+)"', html)
    assert rows == [("overdue", str(overdue.id)), ("", str(later.id))]
    assert html.count("已超期") == 1 and "待回访 2 件" in html
    assert OTHER_MASKED in html and CALLER_MASKED in html
    assert CALLER_DIGITS not in html and OTHER_CALLER[3:] not in html
    assert "2分 不满意" in html and "等了很久" in html
    overdue_sid = db_session.get(Call, overdue.call_id).call_sid
    assert f'<a href="/calls/{overdue_sid}">通话时间线</a>' in html
    assert 'class="active">回访与短信</a>' in html


def test_the_api_lists_open_tasks_by_due_time(client, db_session, staff):
    later = low_rating(db_session, staff, due_in=timedelta(hours=20))
    overdue = low_rating(db_session, staff, due_in=timedelta(hours=-2))

    body = client.get("/api/return-visits", headers=bearer(client, "chen")).get_json()

    assert body["total"] == 2
    first, second = body["return_visits"]
    assert (first["id"], first["overdue"], second["id"], second["overdue"]) == (
        overdue.id, True, later.id, False,
    )  # fmt: skip
    assert (first["rating"], first["rating_label"], first["region"], first["region_name"]) == (
        2, "不满意", "harbin", "哈尔滨",
    )  # fmt: skip
    assert (first["caller"], first["channel"], first["status"]) == (CALLER_MASKED, "ivr", "open")
    assert first["call_sid"].startswith("CA") and first["assigned_to"] is None


def test_closing_a_task_is_audited_and_takes_it_off_the_open_list(client, db_session, staff):
    task = low_rating(db_session, staff, due_in=timedelta(hours=-1))
    chen = bearer(client, "chen")

    response = client.post(
        f"/api/return-visits/{task.id}/close",
        json={"status": "unreachable", "note": "三次拨打均无人接听"},
        headers=chen,
    )

    assert response.status_code == 200, response.get_json()
    closed = response.get_json()
    assert (closed["status"], closed["status_label"], closed["outcome_note"]) == (
        "unreachable", "无法联系", "三次拨打均无人接听",
    )  # fmt: skip
    assert closed["assigned_to"] == "chen" and closed["closed_at"] and not closed["overdue"]
    assert client.get("/api/return-visits", headers=chen).get_json()["return_visits"] == []
    listed = client.get("/api/return-visits?status=unreachable", headers=chen).get_json()
    assert [row["id"] for row in listed["return_visits"]] == [task.id]
    [entry] = audit_entries(db_session, "close_return_visit")
    assert (entry.user_id, entry.target_type, entry.target_id) == (
        staff.chen.id, "return_visit", str(task.id),
    )  # fmt: skip
    assert entry.detail == {"status": "unreachable", "note": "三次拨打均无人接听", "rating": 2}

    again = client.post(
        f"/api/return-visits/{task.id}/close", json={"status": "done"}, headers=chen
    )
    assert again.status_code == 409
    assert len(audit_entries(db_session, "close_return_visit")) == 1


def test_the_page_closes_a_task_with_its_form_and_refuses_a_form_without_csrf(
    client, db_session, staff
):
    task = low_rating(db_session, staff, due_in=timedelta(hours=3))
    token = page_login(client, "chen")
    url = f"/followups/return-visits/{task.id}/close"

    refused = client.post(url, data={"status": "done", "note": "x"})
    assert refused.status_code == 400
    assert stored_task(db_session, task.id).status == "open"

    done = client.post(
        url, data={"status": "done", "note": "已回访，来电人接受解释", "csrf_token": token}
    )
    assert done.status_code == 302 and done.location.endswith("/followups?done=closed#tasks")
    html = client.get("/followups?done=closed").get_data(as_text=True)
    assert "回访任务已关闭。" in html and "暂无待回访任务。" in html
    stored = stored_task(db_session, task.id)
    assert (stored.status, stored.outcome_note, stored.closed_by_user_id) == (
        "done", "已回访，来电人接受解释", staff.chen.id,
    )  # fmt: skip

    bad = client.post(url.replace(str(task.id), str(task.id + 99)), data={"status": "done",
                      "csrf_token": token})  # fmt: skip
    assert bad.status_code == 404 and "没有找到这条记录" in bad.get_data(as_text=True)


def test_assign_to_me_from_the_page_and_the_api(client, db_session, staff):
    first = low_rating(db_session, staff, due_in=timedelta(hours=3))
    second = low_rating(db_session, staff, due_in=timedelta(hours=4))
    token = page_login(client, "chen")

    response = client.post(
        f"/followups/return-visits/{first.id}/assign", data={"csrf_token": token}
    )
    assert response.status_code == 302
    api = client.post(
        f"/api/return-visits/{second.id}/assign", headers=bearer(client, "chen")
    ).get_json()

    assert (api["assigned_to"], api["assigned_to_name"]) == ("chen", "陈主任")
    assert stored_task(db_session, first.id).assigned_user_id == staff.chen.id
    targets = [entry.target_id for entry in audit_entries(db_session, "assign_return_visit")]
    assert targets == [str(first.id), str(second.id)]
    assert "分配给我" not in client.get("/followups").get_data(as_text=True)


def test_a_supervisor_reveals_a_task_callers_number_and_it_is_audited(client, db_session, staff):
    task = low_rating(db_session, staff, due_in=timedelta(hours=3))

    response = client.post(
        f"/api/return-visits/{task.id}/reveal",
        json={"reason": "回访"},
        headers=bearer(client, "chen"),
    )

    assert response.get_json() == {"id": task.id, "caller_full": CALLER}
    [entry] = audit_entries(db_session, "reveal_number")
    assert entry.user_id == staff.chen.id
    assert entry.detail == {"return_visit_id": task.id, "reason": "回访"}


def test_failed_and_unmatched_messages_are_listed_masked(client, db_session, staff):
    failed = message(
        db_session, direction="outbound", kind="followup", status="failed", error_code=30006,
        error_message="Landline or unreachable carrier", attempts=3,
    )  # fmt: skip
    message(db_session, direction="outbound", kind="survey", status="delivered")
    unmatched = message(
        db_session, direction="inbound", kind="reply", status="received", reply_kind="unmatched",
        from_number=OTHER_CALLER, body=f"请回电{CALLER_DIGITS}，谢谢",
    )  # fmt: skip
    message(db_session, direction="inbound", kind="reply", status="received", reply_kind="rating")
    message(
        db_session, direction="inbound", kind="reply", status="received", reply_kind="unmatched",
        reviewed_at=clock.now(),
    )  # fmt: skip
    chen = bearer(client, "chen")

    failed_rows = client.get("/api/messages/failed", headers=chen).get_json()["messages"]
    replies = client.get("/api/messages/unmatched", headers=chen).get_json()["messages"]

    shown = [
        (m["id"], m["kind_label"], m["to"], m["error_code"], m["attempts"]) for m in failed_rows
    ]
    assert shown == [(failed.id, "咨询回执", CALLER_MASKED, 30006, 3)]
    assert failed_rows[0]["error_message"] == "Landline or unreachable carrier"
    assert [(m["id"], m["from"], m["body"]) for m in replies] == [
        (unmatched.id, OTHER_MASKED, f"请回电{CALLER_MASKED}，谢谢")
    ]
    page_login(client, "chen")
    html = client.get("/followups").get_data(as_text=True)
    assert html.count('data-testid="failed-row"') == 1 and "30006" in html
    assert html.count('data-testid="reply-row"') == 1 and OTHER_MASKED in html
    assert CALLER_DIGITS not in html and OTHER_CALLER not in html


def test_marking_a_reply_reviewed_takes_it_off_the_list_once(client, db_session, staff):
    reply = message(
        db_session, direction="inbound", kind="reply", status="received", reply_kind="unmatched",
        body="你好",
    )  # fmt: skip
    outbound = message(db_session, direction="outbound", kind="followup", status="failed")
    chen = bearer(client, "chen")

    first = client.post(f"/api/messages/{reply.id}/reviewed", headers=chen)
    second = client.post(f"/api/messages/{reply.id}/reviewed", headers=chen)

    assert first.status_code == second.status_code == 200
    assert first.get_json()["reviewed_at"] and first.get_json() == second.get_json()
    assert client.get("/api/messages/unmatched", headers=chen).get_json()["messages"] == []
    assert len(audit_entries(db_session, "review_reply")) == 1
    assert client.post(f"/api/messages/{outbound.id}/reviewed", headers=chen).status_code == 404


def test_the_page_marks_a_reply_reviewed(client, db_session, staff):
    reply = message(
        db_session, direction="inbound", kind="reply", status="received", reply_kind="unmatched",
        body="什么时候回电",
    )  # fmt: skip
    token = page_login(client, "chen")

    response = client.post(f"/followups/messages/{reply.id}/reviewed", data={"csrf_token": token})

    assert response.location.endswith("/followups?done=reviewed#replies")
    html = client.get("/followups").get_data(as_text=True)
    assert "什么时候回电" not in html and "没有待处理的回复。" in html


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/return-visits"),
        ("post", "/api/return-visits/1/close"),
        ("post", "/api/return-visits/1/assign"),
        ("post", "/api/return-visits/1/reveal"),
        ("get", "/api/messages/failed"),
        ("get", "/api/messages/unmatched"),
        ("post", "/api/messages/1/reviewed"),
    ],
)
def test_agents_are_refused_and_anonymous_callers_must_log_in(
    client, db_session, staff, method, path
):
    task = low_rating(db_session, staff, due_in=timedelta(hours=1))
    path = path.replace("/1/", f"/{task.id}/")
    kwargs = {"json": {"status": "done"}} if path.endswith("/close") else {"json": {}}
    if method == "get":
        kwargs = {}

    as_agent = getattr(client, method)(path, headers=bearer(client, "wang"), **kwargs)
    anonymous = getattr(client, method)(path, **kwargs)

    assert (as_agent.status_code, anonymous.status_code) == (403, 401)
    assert stored_task(db_session, task.id).status == "open"


def test_the_page_is_for_supervisors_only(client, db_session, staff):
    assert client.get("/followups").status_code == 302  # to the login page
    page_login(client, "wang")
    response = client.get("/followups")
    assert response.status_code == 403
    assert "回访与短信" not in client.get("/console").get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        ("/api/return-visits/{id}/close", {"json": {"status": "maybe"}}),
        ("/api/return-visits/{id}/close", {"json": {"status": "done", "note": "长" * 1001}}),
        ("/api/return-visits/{id}/close", {"json": {"status": "done", "extra": 1}}),
        ("/api/return-visits/{id}/close", {"data": "{oops", "content_type": "application/json"}),
        ("/api/return-visits/{id}/reveal", {"json": {"reason": 7}}),
    ],
)
def test_bad_input_is_a_clear_400_and_changes_nothing(client, db_session, staff, path, kwargs):
    task = low_rating(db_session, staff, due_in=timedelta(hours=1))

    response = client.post(path.format(id=task.id), headers=bearer(client, "chen"), **kwargs)

    assert response.status_code == 400 and response.get_json()["message"]
    assert stored_task(db_session, task.id).status == "open"
    count = db_session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action != "login")
    )
    assert count == 0


def test_unknown_ids_and_statuses(client, db_session, staff):
    chen = bearer(client, "chen")
    missing = client.post("/api/return-visits/999/close", json={"status": "done"}, headers=chen)
    bad_status = client.get("/api/return-visits?status=later", headers=chen)
    not_a_number = client.post("/api/return-visits/abc/assign", headers=chen)

    assert (missing.status_code, bad_status.status_code, not_a_number.status_code) == (
        404, 400, 404,
    )  # fmt: skip
    assert "status" in bad_status.get_json()["message"]


def test_the_openapi_document_describes_the_desk_endpoints(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    close = paths["/api/return-visits/{task_id}/close"]["post"]
    schema = close["requestBody"]["content"]["application/json"]["schema"]
    assert schema["properties"]["status"]["enum"] == ["done", "unreachable"]
    assert close["x-roles"] == ["supervisor", "admin"]
    for path in ("/api/return-visits", "/api/messages/failed", "/api/messages/unmatched"):
        assert "get" in paths[path]
    assert "post" in paths["/api/messages/{message_id}/reviewed"]
