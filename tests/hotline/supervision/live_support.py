"""A hand-built day for the live view tests: calls, events, ratings, call-backs and Redis state.

Wednesday 2026-03-11, 10:00 in Shanghai (02:00 UTC). Queued today (Asia/Shanghai):

| call | region | group | waited | end | talk + wrap |
|---|---|---|---|---|---|
| A | harbin | 1 | 10 s | answered | 300 + 60 |
| B | harbin | 2 | 30 s | answered | 200 + 0 |
| C | harbin | 1 | 40 s | abandoned | |
| D | harbin | 1 | 3 s | short abandon | |
| I | harbin | 1 | 50 s | call-back from the queue | |
| T | harbin | 1 | 15 s | answered, still talking (agent t_agent) | |
| W1, W2 | harbin | 1, 2 | 180 s, 30 s | waiting now | |
| E | qiqihar | 3 | 5 s | answered | 100 + 20 |
| G | qiqihar | 1 | 20 s | abandoned (queued 00:00:10 today) | |
| W3 | province | 9 | 10 s | waiting now | |
| H | harbin | | | hung up in the IVR (never offered) | |
Yesterday: F (harbin, queued 23:59:50, answered) and a rating of 1 — both left out.
Ratings today: A 5, B 2 (harbin), E 4 (qiqihar). Open call-backs: harbin 1, qiqihar 1 (+1 done).
Agents on duty: h_free (harbin, idle since 09:55), t_agent (harbin, talking T since 09:58:15),
h_break (harbin, break since 09:40), q_paused (qiqihar, paused by a supervisor at 09:50);
off_duty (no shift, offline) is not shown.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis import Redis
from sqlalchemy.orm import Session

from hotline.clock import to_ms
from hotline.models import Agent, Call, CallbackRequest, CallEvent, Survey
from routing.handoff import caller_from_call
from routing.state import RoutingState
from tests.routing.helpers import add_agent

NOW = datetime(2026, 3, 11, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
MIDNIGHT = datetime(2026, 3, 10, 16, 0, tzinfo=UTC)  # 00:00 in Shanghai
_numbers = itertools.count(13945000001)


def at(hh: int, mm: int, ss: int = 0) -> datetime:
    """A Shanghai wall-clock time of today, as UTC."""
    return MIDNIGHT + timedelta(hours=hh, minutes=mm, seconds=ss)


def make_call(
    session: Session,
    sid: str,
    region: str | None,
    group: str | None,
    queued_at: datetime | None,
    wait: float | None = None,
    outcome: str | None = None,
    talk: int | None = None,
    wrap: int | None = None,
    stage: str = "ended",
) -> Call:
    """A call with the events routing would have written (plus an IVR step to be ignored)."""
    started = (queued_at or NOW) - timedelta(seconds=40)
    call = Call(
        call_sid=sid, from_number=f"+86{next(_numbers)}", to_number="+8645112348",
        service="consultation", group=group, region=region, topic="婚姻家庭", stage=stage,
        started_at=started, queued_at=queued_at, outcome=outcome,
    )  # fmt: skip
    session.add(call)
    session.flush()
    events = [CallEvent(call_id=call.id, kind="ivr", at=started, data={"node": "welcome"})]
    if queued_at is not None:
        events.append(CallEvent(call_id=call.id, kind="enqueued", at=queued_at, data={}))
    if queued_at is not None and wait is not None:
        end = queued_at + timedelta(seconds=wait)
        if outcome in ("answered", None) and stage in ("ended", "talking"):
            call.answered_at, call.wait_seconds = end, int(wait)
            events.append(CallEvent(call_id=call.id, kind="answered", at=end, data={}))
        else:
            call.ended_at, call.wait_seconds = end, int(wait)
        if talk is not None:
            call.talk_seconds = talk
            talk_end = end + timedelta(seconds=talk)
            call.ended_at = talk_end
            data = {"talk_seconds": talk}
            events.append(CallEvent(call_id=call.id, kind="talk_ended", at=talk_end, data=data))
            if wrap is not None:
                done = talk_end + timedelta(seconds=wrap)
                events.append(CallEvent(call_id=call.id, kind="wrap_up_done", at=done, data={}))
    session.add_all(events)
    return call


@dataclass
class Day:
    """The arranged day: agents and the calls tests refer to."""

    calls: dict[str, Call]
    agents: dict[str, Agent]


def build_day(session: Session, client: Redis) -> Day:
    """Arrange the day of the module docstring in the database and the routing state."""
    c: dict[str, Call] = {}
    c["A"] = make_call(session, "CA_A", "harbin", "1", at(8, 0), 10, "answered", 300, 60)
    c["B"] = make_call(session, "CA_B", "harbin", "2", at(8, 10), 30, "answered", 200)
    c["C"] = make_call(session, "CA_C", "harbin", "1", at(8, 20), 40, "abandoned")
    c["D"] = make_call(session, "CA_D", "harbin", "1", at(8, 30), 3, "abandoned")
    c["I"] = make_call(session, "CA_I", "harbin", "1", at(8, 40), 50, "callback_requested")
    c["T"] = make_call(session, "CA_T", "harbin", "1", at(9, 58), 15, None, stage="talking")
    c["W1"] = make_call(session, "CA_W1", "harbin", "1", at(9, 57), stage="queued")
    c["W2"] = make_call(session, "CA_W2", "harbin", "2", at(9, 59, 30), stage="queued")
    c["E"] = make_call(session, "CA_E", "qiqihar", "3", at(9, 0), 5, "answered", 100, 20)
    c["G"] = make_call(session, "CA_G", "qiqihar", "1", at(0, 0, 10), 20, "abandoned")
    c["W3"] = make_call(session, "CA_W3", "province", "9", at(9, 59, 50), stage="queued")
    c["H"] = make_call(session, "CA_H", "harbin", None, None, outcome="ivr_hangup")
    yesterday = at(0, 0) - timedelta(seconds=10)
    c["F"] = make_call(session, "CA_F", "harbin", "1", yesterday, 8, "answered", 60)
    session.flush()
    for key, rating, when in (("A", 5, at(8, 7)), ("B", 2, at(8, 15)), ("E", 4, at(9, 3))):
        session.add(Survey(call_id=c[key].id, channel="ivr", rating=rating, rated_at=when))
    session.add(
        Survey(call_id=c["F"].id, channel="ivr", rating=1, rated_at=at(0, 0) - timedelta(hours=1))
    )
    for region, status in (("harbin", "pending"), ("qiqihar", "assigned"), ("harbin", "done")):
        session.add(
            CallbackRequest(phone="+8613945000999", region=region, source="queue", status=status)
        )
    session.commit()

    agents = {
        "h_free": add_agent(session, "h_free", "harbin", now=NOW),
        "t_agent": add_agent(session, "t_agent", "harbin", now=NOW),
        "h_break": add_agent(session, "h_break", "harbin", status="break", now=NOW),
        "q_paused": add_agent(session, "q_paused", "qiqihar", status="break", now=NOW),
        "off_duty": add_agent(session, "off_duty", "harbin", status="offline", on_duty=False),
    }
    agents["q_paused"].paused_at = at(9, 50)
    session.commit()

    state = RoutingState(client)
    for name, status, since in (
        ("h_free", "available", at(9, 55)),
        ("t_agent", "available", at(9, 0)),
        ("h_break", "break", at(9, 40)),
        ("q_paused", "break", at(9, 30)),
        ("off_duty", "offline", at(8, 0)),
    ):
        state.ensure_agent(agents[name].id, status, None, to_ms(since), to_ms(since))
    state.pause(agents["q_paused"].id, to_ms(at(9, 50)))
    for key in ("T", "W1", "W2", "W3"):
        state.enqueue(caller_from_call(c[key]))
    assert state.reserve("CA_T", agents["t_agent"].id, "offer-t", to_ms(at(9, 58, 10)), 0) == "ok"
    assert state.accept("offer-t", to_ms(at(9, 58, 15))).outcome == "ok"
    return Day(calls=c, agents=agents)
