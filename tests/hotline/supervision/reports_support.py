"""A hand-built day of calls for the report tests; the expected figures are worked out below.

Times are Asia/Shanghai wall clock on DAY (a Tuesday). Agents: wang and li (harbin), zhao
(qiqihar). Waits in seconds; handle = talk + wrap-up.

 #  region  queued    what happened                                     wait   handle
 1  harbin  09:00:00  answered by wang, wrap-up 60; rated 5 (IVR), 4 (SMS)  12   300+60
 2  harbin  09:10:00  answered by li at exactly 20 s; rated 2                20   200
 3  harbin  09:20:00  answered by wang at 20.5 s (not within 20 s)         20.5  120+30
 4  harbin  10:00:00  wang missed it, re-queued, li answered; SMS unanswered 33  180+60
 5  qiqihar 14:00:00  overflowed, answered by wang (harbin); rated 3        95   360+60
 6  harbin  11:00:00  hung up after 3 s: short abandon                       3
 7  harbin  11:05:00  hung up after exactly 5 s: abandoned                   5
 8  qiqihar 14:10:00  hung up after 100 s: abandoned; (odd) rated 1        100
 9  harbin  15:00:00  hung up while an agent's phone rang: abandoned        40
10  harbin  16:00:00  pressed for a call-back (outcome callback)            60
11  harbin  16:10:00  call-back event from the queue, outcome abandoned     30
12  harbin  16:20:00  call-back requested in the IVR earlier: abandoned      50
13  harbin  17:00:00  left a voicemail from the queue
14  harbin  17:10:00  the fallback duty line took it (other)
15  harbin  23:00:00  still waiting
16  qiqihar 23:59:50  answered by zhao at 00:00:15 next day; rated 5 (SMS)  25   100
17  qiqihar 07:10:00  answered by zhao (23:10 UTC the day before)            5   60
19  harbin  12:00:00  queued_at re-stamped 12:00:25; li answered 12:00:33    33   90 (event)
    and outside the day: 23:59:59 the day before, 00:00:00 the day after, an IVR-only call.

Totals: offered 18, answered 8, abandoned 4, short 1, call-backs 2, voicemail 1, other 1,
waiting 1; answered rate 8/12; service level 3/12 (calls 1, 2, 17); ASA 243.5/8 = 30.4375;
AHT 1620/8 = 202.5; CSAT 3/6 (5, 4, 5 of 5, 4, 2, 3, 1, 5); survey response 4/8.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from hotline.models import Agent, Call, CallEvent, Survey
from tests.console_support import Staff, make_staff

DAY = date(2026, 3, 10)
EXPECTED_TOTAL = {
    "offered": 18,
    "answered": 8,
    "abandoned": 4,
    "short_abandons": 1,
    "callbacks": 2,
    "answered_rate": 8 / 12,
    "service_level": 3 / 12,
    "asa_seconds": 30.4375,
    "aht_seconds": 202.5,
    "csat": 0.5,
    "survey_response_rate": 0.5,
}
EXPECTED_OFFERED_BY_HOUR = {9: 3, 10: 1, 11: 2, 12: 1, 14: 2, 15: 1, 16: 3, 17: 2, 23: 2, 7: 1}
EXPECTED_OFFERED_BY_REGION = {"harbin": 14, "qiqihar": 4}


def sh(hour: int, minute: int, second: float = 0, day: date = DAY) -> datetime:
    """A Shanghai wall-clock time on `day` as a UTC-aware instant."""
    whole = int(second)
    local = datetime(day.year, day.month, day.day, hour, minute, whole)
    micro = round((second - whole) * 1_000_000)
    return (local - timedelta(hours=8)).replace(tzinfo=UTC) + timedelta(microseconds=micro)


@dataclass
class ReportDay:
    """The arranged staff and calls by their number in the table above."""

    staff: Staff
    agents: dict[str, Agent]
    calls: dict[int, Call]


class _Builder:
    def __init__(self, session: Session, agents: dict[str, Agent]) -> None:
        self.session = session
        self.agents = agents
        self.calls: dict[int, Call] = {}

    def call(self, number: int | str, region: str, group: str, service: str, **fields) -> Call:
        fields.setdefault("stage", "ended")
        call = Call(
            call_sid=f"CA{str(number).rjust(32, '0')}",
            from_number=f"+86139450{int(str(number).strip('x') or 0):05d}",
            to_number="+8645112348",
            region=region,
            group=group,
            service=service,
            started_at=(fields.get("queued_at") or sh(0, 0)) - timedelta(seconds=40),
            **fields,
        )
        self.session.add(call)
        self.session.flush()
        if isinstance(number, int):
            self.calls[number] = call
        return call

    def event(self, call: Call, kind: str, at: datetime, **data) -> None:
        self.session.add(CallEvent(call_id=call.id, kind=kind, at=at, data=data))

    def answered(
        self,
        number: int,
        region: str,
        queued: datetime,
        answered: datetime,
        agent: str,
        talk: int,
        wrap: int | None,
        group: str = "2",
        service: str = "consultation",
        agent_region: str | None = None,
    ) -> Call:
        agent_row = self.agents[agent]
        ended = answered + timedelta(seconds=talk)
        call = self.call(
            number, region, group, service, outcome="answered", agent_id=agent_row.id,
            queued_at=queued, answered_at=answered, ended_at=ended,
            wait_seconds=int((answered - queued).total_seconds()), talk_seconds=talk,
        )  # fmt: skip
        self.event(call, "enqueued", queued, region=region)
        self.event(
            call, "offered", answered - timedelta(seconds=2), agent_id=agent_row.id, offer="o",
            agent_region=agent_region or agent_row.home_region,
        )  # fmt: skip
        self.event(call, "answered", answered, agent_id=agent_row.id, offer="o")
        self.event(call, "talk_ended", ended, agent_id=agent_row.id, talk_seconds=talk)
        if wrap is not None:
            self.event(call, "wrap_up_done", ended + timedelta(seconds=wrap))
        return call

    def hung_up(
        self, number: int | str, region: str, queued: datetime, wait: float, outcome: str, **extra
    ) -> Call:
        call = self.call(
            number, region, extra.pop("group", "2"), "consultation", outcome=outcome,
            queued_at=queued, ended_at=queued + timedelta(seconds=wait), wait_seconds=int(wait),
            **extra,
        )  # fmt: skip
        self.event(call, "enqueued", queued, region=region)
        return call

    def survey(self, number: int, channel: str, rating: int | None) -> None:
        call = self.calls[number]
        self.session.add(
            Survey(
                call_id=call.id, channel=channel, rating=rating, agent_id=call.agent_id,
                region=call.region, created_at=call.ended_at or call.queued_at,
                rated_at=None if rating is None else call.ended_at,
            )
        )  # fmt: skip


def add_report_day(session: Session) -> ReportDay:
    """Create the staff and the calls of the table above (committed)."""
    staff = make_staff(session)
    agents = {name: staff.agent(session, getattr(staff, name)) for name in ("wang", "li", "zhao")}
    b = _Builder(session, agents)
    b.answered(1, "harbin", sh(9, 0), sh(9, 0, 12), "wang", 300, 60)
    b.answered(2, "harbin", sh(9, 10), sh(9, 10, 20), "li", 200, None)
    b.answered(3, "harbin", sh(9, 20), sh(9, 20, 20.5), "wang", 120, 30, "3", "legal_aid")
    requeued = b.answered(4, "harbin", sh(10, 0), sh(10, 0, 33), "li", 180, 60, "1", "legal_aid")
    b.event(requeued, "offered", sh(10, 0, 5), agent_id=agents["wang"].id, offer="o-1")
    b.event(requeued, "agent_missed", sh(10, 0, 25), agent_id=agents["wang"].id, offer="o-1")
    b.event(requeued, "requeued", sh(10, 0, 25), agent_id=agents["wang"].id, head=True)
    overflow = b.answered(5, "qiqihar", sh(14, 0), sh(14, 1, 35), "wang", 360, 60, "3")
    b.event(overflow, "overflow", sh(14, 1), region="qiqihar", before="region", to="neighbours")
    b.hung_up(6, "harbin", sh(11, 0), 3, "abandoned")
    b.hung_up(7, "harbin", sh(11, 5), 5, "abandoned")
    b.hung_up(8, "qiqihar", sh(14, 10), 100, "abandoned", group="3")
    b.hung_up(9, "harbin", sh(15, 0), 40, "abandoned", hangup_stage="ringing")
    callback = b.hung_up(10, "harbin", sh(16, 0), 60, "callback", group="1")
    b.event(callback, "callback_requested", sh(16, 1), source="queue")
    late_callback = b.hung_up(11, "harbin", sh(16, 10), 30, "abandoned")
    b.event(late_callback, "callback_requested", sh(16, 10, 30), source="queue")
    ivr_callback = b.hung_up(12, "harbin", sh(16, 20), 50, "abandoned")
    b.event(ivr_callback, "callback_requested", sh(16, 19), source="ivr")
    b.hung_up(13, "harbin", sh(17, 0), 120, "voicemail")
    b.hung_up(14, "harbin", sh(17, 10), 30, "fallback")
    waiting = b.call(15, "harbin", "2", "consultation", stage="queued", queued_at=sh(23, 0))
    b.event(waiting, "enqueued", sh(23, 0), region="harbin")
    b.answered(
        16, "qiqihar", sh(23, 59, 50), sh(23, 59, 50) + timedelta(seconds=25), "zhao", 100, None
    )
    b.answered(17, "qiqihar", sh(7, 10), sh(7, 10, 5), "zhao", 60, None, "5", "mediation")
    restamped = b.answered(19, "harbin", sh(12, 0), sh(12, 0, 33), "li", 90, None)
    restamped.queued_at = sh(12, 0, 25)
    restamped.wait_seconds = 8
    restamped.talk_seconds = None
    # Outside the day: just before and just after it, and a call that never reached the queue.
    b.hung_up("x1", "harbin", sh(23, 59, 59, DAY - timedelta(days=1)), 30, "abandoned")
    b.hung_up("x2", "harbin", sh(0, 0, 0, DAY + timedelta(days=1)), 30, "abandoned")
    b.call("x3", "harbin", "2", "consultation", outcome="ivr_hangup", ended_at=sh(13, 0))
    for number, channel, rating in [
        (1, "ivr", 5), (1, "sms", 4), (2, "ivr", 2), (4, "sms", None), (5, "ivr", 3),
        (8, "ivr", 1), (16, "sms", 5),
    ]:  # fmt: skip
        b.survey(number, channel, rating)
    session.commit()
    return ReportDay(staff, agents, b.calls)
