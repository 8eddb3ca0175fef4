"""The declarations of /api/ routes: input read into models, answers checked against theirs."""

from __future__ import annotations

import pytest
from flask import Blueprint, jsonify

from hotline.errors import Conflict
from hotline.web.api.contract import api_route
from hotline.web.api.models.me import MeOut
from tests.console_support import bearer, make_staff
from tests.harness.api_contract import ContractBreach


@pytest.fixture
def staff(db_session):
    return make_staff(db_session)


def drifting_routes() -> Blueprint:
    """Routes whose answers do not match their declarations."""
    bp = Blueprint("drift", __name__)

    @api_route(bp, "GET", "/drift/declared", "An answer missing keys", response=MeOut)
    def declared():  # type: ignore[no-untyped-def]
        return {"username": "wang", "role": "lawyer"}

    @bp.get("/drift/bypassing")
    def bypassing():  # type: ignore[no-untyped-def]
        return jsonify({"anything": "goes"})

    return bp


def test_an_answer_that_drifts_from_its_model_fails_in_the_view(app, caplog, api_answers):
    app.register_blueprint(drifting_routes(), url_prefix="/api")

    with pytest.raises(ContractBreach, match="answered 500"):
        app.test_client().get("/api/drift/declared")

    assert "the answer does not match its model" in caplog.text
    assert "display_name" in caplog.text  # pydantic names the missing key
    api_answers.breaches.clear()  # seen: the test is that it was caught


def test_an_answer_that_bypasses_the_glue_fails_the_test(app, api_answers):
    app.register_blueprint(drifting_routes(), url_prefix="/api")

    with pytest.raises(ContractBreach, match="not declared with api_route"):
        app.test_client().get("/api/drift/bypassing")

    api_answers.breaches.clear()


def test_a_declared_route_whose_view_writes_another_shape_fails_the_test(
    app, client, staff, api_answers
):
    headers = bearer(client, "wang")
    declared = app.view_functions["api.me.me"]

    def wrong_shape():  # type: ignore[no-untyped-def]
        return jsonify({"username": "wang", "role": 7})

    wrong_shape.__api_route__ = declared.__api_route__  # type: ignore[attr-defined]
    app.view_functions["api.me.me"] = wrong_shape

    with pytest.raises(ContractBreach, match="does not match MeOut"):
        client.get("/api/me", headers=headers)

    api_answers.breaches.clear()


def test_an_error_outside_the_declared_statuses_fails_the_test(app, api_answers):
    bp = Blueprint("teapot", __name__)

    @api_route(bp, "GET", "/teapot", "Declares no error", response=MeOut)
    def teapot():  # type: ignore[no-untyped-def]
        raise Conflict("a conflict the route does not declare")

    app.register_blueprint(bp, url_prefix="/api")

    with pytest.raises(ContractBreach, match="a status its route does not declare"):
        app.test_client().get("/api/teapot")

    api_answers.breaches.clear()


def test_a_matching_answer_passes_and_is_the_models_json(client, staff):
    response = client.get("/api/me", headers=bearer(client, "wang"))

    assert response.status_code == 200
    assert MeOut.model_validate_json(response.data).as_json() == response.get_json()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=x", "查询参数 limit 必须是整数"),
        ("limit=5.0", "查询参数 limit 必须是整数"),
        ("limit=0", "查询参数 limit 不能小于 1"),
        ("limit=201", "查询参数 limit 不能大于 200"),
        ("offset=-1", "查询参数 offset 不能小于 0"),
        ("date=2026-13-01", "查询参数 date 必须是 YYYY-MM-DD 格式的日期"),
        ("stage=flying", "查询参数 stage 必须是 ivr、queued、ringing、talking、wrap_up、"),
        ("region=" + "x" * 33, "查询参数 region 不能超过 32 个字符"),
    ],
)
def test_bad_query_parameters_are_a_400_in_chinese(client, staff, query, message):
    response = client.get(f"/api/calls?{query}", headers=bearer(client, "chen"))

    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"
    assert message in response.get_json()["message"]


def test_empty_and_unknown_query_parameters_are_left_out(client, staff):
    response = client.get("/api/calls?limit=&stage=&_=123", headers=bearer(client, "chen"))

    assert response.status_code == 200


def test_a_null_field_is_the_same_as_leaving_it_out(client, staff):
    response = client.put(
        "/api/agents/me/status", json={"status": None}, headers=bearer(client, "wang")
    )

    assert response.status_code == 400
    assert response.get_json()["message"] == "字段 status 不能为空"


def test_an_unknown_field_names_the_allowed_ones(client, staff):
    response = client.put(
        "/api/agents/me/status",
        json={"status": "break", "mood": "ok"},
        headers=bearer(client, "wang"),
    )

    assert response.get_json() == {
        "error": "bad_request",
        "message": "未知字段 mood",
        "details": {"allowed": ["status"]},
    }


def test_true_is_no_text(client, staff):
    response = client.put(
        "/api/agents/me/status", json={"status": True}, headers=bearer(client, "wang")
    )

    assert response.get_json()["message"] == "字段 status 类型错误，应为字符串"
