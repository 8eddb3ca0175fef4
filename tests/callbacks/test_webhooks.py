"""Status callbacks and inbound SMS are recorded once, in order, losing nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hotline import clock
from hotline.calls import get_or_create_call
from hotline.models import Call, Caller, Message
from tests.conftest import AUTH_TOKEN
from tests.harness.signing import call_params, signed_post


def _sms(sid: str, **extra: str) -> dict[str, str]:
    params = {"MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": "+8613936000000"}
    params.update({"To": "+8645112348"}, **extra)
    return params


def test_hangup_in_queue_is_recorded_as_abandoned_with_its_stage(client, db_session):
    call, _ = get_or_create_call(db_session, "CA" + "1" * 32, "+8613936000000", "+8645112348")
    call.stage = "queued"
    call.queued_at = clock.now() - timedelta(seconds=42)
    db_session.commit()

    params = call_params(call.call_sid, CallStatus="completed", CallDuration="70")
    assert signed_post(client, "/voice/status", params, AUTH_TOKEN).status_code == 200

    db_session.rollback()  # end the snapshot: see what the app committed
    db_session.expire_all()
    stored = db_session.scalars(select(Call)).one()
    assert (stored.stage, stored.hangup_stage, stored.outcome) == ("ended", "queued", "abandoned")
    assert 42 <= stored.wait_seconds <= 45
    assert [e.kind for e in stored.events] == ["status"]
    assert stored.events[0].data["status"] == "completed"


def test_status_for_an_unknown_call_creates_it_rather_than_losing_it(client, db_session):
    params = call_params("CA" + "2" * 32, CallStatus="no-answer", Direction="outbound-api")
    params.update(From="+8645112348", To="+8613936000000")
    assert signed_post(client, "/voice/status", params, AUTH_TOKEN).status_code == 200
    stored = db_session.scalars(select(Call)).one()
    assert (stored.direction, stored.outcome, stored.to_number) == (
        "outbound",
        "no_answer",
        "+8613936000000",
    )


def test_repeated_final_status_ends_the_call_once(client, db_session):
    params = call_params("CA" + "3" * 32, CallStatus="completed")
    signed_post(client, "/voice/status", params, AUTH_TOKEN)
    first_end = db_session.scalars(select(Call)).one().ended_at
    db_session.rollback()
    signed_post(client, "/voice/status", params, AUTH_TOKEN)
    db_session.rollback()  # end the snapshot: see what the app committed
    db_session.expire_all()
    stored = db_session.scalars(select(Call)).one()
    assert stored.ended_at == first_end
    assert [e.kind for e in stored.events] == ["status", "status"]


def test_inbound_sms_is_stored_once_per_message_sid(client, db_session):
    params = _sms("SM" + "1" * 32, Body="５")
    for _ in range(2):
        response = signed_post(client, "/sms/incoming", params, AUTH_TOKEN)
        assert response.status_code == 200
        assert response.get_data(as_text=True).endswith("<Response />")
    messages = db_session.scalars(select(Message).order_by(Message.id)).all()
    assert [(m.direction, m.status, m.body, m.from_number, m.reply_kind) for m in messages[:1]] == [
        ("inbound", "received", "５", "+8613936000000", "unmatched")  # no survey was sent
    ]
    # Answered once, although Twilio delivered the webhook twice.
    assert [(m.direction, m.kind, m.to_number) for m in messages[1:]] == [
        ("outbound", "reply_help", "+8613936000000")
    ]
    assert db_session.scalars(select(Caller.phone)).all() == ["+8613936000000"]


def sent_message(sid: str, status: str, body: str) -> Message:
    """An outbound follow-up SMS Twilio has accepted (not yet added to a session)."""
    return Message(
        direction="outbound",
        kind="followup",
        to_number="+8613936000000",
        from_number="+8645112348",
        body=body,
        status=status,
        twilio_sid=sid,
    )


def test_sms_status_moves_forward_and_never_back(client, db_session):
    message = sent_message("SM" + "2" * 32, "queued", "您的案件编号")
    db_session.add(message)
    db_session.commit()
    for status in ("delivered", "sent", "queued"):  # out of order, as Twilio may deliver them
        params = _sms(message.twilio_sid, MessageStatus=status)
        assert signed_post(client, "/sms/status", params, AUTH_TOKEN).status_code == 200
    db_session.rollback()  # end the snapshot: see what the app committed
    db_session.expire_all()
    assert db_session.get(Message, message.id).status == "delivered"


def test_a_status_that_beats_its_sid_waits_for_the_row_then_applies(client, db_session, runtime):
    from callbacks.sms.webhooks import apply_early_statuses

    sid = "SM" + "4" * 32
    for status in ("sent", "delivered"):
        params = _sms(sid, MessageStatus=status)
        assert signed_post(client, "/sms/status", params, AUTH_TOKEN).status_code == 200
    assert runtime.redis.ttl(f"hotline:sms:early-status:{sid}") > 0
    message = sent_message(sid, "queued", "您的案件编号")  # the sender commits the SID only now
    db_session.add(message)
    db_session.commit()
    assert apply_early_statuses(db_session, runtime.redis, sid) is message
    db_session.commit()
    assert message.status == "delivered"
    assert runtime.redis.exists(f"hotline:sms:early-status:{sid}") == 0
    assert apply_early_statuses(db_session, runtime.redis, sid) is None  # applied once


def test_sms_status_records_the_error_code(client, db_session):
    message = sent_message("SM" + "3" * 32, "sent", "x")
    db_session.add(message)
    db_session.commit()
    params = _sms(message.twilio_sid, MessageStatus="undelivered", ErrorCode="30003")
    signed_post(client, "/sms/status", params, AUTH_TOKEN)
    db_session.rollback()  # end the snapshot: see what the app committed
    db_session.expire_all()
    stored = db_session.get(Message, message.id)
    assert (stored.status, stored.error_code) == ("undelivered", 30003)


def test_sms_webhook_without_message_sid_is_a_clear_400(client, db_session):
    params = _sms("")
    response = signed_post(client, "/sms/incoming", params, AUTH_TOKEN)
    assert response.status_code == 400
    assert response.get_json()["message"] == "MessageSid is missing or malformed"
    assert db_session.scalars(select(Message)).all() == []


def test_an_empty_or_junk_sms_is_kept_and_only_a_real_number_is_answered(client, db_session):
    signed_post(client, "/sms/incoming", _sms("SM" + "4" * 32, Body=""), AUTH_TOKEN)
    junk = _sms("SM" + "5" * 32, Body="5", From="not-a-number")
    assert signed_post(client, "/sms/incoming", junk, AUTH_TOKEN).status_code == 200
    messages = db_session.scalars(select(Message).order_by(Message.id)).all()
    assert [(m.direction, m.body, m.from_number, m.reply_kind) for m in messages] == [
        ("inbound", "", "+8613936000000", "unmatched"),
        ("outbound", messages[1].body, "+8645112348", None),  # the polite answer
        ("inbound", "5", "anonymous", "unmatched"),  # a withheld number is never answered
    ]
    assert messages[1].kind == "reply_help"


def test_an_sms_we_fail_to_act_on_is_still_kept_for_supervisors(client, db_session, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr("hotline.web.sms.answer_inbound", broken)
    response = signed_post(client, "/sms/incoming", _sms("SM" + "6" * 32, Body="5"), AUTH_TOKEN)
    assert response.status_code == 200
    db_session.rollback()
    (message,) = db_session.scalars(select(Message)).all()
    assert (message.body, message.reply_kind, message.reviewed_at) == ("5", "unmatched", None)
