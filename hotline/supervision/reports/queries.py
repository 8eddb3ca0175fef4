"""KPI tallies in SQL: one GROUP BY over the calls queued in a time range, never all history.

Each call is classified by a CASE expression that mirrors `supervision.kpi.CallRecord.from_call`
and `kpi.disposition`, whose order it shares (test_reports_consistency.py proves both agree):

- the wait runs from the first queueing (the earlier of `calls.queued_at` and the first
  `enqueued` event) to the answer, else the stored wait, else the hang-up;
- a call-back is an outcome of callback / callback_requested or a queue `callback_requested`
  event; voicemail and fallback outcomes are counted apart; a call neither ended nor decided
  is still waiting; a hang-up after less than 5 s is a short abandon;
- handle time is talk (the call's, else its first `talk_ended` event's) plus wrap-up (first
  `talk_ended` to the next `wrap_up_done`).

Only the calls queued in [start, end) are read (the `queued_at` index), their events through the
(kind, at) index within a margin of the range, and their surveys from the range's start on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal_column, or_, select
from sqlalchemy.orm import Session

from hotline.models import Call, CallEvent, Survey
from hotline.supervision.kpi import (
    ABANDONED,
    CALLBACK_OUTCOMES,
    DISPOSITION_ORDER,
    OTHER_OUTCOMES,
    SATISFIED_RATINGS,
    SERVICE_LEVEL_SECONDS,
    SHORT_ABANDON_SECONDS,
    VOICEMAIL_OUTCOMES,
)
from hotline.supervision.reports.sql import seconds_after, utc_hour
from hotline.supervision.reports.tally import Tally

# How far outside the range a call's queue events may lie (a later re-stamp of queued_at,
# a wrap-up finished after the range ended).
EVENT_MARGIN = timedelta(days=2)
EVENT_KINDS = ("enqueued", "talk_ended", "wrap_up_done", "callback_requested")
KEYS = ("region", "group", "service", "agent", "utc_hour")


def tallies(
    session: Session,
    start: datetime,
    end: datetime,
    keys: Sequence[str],
    *,
    region: str | None = None,
) -> dict[tuple[Any, ...], Tally]:
    """Tallies of the calls first queued in [start, end), per combination of the keys.

    Keys: region, group, service, agent (the answering agent; None for unanswered calls) and
    utc_hour (whole hours since the epoch, UTC). `region` limits the calls to one region.
    """
    unknown = [key for key in keys if key not in KEYS]
    if unknown:
        raise ValueError(f"unknown tally key {unknown[0]!r}")
    calls = _classified_calls(start, end, region)
    columns = [calls.c[key] for key in keys]
    answered = calls.c.disposition == "answered"
    timed = and_(answered, calls.c.wait.is_not(None))
    query = (
        select(
            *columns,
            func.count().label("offered"),
            *(_count(calls.c.disposition == kind, name) for kind, name in _DISPOSITIONS),
            _count(and_(timed, calls.c.wait <= SERVICE_LEVEL_SECONDS), "within_target"),
            func.sum(case((timed, calls.c.wait))).label("wait_sum"),
            _count(timed, "wait_count"),
            func.sum(calls.c.handle).label("handle_sum"),
            func.count(calls.c.handle).label("handle_count"),
            func.sum(calls.c.ratings).label("ratings"),
            func.sum(calls.c.satisfied).label("satisfied"),
            _count(and_(answered, calls.c.ratings > 0), "rated_answered"),
        )
        .where(calls.c.first_queued >= start, calls.c.first_queued < end)
        .group_by(*columns)
    )
    result: dict[tuple[Any, ...], Tally] = {}
    for row in session.execute(query):
        result[tuple(row[: len(keys)])] = Tally.from_row(row)
    return result


_DISPOSITIONS = (
    ("answered", "answered"),
    ("abandoned", "abandoned"),
    ("short_abandon", "short_abandons"),
    ("callback", "callbacks"),
    ("voicemail", "voicemails"),
    ("other", "other"),
    ("waiting", "waiting"),
)


def _count(condition: Any, name: str) -> Any:
    return func.sum(case((condition, 1), else_=0)).label(name)


def _classified_calls(start: datetime, end: datetime, region: str | None) -> Any:
    """One row per call queued around the range: its keys, disposition, wait, handle, ratings."""
    timed = _timed_calls(start, end, region)
    # The tests of kpi.disposition_tests, in SQL; the CASE tries them in kpi's order.
    tests = {
        "answered": timed.c.answered == 1,
        "callback": or_(
            timed.c.outcome.in_(sorted(CALLBACK_OUTCOMES)), timed.c.queue_callback == 1
        ),
        "voicemail": timed.c.outcome.in_(sorted(VOICEMAIL_OUTCOMES)),
        "other": timed.c.outcome.in_(sorted(OTHER_OUTCOMES)),
        "waiting": and_(timed.c.outcome.is_(None), timed.c.ended_at.is_(None)),
        "short_abandon": and_(timed.c.wait.is_not(None), timed.c.wait < SHORT_ABANDON_SECONDS),
    }
    disposition = case(*((tests[name], name) for name in DISPOSITION_ORDER), else_=ABANDONED)
    return select(
        *(timed.c[name] for name in ("region", "group", "service", "agent", "first_queued")),
        utc_hour(timed.c.first_queued).label("utc_hour"),
        disposition.label("disposition"),
        *(timed.c[name] for name in ("wait", "handle", "ratings", "satisfied")),
    ).subquery("classified")


def _timed_calls(start: datetime, end: datetime, region: str | None) -> Any:
    """Per call: first queueing, answered flag (1/0), wait and handle seconds, ratings."""
    calls = _first_queued_calls(start, end, region)
    answered = or_(calls.c.answered_at.is_not(None), calls.c.outcome == "answered")
    wait = case(
        (
            calls.c.answered_at.is_not(None),
            seconds_after(calls.c.first_queued, calls.c.answered_at),
        ),
        (
            calls.c.wait_seconds.is_not(None),
            calls.c.wait_seconds + seconds_after(calls.c.first_queued, calls.c.queued_at),
        ),
        (calls.c.ended_at.is_not(None), seconds_after(calls.c.first_queued, calls.c.ended_at)),
    )
    wrap = case(
        (calls.c.wrap_done.is_not(None), seconds_after(calls.c.talk_end, calls.c.wrap_done)),
        else_=literal_column("0.0"),
    )
    talk = calls.c.talk
    return select(
        *(calls.c[name] for name in ("region", "group", "service", "outcome", "ended_at")),
        *(calls.c[name] for name in ("first_queued", "queue_callback", "ratings", "satisfied")),
        case((answered, calls.c.agent_id)).label("agent"),
        case((answered, 1), else_=0).label("answered"),
        wait.label("wait"),
        case((and_(answered, talk.is_not(None)), talk + wrap)).label("handle"),
    ).subquery("timed")


def _first_queued_calls(start: datetime, end: datetime, region: str | None) -> Any:
    """The calls queued around the range with their first queueing, events and ratings."""
    in_range = [Call.queued_at >= start, Call.queued_at < end + EVENT_MARGIN]
    if region is not None:
        in_range.append(Call.region == region)
    scope = select(Call.id).where(*in_range).cte("scope")
    first = (
        select(
            CallEvent.call_id,
            func.min(case((CallEvent.kind == "enqueued", CallEvent.at))).label("enqueued_at"),
            func.min(case((CallEvent.kind == "talk_ended", CallEvent.at))).label("talk_end"),
            func.max(
                case(
                    (
                        and_(
                            CallEvent.kind == "callback_requested",
                            CallEvent.data["source"].as_string() == "queue",
                        ),
                        1,
                    ),
                    else_=0,
                )
            ).label("queue_callback"),
        )
        .where(
            CallEvent.call_id.in_(select(scope.c.id)),
            CallEvent.kind.in_(EVENT_KINDS),
            CallEvent.at >= start - EVENT_MARGIN,
            CallEvent.at < end + EVENT_MARGIN,
        )
        .group_by(CallEvent.call_id)
        .cte("first_events")
    )
    after_talk = (
        select(
            first.c.call_id,
            func.min(case((CallEvent.kind == "wrap_up_done", CallEvent.at))).label("wrap_done"),
            func.min(
                case(
                    (
                        and_(CallEvent.kind == "talk_ended", CallEvent.at == first.c.talk_end),
                        CallEvent.data["talk_seconds"].as_float(),
                    )
                )
            ).label("event_talk"),
        )
        .join(CallEvent, CallEvent.call_id == first.c.call_id)
        .where(
            first.c.talk_end.is_not(None),
            CallEvent.kind.in_(("talk_ended", "wrap_up_done")),
            CallEvent.at >= first.c.talk_end,
            # A constant lower bound too, so the planner reads only the period's events.
            CallEvent.at >= start - EVENT_MARGIN,
            CallEvent.at < end + EVENT_MARGIN,
        )
        .group_by(first.c.call_id)
        .subquery("after_talk")
    )
    ratings = (
        select(
            Survey.call_id,
            func.count(Survey.rating).label("ratings"),
            func.sum(case((Survey.rating.in_(sorted(SATISFIED_RATINGS)), 1), else_=0)).label(
                "satisfied"
            ),
        )
        .where(
            Survey.call_id.in_(select(scope.c.id)),
            Survey.rating.is_not(None),
            Survey.created_at >= start - EVENT_MARGIN,
        )
        .group_by(Survey.call_id)
        .subquery("call_ratings")
    )
    first_queued = case(
        (
            and_(first.c.enqueued_at.is_not(None), first.c.enqueued_at < Call.queued_at),
            first.c.enqueued_at,
        ),
        else_=Call.queued_at,
    )
    return (
        select(
            Call.region,
            Call.group,
            Call.service,
            Call.outcome,
            Call.agent_id,
            Call.queued_at,
            Call.answered_at,
            Call.ended_at,
            Call.wait_seconds,
            first_queued.label("first_queued"),
            first.c.talk_end,
            first.c.queue_callback,
            after_talk.c.wrap_done,
            func.coalesce(Call.talk_seconds, after_talk.c.event_talk).label("talk"),
            func.coalesce(ratings.c.ratings, 0).label("ratings"),
            func.coalesce(ratings.c.satisfied, 0).label("satisfied"),
        )
        .outerjoin(first, first.c.call_id == Call.id)
        .outerjoin(after_talk, after_talk.c.call_id == Call.id)
        .outerjoin(ratings, ratings.c.call_id == Call.id)
        .where(*in_range)
        .subquery("first_queued_calls")
    )
