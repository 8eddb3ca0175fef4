"""Opt-out by TD / 退订 / STOP: one confirmation, then nothing of any kind; opt-in again."""

from __future__ import annotations

from sqlalchemy import select

from callbacks.sms.delivery import OPTED_OUT_ERROR
from callbacks.sms.jobs import send_followup, send_message
from callbacks.sms.outbox import queue_message
from callbacks.surveys.sms_survey import send_sms_survey
from hotline.models import Caller
from tests.callbacks.sms.sms_support import (
    CITIZEN,
    inbound,
    make_answered_call,
    make_consultation,
    outbound,
    release_scheduled,
    sms_from,
    sms_requests,
    work,
)

KINDS = ("followup", "survey", "survey_thanks", "reply_help", "callback_notice")


def caller_row(db_session) -> Caller:
    db_session.rollback()
    db_session.expire_all()
    return db_session.scalars(select(Caller).where(Caller.phone == CITIZEN)).one()


def test_an_opted_out_number_receives_nothing_of_any_kind(
    client, db_session, jobs_runtime, fake_twilio, sms_clock
):
    surveyed = make_answered_call(db_session)
    send_sms_survey(surveyed.id)
    work(jobs_runtime.redis)
    assert len(sms_requests(fake_twilio)) == 1  # the survey, before the opt-out

    sms_from(client, "TD", "SM" + "1" * 32)
    opted_out_at = caller_row(db_session).sms_opted_out_at
    assert opted_out_at == sms_clock.now
    sms_clock.advance(60)
    sms_from(client, "退订", "SM" + "2" * 32)
    sms_from(client, "ＳＴＯＰ", "SM" + "3" * 32)
    work(jobs_runtime.redis)
    assert caller_row(db_session).sms_opted_out_at == opted_out_at  # the first opt-out counts

    # Every way a message of each kind comes about, after the opt-out:
    call = make_answered_call(db_session)
    consultation = make_consultation(db_session, call, disposition="mediation")
    assert send_followup(consultation.id) is None  # followup
    assert send_sms_survey(call.id) is None  # survey
    sms_from(client, "5", "SM" + "4" * 32)  # a rating: survey_thanks
    sms_from(client, "ok", "SM" + "5" * 32)  # unmatched: reply_help
    for kind in KINDS:  # and callback_notice, as the call-back work items queue it
        message = queue_message(
            db_session,
            jobs_runtime.redis,
            kind=kind,
            caller_id=call.caller_id,
            body="【12348法律服务】测试",
            idempotency_key=f"{kind}:opted-out",
            now=sms_clock.now,
            settings=jobs_runtime.settings,
        )
        assert message is None, kind
    db_session.commit()
    work(jobs_runtime.redis)
    release_scheduled(jobs_runtime.redis)
    work(jobs_runtime.redis)

    sent = sms_requests(fake_twilio)
    assert len(sent) == 2 and "已退订" in sent[1].form["Body"]
    assert [(m.kind, m.status) for m in outbound(db_session)] == [
        ("survey", "queued"),
        ("optout_confirm", "queued"),
    ]
    assert [m.reply_kind for m in inbound(db_session)] == [
        "optout",
        "optout",
        "optout",
        "rating",
        "unmatched",
    ]


def test_a_message_queued_before_the_opt_out_is_not_sent_after_it(
    client, db_session, jobs_runtime, fake_twilio, sms_clock
):
    call = make_answered_call(db_session)
    message_id = send_sms_survey(call.id)  # queued, not yet sent
    sms_from(client, "退订", "SM" + "6" * 32)
    assert send_message(message_id) is None
    work(jobs_runtime.redis)
    survey_message, confirmation = outbound(db_session)
    assert (survey_message.status, survey_message.error_message) == ("failed", OPTED_OUT_ERROR)
    assert confirmation.kind == "optout_confirm" and confirmation.status == "queued"
    assert [r.form["Body"] for r in sms_requests(fake_twilio)] == [confirmation.body]


def test_opting_in_again_allows_messages_and_a_new_opt_out_is_confirmed_again(
    client, db_session, jobs_runtime, fake_twilio, sms_clock
):
    sms_from(client, "TD", "SM" + "7" * 32)
    sms_clock.advance(3600)
    sms_from(client, "START", "SM" + "8" * 32)
    assert caller_row(db_session).sms_opted_out_at is None
    call = make_answered_call(db_session)
    assert send_sms_survey(call.id) is not None
    sms_clock.advance(3600)
    sms_from(client, "stop", "SM" + "9" * 32)
    work(jobs_runtime.redis)
    kinds = [m.kind for m in outbound(db_session)]
    assert kinds == ["optout_confirm", "survey", "optout_confirm"]
    assert [m.reply_kind for m in inbound(db_session)] == ["optout", "optin", "optout"]
    # The survey was queued while opted in but is sent after the second opt-out: held back.
    assert [m.status for m in outbound(db_session)] == ["queued", "failed", "queued"]
    assert len(sms_requests(fake_twilio)) == 2
