"""Today's KPIs of the live view, from indexed range queries over today's calls only.

"Today" is the Asia/Shanghai day of `now`. Three small queries, each an index range scan however
long the history is: the calls queued today (calls.queued_at), the KPI events of those calls
(call_events by kind and time, or by call), the ratings given today (surveys.rated_at); plus the
open call-back requests (callback_requests by status). hotline.supervision.kpi does the counting.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.models import Call, CallbackRequest, CallEvent, Survey
from hotline.supervision import kpi
from hotline.times import SHANGHAI, to_local

# The events CallRecord.from_call reads (IVR steps and the like are not loaded).
KPI_EVENT_KINDS = (
    "enqueued",
    "offered",
    "answered",
    "requeued",
    "overflow",
    "talk_ended",
    "wrap_up_done",
    "callback_requested",
)


class _Call(NamedTuple):
    """The columns of a call that kpi.CallRecord.from_call reads (and its id)."""

    id: int
    call_sid: str
    region: str | None
    group: str | None
    service: str | None
    agent_id: int | None
    queued_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    outcome: str | None
    wait_seconds: int | None
    talk_seconds: int | None


class _Event(NamedTuple):
    """The columns of a call event that kpi.CallRecord.from_call reads (and its call)."""

    id: int
    call_id: int
    at: datetime
    kind: str
    data: dict[str, Any]


# The columns are loaded in the order of the tuples' fields.
_CALL_COLUMNS = tuple(getattr(Call, name) for name in _Call._fields)
_EVENT_COLUMNS = tuple(getattr(CallEvent, name) for name in _Event._fields)


def local_day_start(now: datetime) -> datetime:
    """Midnight (Asia/Shanghai) of the day of `now`, as an aware datetime."""
    return datetime.combine(to_local(now).date(), time(0, 0), SHANGHAI)


@dataclass
class TodayFigures:
    """Today's KPIs as JSON: the centre, and per region, group and (region, group)."""

    centre: dict[str, Any]
    regions: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    region_groups: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def region(self, code: str) -> dict[str, Any]:
        """A region's KPIs (zeros when it had no call today)."""
        return self.regions.get(code) or kpi_json(kpi.KpiSummary(), [], 0)

    def group(self, digit: str) -> dict[str, Any]:
        """A group's KPIs (zeros when it had no call today)."""
        return self.groups.get(digit) or kpi_json(kpi.KpiSummary(), [], 0)


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _seconds(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def kpi_json(summary: kpi.KpiSummary, ratings: list[int], callbacks_pending: int) -> dict[str, Any]:
    """The live view's KPI figures of one scope."""
    return {
        "offered": summary.offered,
        "answered": summary.answered,
        "abandoned": summary.abandoned,
        "short_abandons": summary.short_abandons,
        "callbacks": summary.callbacks,
        "voicemails": summary.voicemails,
        "answered_rate": _rate(summary.answered_rate),
        "abandon_rate": _rate(summary.abandon_rate),
        "service_level": _rate(summary.service_level),
        "asa_seconds": _seconds(summary.asa_seconds),
        "aht_seconds": _seconds(summary.aht_seconds),
        "max_wait_seconds": _seconds(summary.max_wait_seconds),
        "csat": _rate(kpi.csat(ratings)),
        "ratings": len(ratings),
        "callbacks_pending": callbacks_pending,
    }


def today_records(session: Session, start: datetime, end: datetime) -> list[kpi.CallRecord]:
    """The KPI records of the calls queued in [start, end) (two indexed queries)."""
    in_range = (Call.queued_at >= start, Call.queued_at < end)
    calls = session.execute(select(*_CALL_COLUMNS).where(*in_range)).all()
    events: dict[int, list[_Event]] = {}
    if calls:
        rows = session.execute(
            select(*_EVENT_COLUMNS)
            .where(
                CallEvent.call_id.in_(select(Call.id).where(*in_range)),
                CallEvent.kind.in_(KPI_EVENT_KINDS),
                # A call queued today has its KPI events today: this bounds the index range.
                CallEvent.at >= start,
            )
            .order_by(CallEvent.call_id, CallEvent.id)
        )
        for row in rows:
            events.setdefault(row.call_id, []).append(_Event(*row))
    # Plain tuples with the attributes from_call reads: no ORM objects, fast attribute access.
    return [kpi.CallRecord.from_call(_Call(*row), events.get(row.id, ())) for row in calls]


def _ratings(session: Session, start: datetime, end: datetime) -> list[tuple[Any, Any, int]]:
    """(region, group, rating) of the ratings given in [start, end)."""
    rows = session.execute(
        select(func.coalesce(Survey.region, Call.region), Call.group, Survey.rating)
        .outerjoin(Call, Call.id == Survey.call_id)
        .where(Survey.rated_at >= start, Survey.rated_at < end, Survey.rating.is_not(None))
    )
    return [(region, group, int(rating)) for region, group, rating in rows]


def _pending_callbacks(session: Session) -> list[tuple[Any, Any, int]]:
    """(region, group, count) of the open call-back requests."""
    rows = session.execute(
        select(CallbackRequest.region, CallbackRequest.group, func.count())
        .where(CallbackRequest.status.in_(sorted(kpi.OPEN_CALLBACK_STATUSES)))
        .group_by(CallbackRequest.region, CallbackRequest.group)
    )
    return [(region, group, int(count)) for region, group, count in rows]


def _by(
    rows: list[tuple[Any, Any, int]], index: int
) -> tuple[dict[Any, list[int]], dict[Any, int]]:
    """Ratings and call-back counts keyed by region (index 0) or group (index 1)."""
    lists: dict[Any, list[int]] = {}
    totals: dict[Any, int] = {}
    for row in rows:
        lists.setdefault(row[index], []).append(row[2])
        totals[row[index]] = totals.get(row[index], 0) + row[2]
    return lists, totals


def _per(
    summaries: dict[Hashable, kpi.KpiSummary],
    ratings: dict[Any, list[int]],
    pending: dict[Any, int],
) -> dict[Any, dict[str, Any]]:
    keys: Iterable[Any] = set(summaries) | set(ratings) | set(pending)
    return {
        key: kpi_json(
            summaries.get(key, kpi.KpiSummary()), ratings.get(key, []), pending.get(key, 0)
        )
        for key in keys
        if key is not None
    }


def today_figures(session: Session, now: datetime, service_level_seconds: float) -> TodayFigures:
    """Today's KPIs of the centre, each region, each group and each (region, group)."""
    start = local_day_start(now)
    end = start + timedelta(days=1)
    records = today_records(session, start, end)
    ratings = _ratings(session, start, end)
    pending = _pending_callbacks(session)
    region_ratings, _ = _by(ratings, 0)
    group_ratings, _ = _by(ratings, 1)
    _, region_pending = _by(pending, 0)
    _, group_pending = _by(pending, 1)
    return TodayFigures(
        centre=kpi_json(
            kpi.summarize(records, service_level_seconds=service_level_seconds),
            [rating for _, _, rating in ratings],
            sum(count for _, _, count in pending),
        ),
        regions=_per(
            kpi.by_dimension(records, "region", service_level_seconds=service_level_seconds),
            region_ratings,
            region_pending,
        ),
        groups=_per(
            kpi.by_dimension(records, "group", service_level_seconds=service_level_seconds),
            group_ratings,
            group_pending,
        ),
        region_groups=_per(
            kpi.by_dimension(
                records, lambda r: (r.region, r.group), service_level_seconds=service_level_seconds
            ),
            {},
            {},
        ),
    )
