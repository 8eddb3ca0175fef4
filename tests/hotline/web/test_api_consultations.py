"""POST/GET /api/consultations: validation, ownership, case numbers, nothing written on errors."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from rq import Queue
from sqlalchemy import func, select

from hotline import clock
from hotline.models import ApiToken, CallEvent, CaseNumberCounter, Consultation
from tests.console_support import (
    CALLER_MASKED,
    bearer,
    consultation_body,
    make_call,
    make_staff,
    page_login,
)

CASE_NUMBER = re.compile(r"^HL12348-\d{8}-\d{6}$")


@pytest.fixture
def staff(db_session):
    return make_staff(db_session)


@pytest.fixture
def call(db_session, staff):
    return make_call(db_session, staff.agent(db_session, staff.wang))


def nothing_written(db_session, runtime) -> None:
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(Consultation)) == 0
    assert db_session.scalar(select(func.count()).select_from(CaseNumberCounter)) == 0
    assert (
        db_session.scalar(
            select(func.count())
            .select_from(CallEvent)
            .where(CallEvent.kind == "consultation_saved")
        )
        == 0
    )
    assert Queue("default", connection=runtime.redis).count == 0


def test_the_agent_of_the_call_saves_and_gets_a_case_number(client, call, db_session, runtime):
    response = client.post(
        "/api/consultations", json=consultation_body(call), headers=bearer(client, "wang")
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert CASE_NUMBER.match(body["case_number"])
    assert body["case_number"].endswith("-000001")
    assert response.headers["Location"] == f"/api/consultations/{body['case_number']}"
    assert body["call_sid"] == call.call_sid
    assert body["topic"] == "劳动纠纷" and body["group"] == "2"
    assert body["disposition"] == "legal_aid" and body["disposition_label"] == "转法律援助"
    assert body["agent"] == "wang" and body["agent_name"] == "王律师"
    assert body["caller"] == CALLER_MASKED
    assert body["follow_up_needed"] is True

    db_session.rollback()
    row = db_session.scalars(select(Consultation)).one()
    assert row.case_number == body["case_number"]
    assert row.caller_id == call.caller_id and row.service == "consultation"
    kinds = db_session.scalars(
        select(CallEvent.kind).where(CallEvent.call_id == call.id).order_by(CallEvent.id)
    ).all()
    assert kinds[-1] == "consultation_saved"
    queue = Queue("default", connection=runtime.redis)
    assert queue.job_ids == [f"followup-{row.id}"]


def test_case_numbers_count_up_within_the_day(client, staff, db_session):
    agent = staff.agent(db_session, staff.wang)
    headers = bearer(client, "wang")
    numbers = []
    for _ in range(3):
        call = make_call(db_session, agent)
        response = client.post("/api/consultations", json=consultation_body(call), headers=headers)
        numbers.append(response.get_json()["case_number"])
    assert [n[-6:] for n in numbers] == ["000001", "000002", "000003"]
    assert len({n[8:16] for n in numbers}) == 1


def test_the_topic_can_be_changed_from_the_ivr_guess(client, call, db_session):
    body = consultation_body(call, topic="婚姻家庭", disposition="answered")
    del body["referral_office"]
    response = client.post("/api/consultations", json=body, headers=bearer(client, "wang"))
    assert response.status_code == 201
    assert response.get_json()["topic"] == "婚姻家庭"
    assert response.get_json()["group"] == "1"
    assert response.get_json()["referral_office"] is None


def test_a_second_save_for_the_call_is_409_naming_the_first(client, call, db_session, runtime):
    headers = bearer(client, "wang")
    first = client.post("/api/consultations", json=consultation_body(call), headers=headers)
    second = client.post(
        "/api/consultations", json=consultation_body(call, summary="改了"), headers=headers
    )
    assert second.status_code == 409
    assert second.get_json()["error"] == "conflict"
    assert second.get_json()["details"]["case_number"] == first.get_json()["case_number"]
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(Consultation)) == 1
    assert db_session.scalars(select(CaseNumberCounter.last_value)).one() == 1  # none wasted
    assert Queue("default", connection=runtime.redis).count == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"data": "{not json", "content_type": "application/json"}, "请求体必须是 JSON 对象"),
        ({"data": "call_sid=x", "content_type": "application/x-www-form-urlencoded"}, "JSON"),
        ({"json": ["a", "b"]}, "请求体必须是 JSON 对象"),
        ({"json": {"topic": "劳动纠纷"}}, "字段 call_sid 不能为空"),
        ({"json_without": "summary"}, "字段 summary 不能为空"),
        ({"json_without": "topic"}, "字段 topic 不能为空"),
        ({"json_without": "disposition"}, "字段 disposition 不能为空"),
        ({"json_with": {"summary": 42}}, "字段 summary 类型错误，应为字符串"),
        ({"json_with": {"follow_up_needed": "yes"}}, "字段 follow_up_needed 类型错误"),
        ({"json_with": {"call_sid": 7}}, "字段 call_sid 类型错误，应为字符串"),
        ({"json_with": {"topic": ["劳动纠纷"]}}, "字段 topic 类型错误，应为字符串"),
        ({"json_with": {"summary": "字" * 2001}}, "字段 summary 不能超过 2000 个字符"),
        ({"json_with": {"referral_office": "所" * 201}}, "不能超过 200 个字符"),
        ({"json_with": {"call_sid": "CA" + "0" * 63}}, "字段 call_sid 不能超过 64 个字符"),
        ({"json_with": {"topic": "天文地理"}}, "topic must be one of"),
        ({"json_with": {"disposition": "ignored"}}, "字段 disposition 必须是 answered、"),
        ({"json_with": {"summary": "   "}}, "summary must not be empty"),
        ({"json_with": {"case_number": "HL12348-20260101-000001"}}, "未知字段 case_number"),
    ],
)
def test_malformed_bodies_are_clear_400s_and_write_nothing(
    client, call, db_session, runtime, kwargs, message
):
    headers = bearer(client, "wang")
    if "json_without" in kwargs:
        body = consultation_body(call)
        del body[kwargs["json_without"]]
        kwargs = {"json": body}
    elif "json_with" in kwargs:
        kwargs = {"json": consultation_body(call, **kwargs["json_with"])}
    response = client.post("/api/consultations", headers=headers, **kwargs)
    assert response.status_code == 400
    assert response.is_json
    assert response.get_json()["error"] == "bad_request"
    assert message in response.get_json()["message"]
    nothing_written(db_session, runtime)


def test_unknown_call_is_404(client, call, db_session, runtime):
    body = consultation_body(call, call_sid="CA" + "f" * 32)
    response = client.post("/api/consultations", json=body, headers=bearer(client, "wang"))
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"
    nothing_written(db_session, runtime)


@pytest.mark.parametrize("username", ["li", "zhao"])
def test_another_agent_cannot_record_the_call(client, call, db_session, runtime, username):
    response = client.post(
        "/api/consultations", json=consultation_body(call), headers=bearer(client, username)
    )
    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"
    nothing_written(db_session, runtime)


def test_a_supervisor_does_not_record_consultations(client, call, db_session, runtime):
    response = client.post(
        "/api/consultations", json=consultation_body(call), headers=bearer(client, "chen")
    )
    assert response.status_code == 403
    assert "role" in response.get_json()["message"]
    nothing_written(db_session, runtime)


@pytest.mark.parametrize("problem", ["expired", "revoked", "missing", "unknown"])
def test_bad_tokens_are_401_and_write_nothing(client, call, db_session, runtime, problem):
    headers = bearer(client, "wang")
    if problem == "expired":
        row = db_session.scalars(select(ApiToken)).one()
        row.expires_at = clock.now() - timedelta(seconds=1)
        db_session.commit()
    elif problem == "revoked":
        assert client.delete("/api/token", headers=headers).status_code == 204
    elif problem == "missing":
        headers = {}
    else:
        headers = {"Authorization": "Bearer not-a-real-token"}
    response = client.post("/api/consultations", json=consultation_body(call), headers=headers)
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    nothing_written(db_session, runtime)


def test_page_session_needs_the_csrf_header(client, call, db_session, runtime):
    token = page_login(client, "wang")
    refused = client.post("/api/consultations", json=consultation_body(call))
    assert refused.status_code == 400
    assert refused.get_json()["error"] == "csrf_failed"
    nothing_written(db_session, runtime)
    accepted = client.post(
        "/api/consultations", json=consultation_body(call), headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 201


def test_agents_list_their_own_and_supervisors_all(client, staff, db_session):
    wang_call = make_call(db_session, staff.agent(db_session, staff.wang))
    li_call = make_call(db_session, staff.agent(db_session, staff.li))
    wang, li, chen = bearer(client, "wang"), bearer(client, "li"), bearer(client, "chen")
    client.post("/api/consultations", json=consultation_body(wang_call), headers=wang)
    client.post("/api/consultations", json=consultation_body(li_call), headers=li)

    mine = client.get("/api/consultations", headers=wang).get_json()
    assert mine["total"] == 1
    assert [c["call_sid"] for c in mine["consultations"]] == [wang_call.call_sid]
    everything = client.get("/api/consultations", headers=chen).get_json()
    assert everything["total"] == 2
    assert {c["agent"] for c in everything["consultations"]} == {"wang", "li"}
    one = client.get(f"/api/consultations?call_sid={li_call.call_sid}", headers=chen).get_json()
    assert [c["agent"] for c in one["consultations"]] == ["li"]
    assert (
        client.get(f"/api/consultations?call_sid={li_call.call_sid}", headers=wang).get_json()[
            "consultations"
        ]
        == []
    )


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "limit=ten", "offset=-1", "call_sid=" + "C" * 65]
)
def test_bad_list_parameters_are_400(client, staff, query):
    response = client.get(f"/api/consultations?{query}", headers=bearer(client, "chen"))
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"


def test_one_consultation_for_its_author_and_supervisors_only(client, call):
    wang = bearer(client, "wang")
    case_number = client.post(
        "/api/consultations", json=consultation_body(call), headers=wang
    ).get_json()["case_number"]
    url = f"/api/consultations/{case_number}"
    assert client.get(url, headers=wang).status_code == 200
    assert client.get(url, headers=bearer(client, "chen")).get_json()["case_number"] == case_number
    other = client.get(url, headers=bearer(client, "li"))
    assert other.status_code == 403
    assert other.get_json()["error"] == "forbidden"
    assert "summary" not in other.get_json()
    missing = client.get("/api/consultations/HL12348-20000101-000001", headers=wang)
    assert missing.status_code == 404
    assert client.get(url).status_code == 401
