"""The SMS satisfaction survey: sent after an answered call the caller did not rate by phone.

A survey is a Survey(channel="sms") row with rating NULL, created when the survey SMS is
queued (message key survey:<call id>, Message.survey_id set). A rating reply counts for the
caller's latest unrated SMS survey created within the reply window (config/sms.yaml).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import redis
from rq.job import Job
from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from callbacks.queues import enqueue_once, job_runtime
from callbacks.sms.config import load_reply_texts, load_sms_config
from callbacks.sms.jobs import retry_policy
from callbacks.sms.outbox import may_message, may_message_sql, message_by_key, queue_message
from hotline import clock
from hotline.db import write_first
from hotline.models import Call, CallbackAttempt, Caller, Consultation, Message, Survey
from hotline.settings import Settings

# Stages of a call that was answered: the caller may be surveyed (by phone once the talk ends,
# by SMS once the call ended there) unless they rated it by phone.
SURVEY_STAGES = ("talking", "wrap_up", "survey")


def survey_key(call_id: int) -> str:
    """The idempotency key of a call's survey SMS."""
    return f"survey:{call_id}"


def rated_by_phone(session: Session, call_id: int) -> bool:
    """Whether the caller gave an IVR rating on this call."""
    rating = session.scalar(
        select(Survey.rating).where(Survey.call_id == call_id, Survey.channel == "ivr")
    )
    return rating is not None


def survey_owed() -> ColumnElement[bool]:
    """SQL of what open_sms_survey asks of a Call row: answered, talked, unrated, messageable."""
    rated = exists(
        select(Survey.id).where(
            Survey.call_id == Call.id, Survey.channel == "ivr", Survey.rating.is_not(None)
        )
    )
    reached_agent = exists(
        select(CallbackAttempt.id).where(
            CallbackAttempt.call_sid == Call.call_sid, CallbackAttempt.outcome == "connected"
        )
    )
    return and_(
        Call.answered_at.is_not(None),
        or_(Call.direction != "outbound", reached_agent),
        ~rated,
        may_message_sql(Call.caller_id),
    )


def _sms_survey(session: Session, call: Call, now: datetime) -> Survey:
    """The call's SMS survey row, created once."""
    query = select(Survey).where(Survey.call_id == call.id, Survey.channel == "sms")
    survey = session.scalars(query).one_or_none()
    if survey is not None:
        return survey
    consultation_id = session.scalar(select(Consultation.id).where(Consultation.call_id == call.id))
    survey = Survey(
        call_id=call.id,
        caller_id=call.caller_id,
        consultation_id=consultation_id,
        agent_id=call.agent_id,
        region=call.region,
        channel="sms",
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(survey)
    except IntegrityError:  # created a moment ago by another run
        survey = session.scalars(query).one()
    return survey


def open_sms_survey(
    session: Session, client: redis.Redis, call_id: int, now: datetime, settings: Settings
) -> Message | None:
    """Queue the survey SMS of an answered, unrated call (once); None when none is due."""
    existing = message_by_key(session, survey_key(call_id))
    if existing is not None:
        return existing
    call = session.get(Call, call_id)
    if call is None or call.answered_at is None or call.caller_id is None:
        return None
    if not _talked_with_an_agent(session, call):
        return None
    if rated_by_phone(session, call.id):
        return None
    if not may_message(session.get(Caller, call.caller_id), "survey"):
        return None
    survey = _sms_survey(session, call, now)
    return queue_message(
        session,
        client,
        kind="survey",
        caller_id=call.caller_id,
        body=load_reply_texts(settings.config_dir)["survey"],
        idempotency_key=survey_key(call.id),
        now=now,
        call_id=call.id,
        consultation_id=survey.consultation_id,
        survey_id=survey.id,
        settings=settings,
    )


def _talked_with_an_agent(session: Session, call: Call) -> bool:
    """An inbound call answered by an agent, or a call-back that reached its agent.

    A call-back the citizen picked up but whose agent never came on the line is no service
    to rate: surveying it would blame the agent for a call that did not happen.
    """
    if call.direction != "outbound":
        return True
    connected = session.scalars(
        select(CallbackAttempt.id).where(
            CallbackAttempt.call_sid == call.call_sid, CallbackAttempt.outcome == "connected"
        )
    ).first()
    return connected is not None


def open_survey_for(
    session: Session, caller_id: int, now: datetime, settings: Settings
) -> Survey | None:
    """The caller's latest unrated SMS survey within the reply window, if any."""
    window = load_sms_config(settings.config_dir).reply_window
    return session.scalars(
        select(Survey)
        .where(
            Survey.caller_id == caller_id,
            Survey.channel == "sms",
            Survey.rating.is_(None),
            Survey.created_at >= now - window,
        )
        .order_by(Survey.created_at.desc(), Survey.id.desc())
        .limit(1)
    ).first()


def sms_survey_job_id(call_id: int) -> str:
    """The deterministic RQ job id of a call's SMS survey."""
    return f"sms-survey-{call_id}"


def enqueue_sms_survey(client: redis.Redis, call_id: int, delay: timedelta) -> Job:
    """Queue the SMS survey of an ended call, to run after `delay`."""
    return enqueue_once(
        client,
        sms_survey_job_id(call_id),
        send_sms_survey,
        call_id,
        delay=delay,
        retry=retry_policy(),
        description=f"SMS survey of call {call_id}",
    )


def send_sms_survey(call_id: int) -> int | None:
    """Queue the SMS survey of an answered call the caller did not rate; the message id."""
    rt = job_runtime()
    with rt.session() as session:
        write_first(session)
        message = open_sms_survey(session, rt.redis, call_id, clock.now(), rt.settings)
        session.commit()
        return message.id if message is not None else None
