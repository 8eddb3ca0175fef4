"""Helpers of the SMS tests: run the RQ queue in-process, release scheduled jobs, arrange rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rq import Queue, SimpleWorker
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from hotline.calls import get_or_create_caller
from hotline.models import Call, Caller, Consultation, Message
from hotline.phones import normalize
from tests.conftest import AUTH_TOKEN
from tests.harness.signing import signed_post

# A Thursday that is a working day: 10:00 in Shanghai.
MORNING = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
CITIZEN = "+8613936000000"


def work(redis_client) -> None:
    """Run every queued job with a burst worker (jobs they enqueue run too)."""
    queue = Queue("default", connection=redis_client)
    SimpleWorker([queue], connection=redis_client).work(burst=True)


def scheduled_ids(redis_client) -> list[str]:
    """The ids of the jobs waiting in the scheduled registry (delayed sends, retries)."""
    return ScheduledJobRegistry("default", connection=redis_client).get_job_ids()


def release_scheduled(redis_client) -> list[str]:
    """Move every scheduled job to the queue, as the RQ scheduler does when its time comes."""
    queue = Queue("default", connection=redis_client)
    registry = ScheduledJobRegistry(queue=queue)
    released = registry.get_job_ids()
    for job_id in released:
        job = queue.fetch_job(job_id)
        registry.remove(job_id)
        if job is not None:
            queue.enqueue_job(job)
    return released


def sms_requests(fake_twilio, to: str | None = None):
    """The SMS create requests the fake Twilio API received (to one number, if given)."""
    requests = fake_twilio.requests_to("/Messages.json", "POST")
    return [r for r in requests if to is None or r.form["To"] == to]


def make_caller(session, phone: str = CITIZEN, opted_out_at: datetime | None = None) -> Caller:
    """A committed caller row."""
    session.commit()
    caller = get_or_create_caller(session, normalize(phone) if phone != "anonymous" else phone)
    caller.sms_opted_out_at = opted_out_at
    session.commit()
    return caller


def make_answered_call(session, phone: str = CITIZEN, sid: str | None = None) -> Call:
    """A call answered by an agent and ended while talking (committed)."""
    from tests.console_support import make_call

    call = make_call(session, None, phone=phone, sid=sid)
    call.answered_at = MORNING - timedelta(minutes=5)
    call.stage, call.hangup_stage, call.outcome = "ended", "talking", "answered"
    session.commit()
    return call


def make_consultation(session, call: Call, disposition: str = "legal_aid") -> Consultation:
    """A consultation recorded for the call (committed)."""
    row = Consultation(
        case_number=f"HL12348-20261126-{call.id:06d}",
        call_id=call.id,
        caller_id=call.caller_id,
        topic="劳动纠纷",
        disposition=disposition,
    )
    session.add(row)
    session.commit()
    return row


def sms_from(client, body: str, sid: str, phone: str = CITIZEN):
    """Post an inbound SMS, signed like Twilio."""
    params = {"MessageSid": sid, "AccountSid": "AC" + "0" * 32, "From": phone}
    params.update(To="+8645112348", Body=body)
    response = signed_post(client, "/sms/incoming", params, AUTH_TOKEN)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response


def status_callback(client, message_sid: str, status: str, **extra: str):
    """Post a message status callback, signed like Twilio."""
    params = {"MessageSid": message_sid, "MessageStatus": status, "AccountSid": "AC" + "0" * 32}
    params.update(extra)
    response = signed_post(client, "/sms/status", params, AUTH_TOKEN)
    assert response.status_code == 200
    return response


def outbound(session, kind: str | None = None) -> list[Message]:
    """The outbound messages (of one kind), oldest first, as committed."""
    session.rollback()
    session.expire_all()
    query = select(Message).where(Message.direction == "outbound")
    if kind is not None:
        query = query.where(Message.kind == kind)
    return list(session.scalars(query.order_by(Message.id)))


def inbound(session) -> list[Message]:
    """The inbound messages, oldest first, as committed."""
    session.rollback()
    session.expire_all()
    query = select(Message).where(Message.direction == "inbound").order_by(Message.id)
    return list(session.scalars(query))
