"""Call-back and voicemail work items of agents, and starting their outbound calls."""

from __future__ import annotations

from flask import Blueprint, request

from callbacks.work_items import items as work_items
from callbacks.work_items import return_calls as attempts
from callbacks.work_items.closing import close_work_item
from callbacks.work_items.stale_attempts import end_stale_attempts
from hotline import clock
from hotline.auth import audit
from hotline.consultations import agent_of
from hotline.errors import Forbidden, NotFound
from hotline.models import Agent, CallbackAttempt, CallbackRequest, User, Voicemail
from hotline.models.vocabulary import AGENT_ROLES, SUPERVISOR_ROLES
from hotline.phones import mask
from hotline.telephony import Telephony
from hotline.times import format_local
from hotline.web.api.contract import api_route
from hotline.web.api.models.work_items import (
    AnonymousVoicemailOut,
    AttemptOut,
    CallStartedOut,
    WorkItemCloseIn,
    WorkItemDetailOut,
    WorkItemListOut,
    WorkItemOut,
    WorkItemsQuery,
    WorkItemVoicemailOut,
)
from hotline.web.api.security import current_user
from hotline.web.extensions import db, redis_store, settings
from hotline.web.labels import (
    CALLBACK_OUTCOME_LABELS,
    WORK_ITEM_STATUS_LABELS,
    region_label,
    service_label,
    work_item_source_label,
)
from hotline.web.lookups import agent_names
from hotline.web.return_calls import config as return_call_config
from hotline.web.voice_guard import public_base_url

bp = Blueprint("work_items", __name__)

WORKERS = AGENT_ROLES + SUPERVISOR_ROLES
# An attempt's outcomes while its call goes on (until the final status ends it).
LIVE_OUTCOMES = ("dialing", "connected")


def attempt_out(attempt: CallbackAttempt, names: dict[int, User]) -> AttemptOut:
    """One call-back attempt as the API shows it."""
    user = names.get(attempt.agent_id) if attempt.agent_id else None
    return AttemptOut(
        id=attempt.id,
        number=attempt.number,
        agent=user.username if user else None,
        outcome=attempt.outcome,
        outcome_label=CALLBACK_OUTCOME_LABELS.get(attempt.outcome, attempt.outcome),
        twilio_status=attempt.twilio_status,
        started_at=attempt.started_at,
        started_at_local=format_local(attempt.started_at, "%Y-%m-%d %H:%M:%S"),
        answered_at=attempt.answered_at,
        ended_at=attempt.ended_at,
        talk_seconds=attempt.talk_seconds,
    )


def item_outs(rows: list[CallbackRequest]) -> list[WorkItemOut]:
    """Work items as the API shows them (numbers masked)."""
    session = db.session
    names = agent_names(session, (row.assigned_agent_id for row in rows))
    ids = {row.voicemail_id for row in rows if row.voicemail_id}
    voicemails = {v.id: v for v in (session.get(Voicemail, i) for i in ids) if v is not None}
    moment, max_attempts = clock.now(), return_call_config().max_attempts
    result = []
    for row in rows:
        user = names.get(row.assigned_agent_id) if row.assigned_agent_id else None
        voicemail = voicemails.get(row.voicemail_id) if row.voicemail_id else None
        result.append(
            WorkItemOut(
                id=row.id,
                source=row.source,
                source_label=work_item_source_label(row.source),
                caller=mask(row.phone),
                region=row.region,
                region_label=region_label(row.region) or "未知",
                service=row.service,
                service_label=service_label(row.service) or "未选择",
                topic=row.topic,
                group=row.group,
                priority=row.priority,
                status=row.status,
                status_label=WORK_ITEM_STATUS_LABELS.get(row.status, row.status),
                attempts=row.attempts,
                max_attempts=max_attempts,
                next_attempt_at=row.next_attempt_at,
                next_attempt_local=format_local(row.next_attempt_at) or "现在",
                due=row.next_attempt_at is None or row.next_attempt_at <= moment,
                created_at=row.created_at,
                created_at_local=format_local(row.created_at),
                assigned_agent=user.username if user else None,
                outcome_note=row.outcome_note,
                voicemail=None
                if voicemail is None
                else WorkItemVoicemailOut(
                    recording_url=voicemail.recording_url,
                    duration_seconds=voicemail.duration_seconds,
                ),
            )
        )
    return result


def anonymous_voicemail_outs(rows: list[Voicemail]) -> list[AnonymousVoicemailOut]:
    """Voicemails without a number to call back: listen only."""
    return [
        AnonymousVoicemailOut(
            id=row.id,
            region=row.region,
            region_label=region_label(row.region) or "未知",
            service_label=service_label(row.service) or "未选择",
            created_at_local=format_local(row.created_at),
            recording_url=row.recording_url,
            duration_seconds=row.duration_seconds,
        )
        for row in rows
    ]


def calling(rows: list[CallbackAttempt], agent: Agent | None) -> bool:
    """Whether one of these attempts is the agent's and still under way."""
    return agent is not None and any(
        row.agent_id == agent.id and row.ended_at is None and row.outcome in LIVE_OUTCOMES
        for row in rows
    )


def item_detail(item: CallbackRequest, agent: Agent | None) -> WorkItemDetailOut:
    """An item with its attempts; the full number only during the agent's live attempt."""
    session = db.session
    summary = item_outs([item])[0]
    rows = attempts.attempts_of(session, [item.id])[item.id]
    names = agent_names(session, (row.agent_id for row in rows))
    return WorkItemDetailOut(
        **dict(summary),
        phone=item.phone if calling(rows, agent) else mask(item.phone),
        attempt_list=[attempt_out(row, names) for row in rows],
    )


def _agent() -> Agent | None:
    user = current_user()
    return agent_of(db.session, user) if user.role in AGENT_ROLES else None


def _end_stale(item_id: int | None = None) -> None:
    """End the call-back attempts (of one item, or all) whose final status never came."""
    end_stale_attempts(db.session, redis_store.client, return_call_config(), clock.now(), item_id)


def _readable_item(item_id: int) -> tuple[CallbackRequest, Agent | None]:
    """The item, if this user may see it: supervisors, its agent, or an agent who may work it."""
    session = db.session
    item = session.get(CallbackRequest, item_id)
    if item is None:
        raise NotFound(f"no work item {item_id}")
    agent = _agent()
    if current_user().role in SUPERVISOR_ROLES:
        return item, agent
    if agent is None:
        raise Forbidden("only agents and supervisors work call-backs")
    if item.assigned_agent_id != agent.id and not work_items.may_work(
        session, agent, item, clock.now()
    ):
        raise Forbidden("这条回拨任务不属于您的值班地区或业务范围")
    return item, agent


@api_route(
    bp,
    "GET",
    "/work-items",
    "Call-back and voicemail work items: an agent's due ones, or all open ones (supervisors)",
    response=WorkItemListOut,
    query=WorkItemsQuery,
    roles=WORKERS,
    description="Agents see pending items that are due, of their on-duty region (province "
    "items: any region) and skills, priority first then oldest; numbers are masked. Attempts "
    "whose final status never came are ended first (config/callbacks.yaml): their items are "
    "due again.",
    writes=True,  # ends the stale attempts
)
def list_items(query: WorkItemsQuery) -> WorkItemListOut:
    """List work items."""
    _end_stale()
    session = db.session
    moment = clock.now()
    if current_user().role in SUPERVISOR_ROLES:
        rows, total = work_items.supervisor_items(
            session, query.region, query.status, query.limit, query.offset
        )
        voicemails = work_items.anonymous_voicemails(session, None, moment)
    else:
        agent = _agent()
        if agent is None:
            raise Forbidden("this account has no agent profile")
        rows = work_items.agent_items(session, agent, moment)
        total = len(rows)
        voicemails = work_items.anonymous_voicemails(session, agent, moment)
    body = WorkItemListOut(
        items=item_outs(rows), voicemails=anonymous_voicemail_outs(voicemails), total=total
    )
    session.commit()
    return body


@api_route(
    bp,
    "GET",
    "/work-items/<int:item_id>",
    "One work item with its attempts; the full number only during the reader's live attempt",
    response=WorkItemDetailOut,
    roles=WORKERS,
    errors=(403, 404),
    description="`phone` is the full number only for the agent whose call-back attempt of the "
    "item is under way (its start is audit-logged); otherwise masked.",
    writes=True,  # ends the item's stale attempts
)
def get_item(item_id: int) -> WorkItemDetailOut:
    """Read one work item (the console polls it while the call-back is under way)."""
    _end_stale(item_id)
    item, agent = _readable_item(item_id)
    body = item_detail(item, agent)
    db.session.commit()
    return body


@api_route(
    bp,
    "POST",
    "/work-items/<int:item_id>/call",
    "Start a call-back: ring the citizen, who is then connected to the calling agent",
    response=CallStartedOut,
    status=201,
    roles=AGENT_ROLES,
    errors=(403, 404, 409, 502),
    description="409 when the item is not due, closed, or being called by someone else, or "
    "the agent's own call-back is under way; the agent is taken out of inbound routing until "
    "the attempt ends. The agent's sight of the full number is audit-logged.",
)
def start_call(item_id: int) -> CallStartedOut:
    """Claim the item and place the outbound call."""
    session = db.session
    agent = _agent()
    if agent is None:
        raise Forbidden("this account has no agent profile")
    _end_stale()
    current = settings()
    dialer = attempts.Dialer(Telephony.from_settings(current), current, public_base_url())
    attempt = attempts.start_attempt(
        session, redis_store.client, dialer, return_call_config(), agent, item_id, clock.now()
    )
    item = session.get_one(CallbackRequest, attempt.request_id)  # the attempt's own item
    audit(
        session, "reveal_number", current_user().id, "caller", str(item.caller_id),
        request.remote_addr, call_sid=attempt.call_sid, reason="agent calling back",
        work_item_id=item.id, attempt_id=attempt.id,
    )  # fmt: skip
    names = agent_names(session, [agent.id])
    body = CallStartedOut(attempt=attempt_out(attempt, names), item=item_detail(item, agent))
    session.commit()
    return body


@api_route(
    bp,
    "POST",
    "/work-items/<int:item_id>/close",
    "Close a work item with a note: done (an agent who called it), or cancelled (a supervisor)",
    request=WorkItemCloseIn,
    response=WorkItemOut,
    roles=WORKERS,
    errors=(400, 403, 404, 409),
    description="An agent closes an item they called back (403 otherwise; 409 while their call "
    "is under way), or adds the note to an item their call-back already closed; a supervisor "
    "cancels an open item, ending a call-back attempt of it that is still open. Every close is "
    "audit-logged.",
)
def close_item(item_id: int, body: WorkItemCloseIn) -> WorkItemOut:
    """Close an item as the user may."""
    note = body.outcome_note.strip()
    session = db.session
    _end_stale(item_id)
    item, agent = _readable_item(item_id)
    user = current_user()
    close_work_item(
        session, redis_store.client, return_call_config(), item, user, agent, note, clock.now(),
        request.remote_addr, supervisor=user.role in SUPERVISOR_ROLES,
    )  # fmt: skip
    answer = item_outs([item])[0]
    session.commit()
    return answer
