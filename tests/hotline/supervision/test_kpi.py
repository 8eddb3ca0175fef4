"""KPIs on a hand-computed day of calls (the arithmetic is in the comments)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from hotline.models import Call, CallEvent
from hotline.supervision import kpi
from hotline.supervision.kpi import CallRecord
from hotline.times import SHANGHAI

DAY = date(2026, 3, 10)


def sh(hour: int, minute: int, second: int = 0, day: date = DAY) -> datetime:
    """A Shanghai wall-clock time, as the UTC-aware instant the database hands back."""
    local = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=SHANGHAI)
    return local.astimezone(UTC)


def event(kind: str, at: datetime, **data: object) -> CallEvent:
    return CallEvent(kind=kind, at=at, data=data)


def overflow_call() -> CallRecord:
    """Queued for qiqihar at 14:00:00, overflowed, answered by a daqing agent at 14:01:35."""
    call = Call(
        call_sid="CA-overflow", from_number="+8613800000006", to_number="+8645112348",
        region="qiqihar", group="3", service="consultation", stage="ended", outcome="answered",
        agent_id=4, queued_at=sh(14, 0), answered_at=sh(14, 1, 35), ended_at=sh(14, 7, 35),
        wait_seconds=95, talk_seconds=360,
    )  # fmt: skip
    events = [
        event("enqueued", sh(14, 0), region="qiqihar"),
        event("overflow", sh(14, 1), region="qiqihar", before="region", to="neighbours"),
        event("offered", sh(14, 1, 30), agent_id=4, offer="o-f", agent_region="daqing"),
        event("answered", sh(14, 1, 35), agent_id=4, offer="o-f", wait_seconds=95),
        event("talk_ended", sh(14, 7, 35), agent_id=4, talk_seconds=360),
        event("wrap_up_done", sh(14, 8, 35), agent_id=4),  # wrap-up 60 s
    ]
    return CallRecord.from_call(call, events)


def requeued_call(queued_at_restamped: bool = False) -> CallRecord:
    """Queued 15:00:00, agent 5 missed it (re-queued 15:00:25), agent 1 answered at 15:00:33."""
    call = Call(
        call_sid="CA-requeued", from_number="+8613800000007", to_number="+8645112348",
        region="harbin", group="1", service="legal_aid", stage="ended", outcome="answered",
        agent_id=1, queued_at=sh(15, 0, 25) if queued_at_restamped else sh(15, 0),
        answered_at=sh(15, 0, 33), ended_at=sh(15, 3, 33),
        wait_seconds=8 if queued_at_restamped else 33, talk_seconds=180,
    )  # fmt: skip
    events = [
        event("enqueued", sh(15, 0), region="harbin"),
        event("offered", sh(15, 0, 5), agent_id=5, offer="o-1", agent_region="harbin"),
        event("agent_missed", sh(15, 0, 25), agent_id=5, offer="o-1", reason="no_answer"),
        event("requeued", sh(15, 0, 25), agent_id=5, head=True),
        event("offered", sh(15, 0, 30), agent_id=1, offer="o-2", agent_region="harbin"),
        event("answered", sh(15, 0, 33), agent_id=1, offer="o-2", wait_seconds=33),
        event("talk_ended", sh(15, 3, 33), agent_id=1, talk_seconds=180),
        event("wrap_up_done", sh(15, 4, 33), agent_id=1),  # wrap-up 60 s
    ]
    return CallRecord.from_call(call, events)


def ivr_only_call() -> CallRecord:
    """Hung up in the IVR: never queued."""
    call = Call(
        call_sid="CA-ivr", from_number="+8613800000009", to_number="+8645112348",
        stage="ended", outcome="ivr_hangup", hangup_stage="ivr", started_at=sh(12, 0),
        ended_at=sh(12, 0, 40),
    )  # fmt: skip
    return CallRecord.from_call(call, [event("incoming", sh(12, 0))])


def day_of_calls() -> list[CallRecord]:
    """The fixture day (times are Asia/Shanghai wall clock); waits and handle times noted."""
    return [
        # answered within 20 s: wait 12, handle 300 + 60 = 360, in region
        CallRecord(
            call_sid="CA-fast",
            region="harbin",
            group="1",
            service="consultation",
            agent_id=1,
            queued_at=sh(10, 0),
            answered_at=sh(10, 0, 12),
            ended_at=sh(10, 5, 12),
            outcome="answered",
            wait_seconds=12,
            talk_seconds=300,
            wrap_up_seconds=60,
            answered_region="harbin",
        ),
        # answered after 20 s: wait 45, handle 420 + 60 = 480, in region
        CallRecord(
            call_sid="CA-slow",
            region="harbin",
            group="2",
            service="consultation",
            agent_id=2,
            queued_at=sh(10, 5),
            answered_at=sh(10, 5, 45),
            ended_at=sh(10, 12, 45),
            outcome="answered",
            wait_seconds=45,
            talk_seconds=420,
            wrap_up_seconds=60,
            answered_region="harbin",
        ),
        # answered at exactly 20 s (within: wait <= T): handle 240 + 30 = 270, in region
        CallRecord(
            call_sid="CA-edge",
            region="qiqihar",
            group="1",
            service="legal_aid",
            agent_id=3,
            queued_at=sh(11, 0),
            answered_at=sh(11, 0, 20),
            ended_at=sh(11, 4, 20),
            outcome="answered",
            wait_seconds=20,
            talk_seconds=240,
            wrap_up_seconds=30,
            answered_region="qiqihar",
        ),
        # short abandon (3 s < 5 s) at 07:10 Shanghai = 23:10 UTC the day before
        CallRecord(
            call_sid="CA-short",
            region="harbin",
            group="1",
            service="consultation",
            queued_at=sh(7, 10),
            ended_at=sh(7, 10, 3),
            outcome="abandoned",
            wait_seconds=3,
        ),
        # abandoned after 40 s
        CallRecord(
            call_sid="CA-abandon",
            region="harbin",
            group="2",
            service="consultation",
            queued_at=sh(11, 20),
            ended_at=sh(11, 20, 40),
            outcome="abandoned",
            wait_seconds=40,
        ),
        # queued for qiqihar, answered in daqing: wait 95, handle 360 + 60 = 420, not in region
        overflow_call(),
        # re-queued once: wait 33 from the first queueing, handle 180 + 60 = 240, in region
        requeued_call(),
        # queued 23:59:50, answered 00:00:15 the next day: wait 25, handle 200 + 40 = 240
        CallRecord(
            call_sid="CA-midnight",
            region="harbin",
            group="2",
            service="consultation",
            agent_id=2,
            queued_at=sh(23, 59, 50),
            answered_at=sh(0, 0, 15, DAY + timedelta(1)),
            ended_at=sh(0, 3, 35, DAY + timedelta(1)),
            outcome="answered",
            wait_seconds=25,
            talk_seconds=200,
            wrap_up_seconds=40,
            answered_region="harbin",
        ),
        # pressed 1 for a call-back after 120 s: a call-back, not an abandon
        CallRecord(
            call_sid="CA-callback",
            region="harbin",
            group="1",
            service="consultation",
            queued_at=sh(16, 0),
            ended_at=sh(16, 2),
            outcome="callback",
            wait_seconds=120,
            callback=True,
        ),
        # never queued: IVR hang-up, and an out-of-hours voicemail
        ivr_only_call(),
        CallRecord(call_sid="CA-night-vm", region="harbin", outcome="voicemail"),
    ]


def test_the_day_summary() -> None:
    s = kpi.summarize(day_of_calls())
    # offered: fast, slow, edge, short, abandon, overflow, requeued, midnight, callback = 9
    # (the IVR hang-up and the out-of-hours voicemail never reached the queue)
    assert s.offered == 9
    assert s.answered == 6  # fast, slow, edge, overflow, requeued, midnight
    assert s.abandoned == 1  # the 40 s one; the 3 s one is a short abandon
    assert s.short_abandons == 1
    assert s.callbacks == 1
    assert (s.voicemails, s.other, s.waiting) == (0, 0, 0)
    assert s.overflowed == 1
    assert s.requeued == 1
    # denominator: answered + abandoned = 6 + 1 = 7
    assert s.answered_rate == pytest.approx(6 / 7)
    assert s.abandon_rate == pytest.approx(1 / 7)
    # within 20 s: fast (12), edge (20) -> 2 / 7
    assert s.answered_within_target == 2
    assert s.service_level == pytest.approx(2 / 7)
    # ASA = (12 + 45 + 20 + 95 + 33 + 25) / 6 = 230 / 6
    assert s.asa_seconds == pytest.approx(230 / 6)
    # AHT = (360 + 480 + 270 + 420 + 240 + 240) / 6 = 2010 / 6 = 335
    assert s.aht_seconds == pytest.approx(335.0)
    assert s.handle_seconds == pytest.approx(2010.0)
    # talk = (300 + 420 + 240 + 360 + 180 + 200) / 6 = 1700 / 6
    assert s.avg_talk_seconds == pytest.approx(1700 / 6)
    # in region: all answered but the overflow one -> 5 / 6
    assert s.answered_in_region == 5
    assert s.in_region_share == pytest.approx(5 / 6)
    # longest finished wait: the call-back, 120 s; nobody waiting, no `now`
    assert s.max_wait_seconds == pytest.approx(120.0)
    assert s.longest_wait_seconds is None
    assert s.service_level_seconds == 20 and s.short_abandon_seconds == 5


def test_other_thresholds() -> None:
    # T = 45: fast 12, edge 20, slow 45, requeued 33, midnight 25 -> 5 / 7
    # short = 4 s: the 3 s hang-up is still short
    s = kpi.summarize(day_of_calls(), service_level_seconds=45, short_abandon_seconds=4)
    assert s.service_level == pytest.approx(5 / 7)
    assert s.short_abandons == 1
    # short = 2 s: the 3 s hang-up becomes an abandon -> 6 / (6 + 2)
    s = kpi.summarize(day_of_calls(), short_abandon_seconds=2)
    assert (s.abandoned, s.short_abandons) == (2, 0)
    assert s.answered_rate == pytest.approx(6 / 8)


def test_short_abandon_boundary() -> None:
    at = sh(9, 0)

    def gone(sid: str, wait: float) -> CallRecord:
        return CallRecord(sid, queued_at=at, ended_at=at, outcome="abandoned", wait_seconds=wait)

    s = kpi.summarize([gone("a", 4.999), gone("b", 5), gone("c", 0)])
    assert (s.short_abandons, s.abandoned) == (2, 1)  # 5 s exactly is an abandon
    assert s.answered_rate == pytest.approx(0.0)
    # only short abandons: nothing in the denominators
    s = kpi.summarize([gone("a", 3)])
    assert (s.offered, s.short_abandons) == (1, 1)
    assert s.answered_rate is None and s.service_level is None and s.abandon_rate is None


def test_from_call_overflow_and_requeue() -> None:
    f = overflow_call()
    assert (f.region, f.answered_region, f.overflowed, f.requeued) == (
        "qiqihar",
        "daqing",
        True,
        False,
    )
    assert (f.wait_seconds, f.talk_seconds, f.wrap_up_seconds) == (95, 360, 60)
    g = requeued_call()
    assert (g.requeued, g.overflowed, g.agent_id, g.answered_region) == (True, False, 1, "harbin")
    assert (g.wait_seconds, g.talk_seconds, g.wrap_up_seconds) == (33, 180, 60)
    # queued_at stamped again at the re-queue: the wait still runs from the first enqueued
    # event, 15:00:00 -> 15:00:33 = 33 s
    again = requeued_call(queued_at_restamped=True)
    assert again.queued_at == sh(15, 0)
    assert again.wait_seconds == 33
    s = kpi.summarize([again])
    assert (s.offered, s.answered, s.answered_within_target) == (1, 1, 0)
    assert s.asa_seconds == pytest.approx(33.0)


def test_from_call_ivr_and_callback() -> None:
    assert kpi.disposition(ivr_only_call()) == "not_offered"
    call = Call(
        call_sid="CA-cb", from_number="+8613800000010", to_number="+8645112348",
        region="harbin", stage="ended", outcome="callback", queued_at=sh(16, 0),
        ended_at=sh(16, 2), wait_seconds=120,
    )  # fmt: skip
    record = CallRecord.from_call(call)
    assert record.callback and record.agent_id is None
    assert kpi.disposition(record) == "callback"


def test_legs_of_one_call_count_once() -> None:
    # Two records for one CallSid: waited 09:00:00-09:00:20, re-queued, answered 09:00:30.
    legs = [
        CallRecord("CA-dup", region="harbin", queued_at=sh(9, 0), wait_seconds=20),
        CallRecord(
            "CA-dup", region="harbin", agent_id=7, queued_at=sh(9, 0, 25),
            answered_at=sh(9, 0, 30), outcome="answered", wait_seconds=5, talk_seconds=100,
        ),
    ]  # fmt: skip
    s = kpi.summarize(legs)
    assert (s.offered, s.answered, s.requeued, s.waiting) == (1, 1, 1, 0)
    # wait from the first queueing: 30 s, so not within 20 s
    assert s.asa_seconds == pytest.approx(30.0)
    assert s.service_level == pytest.approx(0.0)


def test_by_region_counts_overflow_in_the_queued_region() -> None:
    regions = kpi.by_dimension(day_of_calls(), "region")
    assert set(regions) == {"harbin", "qiqihar"}  # no "daqing"; no bucket for never-queued
    h = regions["harbin"]
    # fast, slow, short, abandon, requeued, midnight, callback
    assert (h.offered, h.answered, h.abandoned, h.short_abandons, h.callbacks) == (7, 4, 1, 1, 1)
    assert h.answered_rate == pytest.approx(4 / 5)
    assert h.service_level == pytest.approx(1 / 5)  # only fast (12 s)
    assert h.asa_seconds == pytest.approx((12 + 45 + 33 + 25) / 4)  # 28.75
    assert h.aht_seconds == pytest.approx((360 + 480 + 240 + 240) / 4)  # 330
    assert h.in_region_share == pytest.approx(1.0)
    q = regions["qiqihar"]  # edge (20 s, in region) and the overflow (95 s, daqing)
    assert (q.offered, q.answered, q.answered_in_region) == (2, 2, 1)
    assert q.answered_rate == pytest.approx(1.0)
    assert q.service_level == pytest.approx(1 / 2)
    assert q.asa_seconds == pytest.approx((20 + 95) / 2)
    assert q.in_region_share == pytest.approx(1 / 2)


def test_by_group_service_and_agent() -> None:
    groups = kpi.by_dimension(day_of_calls(), "group")
    # group 1: fast, edge, short, requeued, callback -> answered 3, no abandon
    g1 = groups["1"]
    assert (g1.offered, g1.answered, g1.abandoned) == (5, 3, 0)
    assert g1.answered_rate == pytest.approx(1.0)
    assert g1.service_level == pytest.approx(2 / 3)  # fast 12, edge 20; requeued 33
    # group 2: slow, abandon, midnight -> 2 / 3 answered, none within 20 s
    g2 = groups["2"]
    assert g2.answered_rate == pytest.approx(2 / 3)
    assert g2.service_level == pytest.approx(0.0)
    assert groups["3"].answered == 1
    services = kpi.by_dimension(day_of_calls(), "service")
    # legal_aid: edge + requeued; consultation: the other 7 offered
    assert (services["legal_aid"].offered, services["consultation"].offered) == (2, 7)
    agents = kpi.by_dimension(day_of_calls(), "agent")
    assert set(agents) == {1, 2, 3, 4, None}
    a1 = agents[1]  # fast (12 s, 360) and requeued (33 s, 240)
    assert a1.answered == 2
    assert a1.asa_seconds == pytest.approx(22.5)
    assert a1.aht_seconds == pytest.approx(300.0)
    assert agents[2].aht_seconds == pytest.approx((480 + 240) / 2)  # slow, midnight
    # unanswered calls have no agent: short, abandon, call-back
    none = agents[None]
    assert (none.answered, none.abandoned, none.short_abandons, none.callbacks) == (0, 1, 1, 1)
    assert none.answered_rate == pytest.approx(0.0)
    custom = kpi.by_dimension(day_of_calls(), lambda r: r.overflowed)
    assert (custom[True].offered, custom[False].offered) == (1, 8)
    with pytest.raises(ValueError):
        kpi.by_dimension(day_of_calls(), "topic")  # type: ignore[arg-type]


def test_midnight_and_local_hours() -> None:
    hours = kpi.by_local_hour(day_of_calls(), DAY)
    assert list(hours) == list(range(24))
    offered = {h: s.offered for h, s in hours.items() if s.offered}
    # 07: short (23:10 UTC the day before); 10: fast, slow; 11: edge, abandon;
    # 14: overflow; 15: requeued; 16: callback; 23: the midnight call (queued 23:59:50)
    assert offered == {7: 1, 10: 2, 11: 2, 14: 1, 15: 1, 16: 1, 23: 1}
    assert hours[23].answered == 1 and hours[23].service_level == pytest.approx(0.0)  # 25 s
    assert hours[10].service_level == pytest.approx(1 / 2)
    assert hours[0].offered == 0 and hours[0].answered_rate is None
    # the next day holds nothing: the midnight call counts on the day it was queued
    next_day = kpi.by_local_hour(day_of_calls(), DAY + timedelta(1))
    assert sum(s.offered for s in next_day.values()) == 0
    days = kpi.by_local_day(day_of_calls())
    assert list(days) == [DAY]
    assert days[DAY].offered == 9
    ranged = kpi.by_local_day(day_of_calls(), DAY - timedelta(1), DAY + timedelta(1))
    assert [d.offered for d in ranged.values()] == [0, 9, 0]
    assert list(ranged) == [DAY - timedelta(1), DAY, DAY + timedelta(1)]
    assert kpi.local_day(day_of_calls()[3]) == DAY  # 07:10 Shanghai, 23:10 UTC on the 9th
    naive = CallRecord("CA-naive", queued_at=datetime(2026, 3, 10, 9, 0))
    with pytest.raises(ValueError):
        kpi.by_local_day([naive])


def test_waiting_calls_and_longest_wait_now() -> None:
    records = [
        CallRecord("CA-w1", region="harbin", queued_at=sh(10, 0)),  # still queued
        CallRecord("CA-w2", region="harbin", queued_at=sh(10, 1)),  # ringing an agent
        *day_of_calls()[:2],
    ]
    now = sh(10, 2, 30)
    s = kpi.summarize(records, now=now)
    assert (s.offered, s.waiting, s.answered) == (4, 2, 2)
    # waiting callers stay out of the rates: 2 answered / 2
    assert s.answered_rate == pytest.approx(1.0)
    assert s.longest_wait_seconds == pytest.approx(150.0)  # 10:00:00 -> 10:02:30
    assert kpi.longest_wait_now(records, now) == pytest.approx(150.0)
    assert kpi.longest_wait_now(day_of_calls(), now) is None


def test_voicemail_and_fallback_from_the_queue() -> None:
    at = sh(9, 0)
    records = [
        CallRecord("CA-vm", queued_at=at, ended_at=at, outcome="voicemail", wait_seconds=50),
        CallRecord("CA-fb", queued_at=at, ended_at=at, outcome="fallback", wait_seconds=2),
        CallRecord("CA-ab", queued_at=at, ended_at=at, outcome="abandoned", wait_seconds=30),
    ]
    s = kpi.summarize(records)
    assert (s.offered, s.voicemails, s.other, s.abandoned) == (3, 1, 1, 1)
    assert s.answered_rate == pytest.approx(0.0)  # 0 / (0 + 1)


def test_empty_input_gives_none_rates() -> None:
    s = kpi.summarize([])
    assert s.offered == 0 and s.handle_seconds == 0
    for name in (
        "answered_rate", "abandon_rate", "service_level", "in_region_share", "asa_seconds",
        "aht_seconds", "avg_talk_seconds", "max_wait_seconds", "longest_wait_seconds",
    ):  # fmt: skip
        assert getattr(s, name) is None, name
    assert s.as_dict()["answered_rate"] is None
    assert kpi.summarize([ivr_only_call()]).offered == 0
    assert kpi.by_dimension([], "region") == {}
    assert kpi.by_local_day([]) == {}
    assert kpi.csat([]) is None
    assert kpi.csat([None, None]) is None
    assert kpi.survey_response_rate([], []) is None
    assert kpi.occupancy(0, 0) is None
    assert kpi.callbacks_pending([]) == 0


def test_csat_survey_response_occupancy_callbacks() -> None:
    # given: 5, 4, 3, 5, 1, 2, 4 (None = no reply) -> satisfied 5, 4, 5, 4 = 4 / 7
    assert kpi.csat([5, 4, 3, 5, 1, None, 2, 4]) == pytest.approx(4 / 7)
    assert kpi.csat([5, 5]) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        kpi.csat([6])
    # rated: two answered calls (one rated twice) and an abandoned one -> 2 / 6 answered
    rated = ["CA-fast", "CA-slow", "CA-fast", "CA-abandon", "CA-unknown"]
    assert kpi.survey_response_rate(day_of_calls(), rated) == pytest.approx(2 / 6)
    # the day's handle time over two staffed hours: 2010 / 7200
    assert kpi.occupancy(2010, 7200) == pytest.approx(2010 / 7200)
    assert kpi.occupancy(1800, 3600) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        kpi.occupancy(-1, 10)
    statuses = ["pending", "assigned", "done", "in_progress", "cancelled", "unreachable"]
    assert kpi.callbacks_pending(statuses) == 3
