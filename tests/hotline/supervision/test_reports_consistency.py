"""The report's SQL aggregates equal hotline/supervision/kpi.py's figures on the same calls."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hotline.models import Call, Survey
from hotline.supervision import kpi
from hotline.supervision.kpi import CallRecord
from hotline.supervision.reports.build import fold_hours, hourly_tallies, kpi_report
from hotline.supervision.reports.periods import period_of
from hotline.supervision.reports.queries import tallies
from tests.hotline.supervision.reports_support import (
    DAY,
    EXPECTED_OFFERED_BY_HOUR,
    EXPECTED_OFFERED_BY_REGION,
    EXPECTED_TOTAL,
    add_report_day,
)

PERIOD = period_of("day", DAY)


@pytest.fixture
def report_day(db_session):
    return add_report_day(db_session)


def records_and_ratings(session):
    """Every call as kpi.py sees it (with all its events), and the ratings per call_sid."""
    calls = session.scalars(select(Call).options(selectinload(Call.events))).all()
    records = [CallRecord.from_call(call, call.events) for call in calls]
    sid_of = {call.id: call.call_sid for call in calls}
    ratings: dict[str, list[int]] = {}
    for survey in session.scalars(select(Survey)).all():
        if survey.rating is not None:
            ratings.setdefault(sid_of[survey.call_id], []).append(survey.rating)
    return records, ratings


def kpi_figures(records, ratings) -> dict:
    """The eleven report fields, computed by hotline/supervision/kpi.py alone."""
    summary = kpi.summarize(records)
    sids = [r.call_sid for r in records if kpi.disposition(r) != "not_offered"]
    return {
        "offered": summary.offered,
        "answered": summary.answered,
        "abandoned": summary.abandoned,
        "short_abandons": summary.short_abandons,
        "callbacks": summary.callbacks,
        "answered_rate": summary.answered_rate,
        "service_level": summary.service_level,
        "asa_seconds": summary.asa_seconds,
        "aht_seconds": summary.aht_seconds,
        "csat": kpi.csat([rating for sid in sids for rating in ratings.get(sid, [])]),
        "survey_response_rate": kpi.survey_response_rate(records, ratings),
    }


def assert_same(sql: dict, expected: dict) -> None:
    assert sql.keys() == expected.keys()
    for name, value in expected.items():
        if value is None:
            assert sql[name] is None, name
        else:
            assert sql[name] == pytest.approx(value, abs=1e-9), name


def on_day(records, day=DAY):
    return [r for r in records if kpi.local_day(r) == day]


def test_the_day_total_matches_kpi_and_the_hand_computed_figures(report_day, db_session):
    records, ratings = records_and_ratings(db_session)
    (only,) = tallies(db_session, PERIOD.start, PERIOD.end, ()).values()
    assert_same(only.figures(), kpi_figures(on_day(records), ratings))
    assert_same(only.figures(), EXPECTED_TOTAL)
    # The classes kpi.py counts apart are there too.
    assert (only.voicemails, only.other, only.waiting) == (1, 1, 1)


@pytest.mark.parametrize("dimension", ["region", "group", "service", "agent"])
def test_every_dimension_matches_kpi_by_dimension(report_day, db_session, dimension):
    records, ratings = records_and_ratings(db_session)
    day_records = on_day(records)
    expected = kpi.by_dimension(day_records, dimension)
    got = tallies(db_session, PERIOD.start, PERIOD.end, (dimension,))
    assert {key[0] for key in got} == set(expected)
    getter = (lambda r: r.agent_id) if dimension == "agent" else (lambda r: getattr(r, dimension))
    for (key,), tally in got.items():
        subset = [r for r in day_records if getter(r) == key and r.queued_at is not None]
        assert_same(tally.figures(), kpi_figures(subset, ratings))


def test_local_hours_match_kpi_by_local_hour_across_midnight(report_day, db_session):
    records, ratings = records_and_ratings(db_session)
    expected = kpi.by_local_hour(records, DAY)
    hours = fold_hours(hourly_tallies(db_session, PERIOD), lambda moment: moment.hour)
    for hour in range(24):
        summary = expected[hour]
        tally = hours.get(hour)
        assert (tally.offered if tally else 0) == summary.offered, hour
        if tally:
            subset = [r for r in on_day(records) if kpi._local(r.queued_at).hour == hour]
            assert_same(tally.figures(), kpi_figures(subset, ratings))
    assert {h: t.offered for h, t in hours.items()} == EXPECTED_OFFERED_BY_HOUR
    # Queued 23:59:50 and answered after midnight: hour 23 of DAY, with its 25 s wait.
    assert hours[23].answered == 1 and hours[23].wait_sum == pytest.approx(25)


def test_days_of_a_week_match_kpi_by_local_day(report_day, db_session):
    records, _ = records_and_ratings(db_session)
    week = period_of("week", DAY)
    expected = kpi.by_local_day(records, week.first, week.last)
    report = kpi_report(db_session, week, "day")
    assert [row.key for row in report.rows] == list(expected)
    for row in report.rows:
        summary = expected[row.key]
        figures = row.tally.figures()
        assert figures["offered"] == summary.offered
        assert figures["answered"] == summary.answered
        assert figures["service_level"] == summary.service_level
    # The calls just before and just after DAY land on the neighbouring days.
    by_day = {row.key: row.tally.offered for row in report.rows}
    assert by_day[DAY - timedelta(days=1)] == 1 and by_day[DAY] == 18
    assert by_day[DAY + timedelta(days=1)] == 1


def test_a_region_filter_and_the_region_rows(report_day, db_session):
    got = tallies(db_session, PERIOD.start, PERIOD.end, ("region",))
    assert {key[0]: t.offered for key, t in got.items()} == EXPECTED_OFFERED_BY_REGION
    (qiqihar,) = tallies(db_session, PERIOD.start, PERIOD.end, (), region="qiqihar").values()
    assert qiqihar == got[("qiqihar",)]


def test_an_empty_period_has_no_rates(db_session):
    report = kpi_report(db_session, PERIOD, "region")
    assert report.rows == []
    figures = report.total.figures()
    assert figures["offered"] == 0
    assert figures["answered_rate"] is None and figures["csat"] is None
