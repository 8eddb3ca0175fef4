"""Call-back attempts: an agent calls a citizen back; answered, connected, or tried again later.

start_attempt   claim the item, take the agent out of inbound routing, create the Twilio call
answered        the citizen picked up: whom to dial (the agent's phone or browser)
agent_dialed    the <Dial> of the agent ended: connected (a talk) or the agent was not reached
call_ended      the final status: the item is done, due again later, or closed as unreachable
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import redis
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from callbacks.lifecycle import FINAL_STATUSES
from callbacks.sms.outbox import queue_message
from callbacks.work_items.items import claim, close, may_work
from callbacks.work_items.return_call_config import ReturnCallConfig
from callbacks.work_items.return_call_talk import agent_answered_at
from hotline.calls import add_event, find_call, get_or_create_call
from hotline.db import write_first
from hotline.errors import Conflict, Forbidden, HotlineError, NotFound
from hotline.models import Agent, CallbackAttempt, CallbackRequest
from hotline.settings import Settings
from hotline.telephony import Telephony, TelephonyError
from hotline.twiml import VOICE_PREFIX
from routing.agent_status import current_call, set_status
from routing.records import agent_contact, seconds_between

RETURN_CALL_PREFIX = f"{VOICE_PREFIX}/callback"
ANSWER_PATH = f"{RETURN_CALL_PREFIX}/answer"
STATUS_PATH = f"{RETURN_CALL_PREFIX}/status"
DIALED_PATH = f"{RETURN_CALL_PREFIX}/dialed"
AGENT_PATH = f"{RETURN_CALL_PREFIX}/agent"  # the agent's leg answered
# Outcomes of an attempt that did not reach the citizen: they count toward "unreachable".
CITIZEN_FAILURES = {"no-answer": "no_answer", "busy": "busy", "failed": "failed",
                    "canceled": "canceled"}  # fmt: skip


class ReturnCallFailed(HotlineError):
    """Twilio did not accept the outbound call; the item stays due and nothing is counted."""

    status = 502
    code = "telephony_failed"


@dataclass(frozen=True)
class Dialer:
    """What starting a call needs: the REST adapter, the settings and the public base URL."""

    telephony: Telephony
    settings: Settings
    base_url: str

    @property
    def hotline_number(self) -> str:
        """The number the citizen sees calling."""
        return self.settings.hotline_number


def _check_startable(
    session: Session, client: redis.Redis, agent: Agent, request: CallbackRequest, now: datetime
) -> None:
    if request.status != "pending":
        raise Conflict("这条回拨任务正在回拨或已关闭", status=request.status)
    due_at = request.next_attempt_at
    if due_at is not None and due_at > now:
        raise Conflict("还没到下一次回拨时间", next_attempt_at=due_at.isoformat())
    if not may_work(session, agent, request, now):
        raise Forbidden("这条回拨任务不属于您的值班地区或业务范围")
    if current_call(client, session, agent, now) is not None:
        raise Conflict("您正在接听来电，请结束后再回拨")
    busy = session.scalar(
        select(CallbackAttempt.id).where(
            CallbackAttempt.agent_id == agent.id, CallbackAttempt.ended_at.is_(None)
        )
    )
    if busy is not None:
        raise Conflict("您有一个回拨正在进行中", attempt_id=busy)


def start_attempt(
    session: Session,
    client: redis.Redis,
    dialer: Dialer,
    config: ReturnCallConfig,
    agent: Agent,
    request_id: int,
    now: datetime,
) -> CallbackAttempt:
    """Claim a due item and call the citizen; the agent takes no inbound calls meanwhile."""
    request = session.get(CallbackRequest, request_id)
    if request is None:
        raise NotFound(f"no work item {request_id}")
    _check_startable(session, client, agent, request, now)
    if not claim(session, request.id, agent.id, now):
        session.rollback()
        raise Conflict("这条回拨任务已被其他人领取")
    session.refresh(request)
    number = 1 + (
        session.scalar(
            select(func.count(CallbackAttempt.id)).where(CallbackAttempt.request_id == request.id)
        )
        or 0
    )
    attempt = CallbackAttempt(
        request_id=request.id, agent_id=agent.id, number=number, outcome="dialing",
        agent_was_available=agent.status == "available", started_at=now,
    )  # fmt: skip
    session.add(attempt)
    session.commit()
    if attempt.agent_was_available:
        set_status(client, session, agent, "break", now)
    query = f"?attempt={attempt.id}"
    try:
        call_sid = dialer.telephony.create_call(
            to=request.phone,
            from_=dialer.hotline_number,
            url=dialer.base_url + ANSWER_PATH + query,
            status_callback=dialer.base_url + STATUS_PATH + query,
            timeout=config.citizen_ring_seconds,
        )
    except TelephonyError as exc:
        finish(session, client, config, attempt, "failed", now, dialer.settings, counted=False)
        raise ReturnCallFailed(f"回拨未能发起：{exc.message}", retryable=exc.retryable) from exc
    write_first(session)
    attempt.call_sid = call_sid
    call, _ = get_or_create_call(
        session, call_sid, dialer.hotline_number, request.phone, direction="outbound", now=now
    )
    call.service, call.topic, call.group = request.service, request.topic, request.group
    call.region, call.priority, call.agent_id = request.region, request.priority, agent.id
    call.stage = "ringing"
    add_event(session, call, "callback_dialing", now, request_id=request.id,
              attempt=attempt.number, agent_id=agent.id, region=request.region)  # fmt: skip
    session.commit()
    return attempt


def live_attempt(session: Session, attempt_id: str, call_sid: str) -> CallbackAttempt | None:
    """The attempt named by a webhook, if it is still going and the CallSid matches."""
    if not attempt_id.isdigit() or len(attempt_id) > 12:
        return None
    attempt = session.get(CallbackAttempt, int(attempt_id))
    if attempt is None or attempt.ended_at is not None:
        return None
    if attempt.call_sid is not None and attempt.call_sid != call_sid:
        return None
    return attempt


def answered(session: Session, attempt: CallbackAttempt, now: datetime) -> tuple[str, str] | None:
    """The citizen picked up: (intro prompt key, agent contact), or None if nobody to dial."""
    attempt.answered_at = attempt.answered_at or now
    call = find_call(session, attempt.call_sid or "")
    if call is not None and call.stage == "ringing":
        call.stage, call.answered_at = "talking", now
        add_event(session, call, "callback_answered", now, attempt=attempt.number,
                  agent_id=attempt.agent_id, region=call.region)  # fmt: skip
    contact = agent_contact(session, attempt.agent_id or 0)
    if not contact:
        return None
    request = session.get(CallbackRequest, attempt.request_id)
    key = "intro_voicemail" if request is not None and request.voicemail_id else "intro_request"
    return key, contact


def agent_dialed(
    session: Session, attempt: CallbackAttempt, dial_status: str, duration: str, now: datetime
) -> str:
    """Record whether the agent leg was connected; the prompt key the citizen hears next.

    Connected means the agent pressed 1: a leg answered by a voicemail box, or hung up in the
    whisper, ends the <Dial> "completed" too, but without a talk.
    """
    call = find_call(session, attempt.call_sid or "")
    connected = dial_status == "completed" and agent_answered_at(session, call) is not None
    if attempt.outcome == "dialing":
        attempt.outcome = "connected" if connected else "agent_unreachable"
        if connected:
            talk = (
                int(duration) if duration.isdigit() else seconds_between(attempt.answered_at, now)
            )
            attempt.talk_seconds = talk
    if call is not None:
        if not connected:
            call.outcome = "agent_unreachable"
        add_event(session, call, "callback_agent_dialed", now, status=dial_status,
                  agent_id=attempt.agent_id, region=call.region)  # fmt: skip
    return "talk_done" if attempt.outcome == "connected" else "agent_missed"


def final_outcome(attempt: CallbackAttempt, status: str) -> str:
    """The attempt's outcome from what happened on the call and Twilio's final CallStatus."""
    if attempt.outcome in ("connected", "agent_unreachable"):
        return attempt.outcome
    if attempt.answered_at is not None:
        return "canceled"  # the citizen hung up before the agent was dialled
    return CITIZEN_FAILURES.get(status, "no_answer")


def call_ended(
    session: Session,
    client: redis.Redis,
    config: ReturnCallConfig,
    attempt: CallbackAttempt,
    status: str,
    now: datetime,
    settings: Settings | None = None,
) -> None:
    """A status callback of the attempt's call: on a final status, end the attempt."""
    attempt.twilio_status = status[:20]
    if status not in FINAL_STATUSES:
        return
    outcome = final_outcome(attempt, status)
    counted = outcome != "agent_unreachable"
    finish(session, client, config, attempt, outcome, now, settings, counted=counted)


def finish(
    session: Session,
    client: redis.Redis,
    config: ReturnCallConfig,
    attempt: CallbackAttempt,
    outcome: str,
    now: datetime,
    settings: Settings | None = None,
    counted: bool = True,
) -> None:
    """End an attempt: close the item, or make it due again; give the agent back to routing.

    An attempt ends once: when another request ended it first (a late status callback and
    the stale-attempt sweep), this one changes nothing.
    """
    write_first(session)
    # An UPDATE's result is a CursorResult (it has rowcount); Session.execute is typed Result.
    ended = cast(
        CursorResult[Any],
        session.execute(
            update(CallbackAttempt)
            .where(CallbackAttempt.id == attempt.id, CallbackAttempt.ended_at.is_(None))
            .values(outcome=outcome, ended_at=now)
            .execution_options(synchronize_session=False)
        ),
    )
    if ended.rowcount != 1:
        return
    attempt.outcome, attempt.ended_at = outcome, now
    request = session.get(CallbackRequest, attempt.request_id)
    if request is not None and request.status == "in_progress":
        if outcome == "connected":
            close(session, request, "done", now)
        elif not counted:
            request.status = "pending"
        else:
            request.attempts += 1
            if request.attempts >= config.max_attempts:
                close(session, request, "unreachable", now)
                _queue_notice(session, client, config, request, now, settings)
            else:
                request.status = "pending"
                request.next_attempt_at = now + config.retry_delay(request.attempts)
    session.commit()
    agent = session.get(Agent, attempt.agent_id) if attempt.agent_id else None
    if agent is not None and attempt.agent_was_available and agent.status == "break":
        set_status(client, session, agent, "available", now)


def _queue_notice(
    session: Session,
    client: redis.Redis,
    config: ReturnCallConfig,
    request: CallbackRequest,
    now: datetime,
    settings: Settings | None,
) -> None:
    """Tell the citizen by SMS that we could not reach them (once per item)."""
    if request.caller_id is None:
        return
    queue_message(
        session, client, kind="callback_notice", caller_id=request.caller_id,
        body=config.unreachable_sms, idempotency_key=f"callback_notice:{request.id}", now=now,
        call_id=request.call_id, settings=settings,
    )  # fmt: skip


def attempts_of(session: Session, request_ids: list[int]) -> dict[int, list[CallbackAttempt]]:
    """The attempts of these items, oldest first."""
    rows = session.scalars(
        select(CallbackAttempt)
        .where(CallbackAttempt.request_id.in_(request_ids))
        .order_by(CallbackAttempt.started_at, CallbackAttempt.id)
    ).all()
    result: dict[int, list[CallbackAttempt]] = {i: [] for i in request_ids}
    for row in rows:
        result[row.request_id].append(row)
    return result
