"""Contact-centre KPIs (DESIGN §6), computed from plain call records, never stored by hand.

Every function here is pure: it takes `CallRecord`s (or ratings, or seconds) and returns numbers.
Loading the rows is the caller's business; `CallRecord.from_call` turns a `Call` row (and,
optionally, its events) into a record without touching the database.

How each call of the period is counted (docs/kpis.md has the full definitions):

- not offered: it never reached the queue (`queued_at` is None): IVR hang-ups, out-of-hours
  voicemail or call-back requests. Such calls appear in no KPI here.
- offered: it reached the queue. Each offered call is then exactly one of
  answered, abandoned, short abandon, call-back, voicemail, other or waiting (still in line).
- abandoned: the caller hung up while queued or while an agent's phone was ringing, after
  waiting at least `short_abandon_seconds` (5 s). Shorter hang-ups are *short abandons*: they
  are counted apart and left out of every rate (misdials, callers who changed their mind).
- call-back: the caller pressed the key for a call-back while waiting. It is not an abandon: the
  centre promised to call back and the request is worked like a call. It is counted in
  `callbacks` and left out of the answered-rate and service-level denominators.
- voicemail: the caller left the queue to record a message (by choice or because the queue was
  full); like a call-back it is counted apart and left out of the denominators.
- other: the call left the queue another way (e.g. Twilio could not queue it and the static
  fallback duty line took over); counted apart, out of the denominators.
- answered rate = answered / (answered + abandoned);
  service level = answered within T (wait <= T, T = 20 s) / (answered + abandoned).
- A call re-queued after an agent missed it is still one call; its wait runs from the first
  queueing to the final answer (or hang-up).
- A call answered after overflowing to another region counts as answered in the region it was
  queued for; `answered_region` (the answering agent's region) gives the in-region share.
- Bucketing by hour or day uses the Asia/Shanghai wall clock of `queued_at`: a call queued at
  23:59:50 and answered after midnight counts on the day (and hour) it was queued.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal, Protocol

from hotline.times import SHANGHAI

SERVICE_LEVEL_SECONDS = 20
SHORT_ABANDON_SECONDS = 5
# Rating values a satisfied caller gives (CSAT numerator) and the valid scale.
SATISFIED_RATINGS = frozenset({4, 5})
RATING_SCALE = range(1, 6)
# CallbackRequest statuses that still need work ("call-backs pending").
OPEN_CALLBACK_STATUSES = frozenset({"pending", "assigned", "in_progress"})

CALLBACK_OUTCOMES = frozenset({"callback", "callback_requested"})
VOICEMAIL_OUTCOMES = frozenset({"voicemail"})
OTHER_OUTCOMES = frozenset({"fallback"})

Disposition = Literal[
    "not_offered",
    "answered",
    "abandoned",
    "short_abandon",
    "callback",
    "voicemail",
    "other",
    "waiting",
]
DimensionKey = Literal["region", "group", "service", "agent"]
# How an offered call counts: the first of these whose test holds (`disposition_tests`; the
# report's SQL, supervision/reports/queries.py, builds its CASE from the same order and tests of
# the same names), else "abandoned": a hang-up in the queue or while an agent was rung.
DISPOSITION_ORDER: tuple[Disposition, ...] = (
    "answered",
    "callback",
    "voicemail",
    "other",
    "waiting",
    "short_abandon",
)
ABANDONED: Disposition = "abandoned"


class CallFields(Protocol):
    """The columns of a call that CallRecord.from_call reads: a `Call` or a row of them."""

    @property
    def call_sid(self) -> str: ...
    @property
    def region(self) -> str | None: ...
    @property
    def group(self) -> str | None: ...
    @property
    def service(self) -> str | None: ...
    @property
    def agent_id(self) -> int | None: ...
    @property
    def queued_at(self) -> datetime | None: ...
    @property
    def answered_at(self) -> datetime | None: ...
    @property
    def ended_at(self) -> datetime | None: ...
    @property
    def outcome(self) -> str | None: ...
    @property
    def wait_seconds(self) -> int | None: ...
    @property
    def talk_seconds(self) -> int | None: ...


class EventFields(Protocol):
    """The columns of a call event that CallRecord.from_call reads: a `CallEvent` or a row."""

    @property
    def id(self) -> int | None: ...
    @property
    def at(self) -> datetime: ...
    @property
    def kind(self) -> str: ...
    @property
    def data(self) -> Mapping[str, Any] | None: ...


@dataclass(frozen=True)
class CallRecord:
    """What the KPIs need to know about one call (one CallSid), times UTC-aware."""

    call_sid: str
    region: str | None = None
    group: str | None = None
    service: str | None = None
    agent_id: int | None = None
    queued_at: datetime | None = None
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    outcome: str | None = None
    wait_seconds: float | None = None
    talk_seconds: float | None = None
    wrap_up_seconds: float | None = None
    requeued: bool = False
    overflowed: bool = False
    callback: bool = False
    answered_region: str | None = None

    @classmethod
    def from_call(cls, call: CallFields, events: Iterable[EventFields] | None = None) -> CallRecord:
        """Build a record from a `Call` row and, optionally, its events (never lazy-loaded)."""
        evs = list(events or ())
        timed = all(e.at is not None for e in evs)
        if timed:
            evs.sort(key=lambda e: (e.at, e.id or 0))
        kinds = [e.kind for e in evs]

        # The wait runs from the first queueing, even if a later step stamped queued_at again.
        enqueued = [e.at for e in evs if e.kind == "enqueued"]
        candidates = [t for t in (call.queued_at, *enqueued) if t is not None]
        queued_at = min(candidates) if candidates else None

        wait: float | None
        if queued_at is not None and call.answered_at is not None:
            wait = _seconds(queued_at, call.answered_at)
        elif call.wait_seconds is not None:
            shift = _seconds(queued_at, call.queued_at) if queued_at and call.queued_at else 0
            wait = call.wait_seconds + shift
        elif queued_at is not None and call.ended_at is not None:
            wait = _seconds(queued_at, call.ended_at)
        else:
            wait = None

        talk: float | None = call.talk_seconds
        talk_ended = next((e for e in evs if e.kind == "talk_ended"), None)
        if talk is None and talk_ended is not None:
            talk = _number((talk_ended.data or {}).get("talk_seconds"))
        wrap: float | None = None
        if talk_ended is not None and timed:
            done = next(
                (e for e in evs if e.kind == "wrap_up_done" and e.at >= talk_ended.at), None
            )
            if done is not None:
                wrap = _seconds(talk_ended.at, done.at)

        answered = call.answered_at is not None or call.outcome == "answered"
        return cls(
            call_sid=call.call_sid,
            region=call.region,
            group=call.group,
            service=call.service,
            agent_id=call.agent_id if answered else None,
            queued_at=queued_at,
            answered_at=call.answered_at,
            ended_at=call.ended_at,
            outcome=call.outcome,
            wait_seconds=wait,
            talk_seconds=talk,
            wrap_up_seconds=wrap,
            requeued="requeued" in kinds or kinds.count("offered") > 1,
            overflowed="overflow" in kinds,
            callback=call.outcome in CALLBACK_OUTCOMES
            or any(
                e.kind == "callback_requested" and (e.data or {}).get("source") == "queue"
                for e in evs
            ),
            answered_region=_answered_region(evs) if answered else None,
        )

    @property
    def wait(self) -> float | None:
        """Seconds waited in the queue: the stored value, else from the timestamps."""
        if self.wait_seconds is not None:
            return self.wait_seconds
        if self.queued_at is None:
            return None
        end = self.answered_at or self.ended_at
        return None if end is None else _seconds(self.queued_at, end)


@dataclass(frozen=True)
class KpiSummary:
    """The KPIs of a set of calls; a rate is None when its denominator is 0."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandons: int = 0
    callbacks: int = 0
    voicemails: int = 0
    other: int = 0
    waiting: int = 0
    answered_within_target: int = 0
    answered_in_region: int = 0
    overflowed: int = 0
    requeued: int = 0
    answered_rate: float | None = None
    abandon_rate: float | None = None
    service_level: float | None = None
    in_region_share: float | None = None
    asa_seconds: float | None = None
    aht_seconds: float | None = None
    avg_talk_seconds: float | None = None
    handle_seconds: float = 0.0
    max_wait_seconds: float | None = None
    longest_wait_seconds: float | None = None
    service_level_seconds: float = SERVICE_LEVEL_SECONDS
    short_abandon_seconds: float = SHORT_ABANDON_SECONDS

    def as_dict(self) -> dict[str, Any]:
        """The summary as a plain dict (for JSON)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def disposition(
    record: CallRecord, short_abandon_seconds: float = SHORT_ABANDON_SECONDS
) -> Disposition:
    """How a call counts: not_offered, answered, abandoned, short_abandon, callback, …"""
    if record.queued_at is None:
        return "not_offered"
    tests = disposition_tests(record, short_abandon_seconds)
    return next((name for name in DISPOSITION_ORDER if tests[name]), ABANDONED)


def disposition_tests(record: CallRecord, short_abandon_seconds: float) -> dict[str, bool]:
    """Whether an offered call passes the test of each disposition of DISPOSITION_ORDER."""
    wait = record.wait  # unknown: the caller counts as having waited in full
    return {
        "answered": record.answered_at is not None or record.outcome == "answered",
        "callback": record.callback or record.outcome in CALLBACK_OUTCOMES,
        "voicemail": record.outcome in VOICEMAIL_OUTCOMES,
        "other": record.outcome in OTHER_OUTCOMES,
        "waiting": record.outcome is None and record.ended_at is None,
        "short_abandon": wait is not None and wait < short_abandon_seconds,
    }


def answered_rate(answered: int, abandoned: int) -> float | None:
    """Answered ÷ (answered + abandoned); short abandons, call-backs and voicemails are out."""
    return _ratio(answered, answered + abandoned)


def abandon_rate(answered: int, abandoned: int) -> float | None:
    """Abandoned ÷ (answered + abandoned)."""
    return _ratio(abandoned, answered + abandoned)


def service_level(within_target: int, answered: int, abandoned: int) -> float | None:
    """Answered within T (wait <= T) ÷ (answered + abandoned)."""
    return _ratio(within_target, answered + abandoned)


def satisfied_share(satisfied: int, ratings: int) -> float | None:
    """CSAT: ratings of 4-5 ÷ all ratings."""
    return _ratio(satisfied, ratings)


def response_rate(rated_answered: int, answered: int) -> float | None:
    """Answered calls with at least one rating ÷ answered calls."""
    return _ratio(rated_answered, answered)


def average(total: float, count: int) -> float | None:
    """A mean from its sum and count (ASA over answered waits, AHT over handled calls)."""
    return _ratio(total, count)


def merge_duplicates(records: Iterable[CallRecord]) -> list[CallRecord]:
    """One record per call_sid: legs of a re-queued call become one call waiting from the first."""
    by_sid: dict[str, list[CallRecord]] = {}
    for record in records:
        by_sid.setdefault(record.call_sid, []).append(record)
    return [legs[0] if len(legs) == 1 else _merge(legs) for legs in by_sid.values()]


def summarize(
    records: Iterable[CallRecord],
    service_level_seconds: float = SERVICE_LEVEL_SECONDS,
    short_abandon_seconds: float = SHORT_ABANDON_SECONDS,
    now: datetime | None = None,
) -> KpiSummary:
    """The KPIs of a set of calls; `now` gives the longest wait of the calls still waiting."""
    counts = dict.fromkeys(
        ("answered", "abandoned", "short_abandon", "callback", "voicemail", "other", "waiting"), 0
    )
    offered = within = in_region = region_known = overflowed = requeued = 0
    waits: list[float] = []
    all_waits: list[float] = []
    talks: list[float] = []
    handles: list[float] = []
    waiting_since: list[datetime] = []
    for record in merge_duplicates(records):
        kind = disposition(record, short_abandon_seconds)
        if kind == "not_offered":
            continue
        offered += 1
        counts[kind] += 1
        overflowed += record.overflowed
        requeued += record.requeued
        wait = record.wait
        if kind == "waiting":
            if record.queued_at is not None:
                waiting_since.append(record.queued_at)
            continue
        if wait is not None:
            all_waits.append(wait)
        if kind != "answered":
            continue
        if wait is not None:
            waits.append(wait)
            within += wait <= service_level_seconds
        if record.talk_seconds is not None:
            talks.append(record.talk_seconds)
            handles.append(record.talk_seconds + (record.wrap_up_seconds or 0))
        if record.answered_region is not None and record.region is not None:
            region_known += 1
            in_region += record.answered_region == record.region

    answered, abandoned = counts["answered"], counts["abandoned"]
    longest_now = None
    if now is not None and waiting_since:
        longest_now = max(_seconds(min(waiting_since), now), 0.0)
    return KpiSummary(
        offered=offered,
        answered=answered,
        abandoned=abandoned,
        short_abandons=counts["short_abandon"],
        callbacks=counts["callback"],
        voicemails=counts["voicemail"],
        other=counts["other"],
        waiting=counts["waiting"],
        answered_within_target=within,
        answered_in_region=in_region,
        overflowed=overflowed,
        requeued=requeued,
        answered_rate=answered_rate(answered, abandoned),
        abandon_rate=abandon_rate(answered, abandoned),
        service_level=service_level(within, answered, abandoned),
        in_region_share=_ratio(in_region, region_known),
        asa_seconds=_mean(waits),
        aht_seconds=_mean(handles),
        avg_talk_seconds=_mean(talks),
        handle_seconds=float(sum(handles)),
        max_wait_seconds=max(all_waits) if all_waits else None,
        longest_wait_seconds=longest_now,
        service_level_seconds=service_level_seconds,
        short_abandon_seconds=short_abandon_seconds,
    )


def by_dimension(
    records: Iterable[CallRecord],
    key: DimensionKey | Callable[[CallRecord], Hashable],
    **options: Any,
) -> dict[Hashable, KpiSummary]:
    """Summaries per region, group, service or agent (or a key function) of the offered calls."""
    getter = _key_function(key)
    groups: dict[Hashable, list[CallRecord]] = {}
    for record in merge_duplicates(records):
        if record.queued_at is not None:  # calls that never reached the queue count nowhere
            groups.setdefault(getter(record), []).append(record)
    return {k: summarize(v, **options) for k, v in groups.items()}


def local_day(record: CallRecord) -> date | None:
    """The Asia/Shanghai date the call was queued on (None if it never reached the queue)."""
    return None if record.queued_at is None else _local(record.queued_at).date()


def by_local_hour(
    records: Iterable[CallRecord], day: date, **options: Any
) -> dict[int, KpiSummary]:
    """Summaries for hours 0–23 of one Asia/Shanghai day, by the local time of queueing."""
    buckets: dict[int, list[CallRecord]] = {hour: [] for hour in range(24)}
    for record in merge_duplicates(records):
        if record.queued_at is None:
            continue
        local = _local(record.queued_at)
        if local.date() == day:
            buckets[local.hour].append(record)
    return {hour: summarize(group, **options) for hour, group in buckets.items()}


def by_local_day(
    records: Iterable[CallRecord],
    first: date | None = None,
    last: date | None = None,
    **options: Any,
) -> dict[date, KpiSummary]:
    """Summaries per Asia/Shanghai day of queueing; with first/last, every day of that range."""
    buckets: dict[date, list[CallRecord]] = {}
    if first is not None and last is not None:
        day = first
        while day <= last:
            buckets[day] = []
            day += timedelta(days=1)
    for record in merge_duplicates(records):
        day_of = local_day(record)
        if day_of is None:
            continue
        if (first is not None and day_of < first) or (last is not None and day_of > last):
            continue
        buckets.setdefault(day_of, []).append(record)
    return {day: summarize(buckets[day], **options) for day in sorted(buckets)}


def csat(ratings: Iterable[int | None]) -> float | None:
    """Share of 4–5 ratings among the ratings given (None ratings are no answer)."""
    given = [r for r in ratings if r is not None]
    for rating in given:
        if rating not in RATING_SCALE:
            raise ValueError(f"rating {rating!r} is not on the 1-5 scale")
    return satisfied_share(sum(r in SATISFIED_RATINGS for r in given), len(given))


def survey_response_rate(
    records: Iterable[CallRecord], rated_call_sids: Iterable[str]
) -> float | None:
    """Rated answered calls / answered calls (a call rated twice counts once)."""
    answered = {r.call_sid for r in merge_duplicates(records) if disposition(r) == "answered"}
    rated = answered.intersection(rated_call_sids)
    return response_rate(len(rated), len(answered))


def occupancy(talk_plus_wrap_seconds: float, staffed_seconds: float) -> float | None:
    """Share of staffed time spent talking or wrapping up (None with no staffed time)."""
    if talk_plus_wrap_seconds < 0 or staffed_seconds < 0:
        raise ValueError("seconds cannot be negative")
    return _ratio(talk_plus_wrap_seconds, staffed_seconds)


def callbacks_pending(statuses: Iterable[str]) -> int:
    """How many call-back requests are still open (pending, assigned or in progress)."""
    return sum(status in OPEN_CALLBACK_STATUSES for status in statuses)


def longest_wait_now(records: Iterable[CallRecord], now: datetime) -> float | None:
    """Seconds the longest-waiting caller still in line has waited (None if nobody waits)."""
    return summarize(records, now=now).longest_wait_seconds


# ----- helpers ---------------------------------------------------------------------------------


def _seconds(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds())


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


def _mean(values: Sequence[float]) -> float | None:
    return average(sum(values), len(values))


def _number(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def _local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: KPI times must carry a timezone (UTC)")
    return moment.astimezone(SHANGHAI)


def _answered_region(events: Sequence[EventFields]) -> str | None:
    """The answering agent's region: from the offer the 'answered' event accepted."""
    offers: dict[Any, Mapping[str, Any]] = {}
    last_offer: Mapping[str, Any] | None = None
    for event in events:
        data = event.data or {}
        if event.kind == "offered":
            offers[data.get("offer")] = data
            last_offer = data
        elif event.kind == "answered":
            offer = offers.get(data.get("offer"), last_offer)
            return None if offer is None else offer.get("agent_region")
    return None


def _merge(legs: list[CallRecord]) -> CallRecord:
    """One call from several legs of the same CallSid (e.g. a re-queue recorded twice)."""
    first = min(legs, key=lambda r: (r.queued_at is None, r.queued_at or datetime.min))
    answered = [r for r in legs if r.answered_at is not None or r.outcome == "answered"]
    if answered:
        final = max(answered, key=lambda r: _sort_time(r.answered_at))
    else:
        final = max(legs, key=lambda r: _sort_time(r.ended_at or r.queued_at))
    queued = [r.queued_at for r in legs if r.queued_at is not None]
    queued_at = min(queued) if queued else None
    wait: float | None = final.wait_seconds
    if queued_at is not None:
        end = final.answered_at or final.ended_at
        if end is not None:
            wait = _seconds(queued_at, end)
        elif final.wait_seconds is not None and final.queued_at is not None:
            wait = final.wait_seconds + _seconds(queued_at, final.queued_at)
    return replace(
        final,
        region=first.region,
        group=first.group,
        service=first.service,
        queued_at=queued_at,
        wait_seconds=wait,
        requeued=True,
        overflowed=any(r.overflowed for r in legs),
        callback=final.callback,
    )


def _sort_time(moment: datetime | None) -> float:
    return float("-inf") if moment is None else moment.timestamp()


def _key_function(key: DimensionKey | Callable[[CallRecord], Hashable]) -> Callable[..., Any]:
    if callable(key):
        return key
    if key == "agent":
        return lambda r: r.agent_id
    if key in ("region", "group", "service"):
        return lambda r: getattr(r, key)
    raise ValueError(f"unknown KPI dimension {key!r}")
