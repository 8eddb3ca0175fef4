"""Recording calls, callers and call events in the database."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline import clock
from hotline.models import Call, Caller, CallEvent
from hotline.phones import ANONYMOUS, normalize_or_anonymous

REPEAT_CALLER_WINDOW = timedelta(days=7)


def get_or_create_caller(session: Session, phone: str, now: datetime | None = None) -> Caller:
    """The Caller row for an E.164 number (or ANONYMOUS), created on first sight."""
    caller = session.scalars(select(Caller).where(Caller.phone == phone)).one_or_none()
    if caller is not None:
        return caller
    caller = Caller(phone=phone, first_seen_at=now or clock.now())
    try:
        with session.begin_nested():
            session.add(caller)
    except IntegrityError:
        # Another webhook created the same caller a moment ago.
        caller = session.scalars(select(Caller).where(Caller.phone == phone)).one()
    return caller


def find_call(session: Session, call_sid: str) -> Call | None:
    """The call with this CallSid, or None."""
    return session.scalars(select(Call).where(Call.call_sid == call_sid)).one_or_none()


def get_or_create_call(
    session: Session,
    call_sid: str,
    from_number: str | None,
    to_number: str | None,
    direction: str = "inbound",
    now: datetime | None = None,
) -> tuple[Call, bool]:
    """The call row for a CallSid and whether it was created now (webhook retries reuse it)."""
    call = find_call(session, call_sid)
    if call is not None:
        return call, False
    now = now or clock.now()
    phone = normalize_or_anonymous(from_number if direction == "inbound" else to_number)
    caller = get_or_create_caller(session, phone, now)
    repeat = (
        phone != ANONYMOUS
        and caller.last_call_at is not None
        and now - caller.last_call_at <= REPEAT_CALLER_WINDOW
    )
    call = Call(
        call_sid=call_sid,
        direction=direction,
        caller_id=caller.id,
        from_number=phone if direction == "inbound" else normalize_or_anonymous(from_number),
        to_number=normalize_or_anonymous(to_number) if direction == "inbound" else phone,
        # Withheld numbers share one caller row: its flags must not pass between callers.
        priority=1 if caller.green_channel and phone != ANONYMOUS else 0,
        repeat_caller=repeat,
        started_at=now,
    )
    try:
        with session.begin_nested():
            session.add(call)
    except IntegrityError:
        return session.scalars(select(Call).where(Call.call_sid == call_sid)).one(), False
    if direction == "inbound":
        caller.last_call_at = now
    return call, True


def add_event(
    session: Session, call: Call | int, kind: str, at: datetime | None = None, /, **data: Any
) -> CallEvent:
    """Append an event to a call's timeline (the call or its id), timed `at` or now."""
    moment = at or clock.now()
    if isinstance(call, int):
        event = CallEvent(call_id=call, kind=kind, data=data, at=moment)
    else:
        event = CallEvent(call=call, kind=kind, data=data, at=moment)
    session.add(event)
    return event
