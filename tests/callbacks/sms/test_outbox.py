"""queue_message: one row per key, opt-out, quiet hours and segmenting, enqueued after commit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rq import Queue
from sqlalchemy import func, select

from callbacks.sms.outbox import UnknownMessageKind, queue_message, requeue_pending
from hotline.after_commit import pending
from hotline.models import Message
from tests.callbacks.sms.sms_support import MORNING, make_caller, outbound, scheduled_ids


def queue(db_session, runtime, caller, key="notice:1", body="您好，这是一条通知。", **extra):
    extra.setdefault("now", MORNING)
    return queue_message(
        db_session,
        runtime.redis,
        kind=extra.pop("kind", "callback_notice"),
        caller_id=caller.id,
        body=body,
        idempotency_key=key,
        settings=runtime.settings,
        **extra,
    )


def test_a_message_is_stored_once_and_its_send_job_queued_after_the_commit(db_session, runtime):
    caller = make_caller(db_session)
    first = queue(db_session, runtime, caller)
    again = queue(db_session, runtime, caller)
    assert first is not None and again is first
    assert pending(db_session) == 1 and Queue("default", connection=runtime.redis).count == 0
    db_session.commit()
    assert Queue("default", connection=runtime.redis).job_ids == [f"sms-{first.id}"]
    assert queue(db_session, runtime, caller).id == first.id  # a later run: nothing new
    db_session.commit()
    assert Queue("default", connection=runtime.redis).job_ids == [f"sms-{first.id}"]
    (stored,) = outbound(db_session)
    assert (stored.kind, stored.status, stored.to_number, stored.segments) == (
        "callback_notice",
        "pending",
        caller.phone,
        1,
    )
    assert stored.from_number == runtime.settings.hotline_number
    assert stored.scheduled_for == MORNING and stored.created_at == MORNING


def test_a_rolled_back_message_queues_no_job(db_session, runtime):
    caller = make_caller(db_session)
    queue(db_session, runtime, caller)
    db_session.rollback()
    db_session.commit()
    assert Queue("default", connection=runtime.redis).count == 0
    assert scheduled_ids(runtime.redis) == []
    assert outbound(db_session) == []


def test_in_quiet_hours_the_message_is_scheduled_for_eight_oclock(db_session, runtime):
    caller = make_caller(db_session)
    late = datetime(2026, 11, 26, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai
    message = queue(db_session, runtime, caller, now=late)
    db_session.commit()
    eight = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
    assert message.scheduled_for == eight
    assert Queue("default", connection=runtime.redis).count == 0
    assert scheduled_ids(runtime.redis) == [f"sms-{message.id}"]


def test_a_body_over_the_segment_limit_becomes_several_messages(db_session, runtime):
    caller = make_caller(db_session)
    sentence = "请携带身份证件和相关材料到法律援助中心办理。"  # 22 characters
    body = sentence * 12  # 264 characters: 4 segments, the limit is 3
    first = queue(db_session, runtime, caller, key="long:1", body=body)
    db_session.commit()
    parts = outbound(db_session)
    assert parts[0].id == first.id
    assert [p.idempotency_key for p in parts] == ["long:1", "long:1#2"]
    assert "".join(p.body for p in parts) == body
    assert [p.segments for p in parts] == [3, 1]
    assert all(p.body.endswith("。") for p in parts)
    jobs = Queue("default", connection=runtime.redis).job_ids
    assert jobs == [f"sms-{p.id}" for p in parts]
    assert queue(db_session, runtime, caller, key="long:1", body=body).id == first.id
    db_session.commit()
    assert len(outbound(db_session)) == 2


def test_withheld_numbers_and_unknown_callers_get_nothing(db_session, runtime):
    anonymous = make_caller(db_session, "anonymous")
    assert queue(db_session, runtime, anonymous) is None
    assert (
        queue_message(
            db_session,
            runtime.redis,
            kind="followup",
            caller_id=987654,
            body="x",
            idempotency_key="k",
            now=MORNING,
            settings=runtime.settings,
        )
        is None
    )
    db_session.commit()
    assert db_session.scalar(select(func.count()).select_from(Message)) == 0


@pytest.mark.parametrize("kind", ["reply", "marketing", ""])
def test_an_unknown_kind_is_refused(db_session, runtime, kind):
    caller = make_caller(db_session)
    with pytest.raises(UnknownMessageKind):
        queue(db_session, runtime, caller, kind=kind)


def test_pending_messages_are_queued_again_after_redis_is_lost(db_session, runtime):
    caller = make_caller(db_session)
    now_message = queue(db_session, runtime, caller, key="a")
    late = queue(db_session, runtime, caller, key="b", now=MORNING + timedelta(hours=12))
    db_session.commit()
    runtime.redis.flushdb()
    assert requeue_pending(db_session, runtime.redis, MORNING, runtime.settings) == 2
    assert Queue("default", connection=runtime.redis).job_ids == [f"sms-{now_message.id}"]
    assert scheduled_ids(runtime.redis) == [f"sms-{late.id}"]


def test_the_worker_resumes_pending_messages_at_start_without_doubling_jobs(db_session, runtime):
    from hotline.cli.processes import resume_outbox

    caller = make_caller(db_session)
    message = queue(db_session, runtime, caller, key="a")
    db_session.commit()
    runtime.redis.flushdb()  # the send job was lost with Redis
    assert resume_outbox(runtime) == 1
    assert resume_outbox(runtime) == 0  # a second start finds the job still queued
    assert Queue("default", connection=runtime.redis).job_ids == [f"sms-{message.id}"]
