"""A caller leaving the queue for a call-back or a voicemail: the work item left behind.

The caller pressed 1 while waiting (a call-back that keeps their place in line), chose a
call-back when the queue could take nobody, or recorded a voicemail; each opens the call's work
item (callbacks.work_items.items.open_work_item) and ends the call's time in routing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session

from callbacks.work_items.items import VOICEMAIL_SOURCE, need_of, open_work_item
from hotline.calls import add_event, find_call
from hotline.models import Call, Voicemail
from hotline.phones import ANONYMOUS
from routing import records
from routing.config import RoutingConfig
from routing.state import CallerState
from routing.waiting import leave_queue


def choose_callback(
    client: redis.Redis, session: Session, config: RoutingConfig, call_sid: str, now: datetime
) -> str:
    """The caller pressed 1 to be called back: 'ok', 'busy', 'anonymous' or 'gone'."""
    call = find_call(session, call_sid)
    if call is not None and call.stage == "ringing":
        return "busy"  # an agent is being offered the call: the redirect is on its way
    if call is None or call.stage != "queued":
        return "gone"
    if call.from_number == ANONYMOUS:
        return "anonymous"
    left = leave_queue(client, config, call, now)
    if left == "busy":
        return "busy"
    cls = left.cls if isinstance(left, CallerState) else int(call.priority or 0)
    # The request keeps the caller's place: call-backs are worked in enqueue order.
    request = open_work_item(
        session, call, "queue", now, replace(need_of(call), priority=cls),
        created_at=call.queued_at or now,
    )  # fmt: skip
    if request is None:
        return "anonymous"
    call.stage = "ended"
    call.outcome = "callback"
    call.ended_at = now
    call.wait_seconds = records.seconds_between(call.queued_at, now)
    add_event(
        session, call, "callback_requested", now, request_id=request.id, region=call.region,
        priority=cls, source="queue",
    )  # fmt: skip
    session.commit()
    return "ok"


def callback_from_offer(session: Session, call: Call, now: datetime) -> str:
    """A caller out of the queue chose a call-back: 'ok' or 'anonymous'."""
    if call.from_number == ANONYMOUS:
        return "anonymous"
    existing = open_work_item(session, call, "queue", now, created_at=call.queued_at or now)
    if existing is None:
        return "anonymous"
    call.stage = "ended"
    call.outcome = "callback"
    call.ended_at = now
    add_event(
        session, call, "callback_requested", now, request_id=existing.id, region=call.region,
        source="queue",
    )  # fmt: skip
    return "ok"


def record_voicemail(
    session: Session, call: Call, params: Mapping[str, str], now: datetime
) -> Voicemail | None:
    """Store the recording the caller left (once per RecordingSid); None without a recording."""
    url = (params.get("RecordingUrl") or "").strip()[:500]
    sid = (params.get("RecordingSid") or "").strip()[:64] or None
    duration = (params.get("RecordingDuration") or "").strip()
    if not url.startswith("https://"):
        add_event(session, call, "voicemail_empty", now, region=call.region)
        return None
    voicemail = None
    if sid is not None:
        voicemail = session.scalars(
            select(Voicemail).where(Voicemail.recording_sid == sid)
        ).one_or_none()
    if voicemail is None:
        voicemail = Voicemail(
            call_id=call.id, caller_id=call.caller_id, region=call.region,
            service=call.service, group=call.group, recording_url=url, recording_sid=sid,
            duration_seconds=int(duration) if duration.isdigit() else None, status="pending",
        )  # fmt: skip
        session.add(voicemail)
        session.flush()
    open_work_item(session, call, VOICEMAIL_SOURCE, now, voicemail=voicemail)
    call.recording_url = url
    call.outcome = "voicemail"
    add_event(
        session, call, "voicemail_recorded", now, voicemail_id=voicemail.id, region=call.region,
        duration=duration,
    )  # fmt: skip
    return voicemail
