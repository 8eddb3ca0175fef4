"""The staffing planner: arrivals per hour of week, Erlang C agents, rota coverage and gaps."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from hotline import clock
from hotline.models import Call
from hotline.staff import add_shift
from hotline.supervision import erlang
from hotline.supervision.reports.staffing_data import next_monday
from hotline.supervision.staffing import (
    PlanCell,
    Target,
    average_arrivals,
    hour_of_week,
    measured_aht,
    plan,
    rota_coverage,
)
from hotline.times import SHANGHAI, to_local
from tests.console_support import bearer, make_staff, page_login

MONDAY = date(2026, 3, 9)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), SHANGHAI)


def test_hours_of_the_week_follow_the_shanghai_clock():
    assert hour_of_week(local(MONDAY, 0, 30)) == 0
    assert hour_of_week(local(MONDAY, 9, 59)) == 9
    assert hour_of_week(local(MONDAY + timedelta(days=6), 23, 59)) == 167
    # Sunday 16:00 UTC is Monday 00:00 in Shanghai.
    assert hour_of_week(datetime(2026, 3, 8, 16, 0, tzinfo=UTC)) == 0


def test_arrivals_are_averaged_over_the_weeks_per_region_and_hour():
    counts = {
        ("harbin", local(MONDAY, 9)): 10,
        ("harbin", local(MONDAY + timedelta(days=7), 9)): 14,
        ("harbin", local(MONDAY + timedelta(days=1), 9)): 3,
        ("qiqihar", local(MONDAY, 9)): 5,
    }
    assert average_arrivals(counts, weeks=2) == {
        ("harbin", 9): 12.0,
        ("harbin", 33): 1.5,
        ("qiqihar", 9): 2.5,
    }
    with pytest.raises(ValueError):
        average_arrivals(counts, weeks=0)


def test_measured_aht_per_region_with_the_centre_and_the_default_as_fallbacks():
    per_region, overall = measured_aht({"harbin": (3600.0, 10), "qiqihar": (0.0, 0)}, 360)
    assert per_region == {"harbin": 360.0} and overall == 360.0
    per_region, overall = measured_aht({"harbin": (1800.0, 10), "daqing": (2400.0, 10)}, 360)
    assert per_region == {"harbin": 180.0, "daqing": 240.0} and overall == 210.0
    assert measured_aht({}, 300) == ({}, 300.0)


def test_rota_coverage_counts_part_hours_pro_rata():
    week = local(MONDAY, 0)
    coverage = rota_coverage(
        [
            ("harbin", local(MONDAY, 8, 30), local(MONDAY, 12, 15)),
            ("harbin", local(MONDAY, 9), local(MONDAY, 10)),
            # Starts in the week before and ends in this one: only hours 0 and 1 count.
            ("qiqihar", local(MONDAY - timedelta(days=1), 22), local(MONDAY, 2)),
            # Entirely after the week: nothing.
            ("qiqihar", local(MONDAY + timedelta(days=7), 8), local(MONDAY + timedelta(days=7), 9)),
        ],
        week,
    )
    assert coverage == {
        ("harbin", 8): 0.5,
        ("harbin", 9): 2.0,
        ("harbin", 10): 1.0,
        ("harbin", 11): 1.0,
        ("harbin", 12): 0.25,
        ("qiqihar", 0): 1.0,
        ("qiqihar", 1): 1.0,
    }


def test_the_plan_uses_erlang_c_and_marks_gaps():
    # docs/kpis.md: 200 calls/h at AHT 180 s need 14 agents for 80 % within 20 s.
    arrivals = {("harbin", 9): 200.0, ("harbin", 10): 20.0}
    cells = plan(["harbin"], arrivals, {"harbin": 180.0}, 360.0, {("harbin", 9): 13.0}, Target())
    assert len(cells) == 168
    nine, ten, three = cells[9], cells[10], cells[3]
    assert nine == PlanCell("harbin", 9, 200.0, 180.0, 14, 13.0)
    assert nine.gap == 1.0 and nine.short
    assert ten.needed == erlang.agents_needed(20.0, 180.0, 0.8, 20) == 3
    assert ten.short and ten.gap == 3.0
    assert (three.needed, three.rostered, three.short) == (0, 0.0, False)
    # An occupancy cap of 70 % needs ceil(10 / 0.7) = 15 agents at 200 calls/h.
    capped = plan(["harbin"], arrivals, {}, 180.0, {}, Target(max_occupancy=0.7))
    assert capped[9].needed == 15
    # A region without measured AHT uses the centre's.
    assert plan(["daqing"], {("daqing", 9): 200.0}, {}, 180.0, {}, Target())[9].needed == 14


def test_targets_out_of_range_are_refused():
    for bad in ({"service_level": 1.0}, {"service_level": -0.1}, {"max_occupancy": 0}):
        with pytest.raises(ValueError):
            Target(**bad)


def add_history(session, weeks_back: list[tuple[int, int]]) -> None:
    """Answered harbin calls at 09:xx on past Mondays: (weeks ago, how many), talk 180 s."""
    today = to_local(clock.now()).date()
    last_monday = today - timedelta(days=today.weekday() or 7)
    number = 0
    for weeks_ago, count in weeks_back:
        monday = last_monday - timedelta(days=7 * (weeks_ago - 1))
        for n in range(count):
            number += 1
            queued = local(monday, 9, n % 60)
            session.add(
                Call(
                    call_sid=f"CA{number:032d}", from_number="+8613945000000",
                    to_number="+8645112348", region="harbin", group="2",
                    service="consultation", stage="ended", outcome="answered",
                    queued_at=queued, answered_at=queued + timedelta(seconds=10),
                    ended_at=queued + timedelta(seconds=190), talk_seconds=180,
                    wait_seconds=10,
                )
            )  # fmt: skip
    session.commit()


@pytest.fixture
def history(db_session):
    make_staff(db_session)
    add_history(db_session, [(1, 30), (2, 10)])  # 20 calls/h on average over two weeks
    monday = next_monday(to_local(clock.now()).date())
    add_shift(db_session, "wang", local(monday, 8, 30), local(monday, 12))
    add_shift(db_session, "li", local(monday, 9), local(monday, 17))
    db_session.commit()
    return monday


def test_the_staffing_api_plans_the_coming_week(client, history):
    headers = bearer(client, "chen")
    response = client.get("/api/staffing?weeks=2&target=0.8&region=harbin", headers=headers)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["week_start"] == history.isoformat() and body["weeks"] == 2
    (harbin,) = body["regions"]
    assert harbin["region"] == "harbin" and harbin["label"] == "哈尔滨"
    assert harbin["aht_seconds"] == 180.0
    nine = harbin["hours"][9]
    assert (nine["weekday"], nine["hour"], nine["arrivals_per_hour"]) == (0, 9, 20.0)
    assert nine["needed"] == erlang.agents_needed(20.0, 180.0, 0.8, 20) == 3
    assert nine["rostered"] == 2.0 and nine["gap"] == 1.0
    assert harbin["hours"][8]["rostered"] == 0.5 and harbin["hours"][8]["needed"] == 0
    assert harbin["gap_hours"] == 1
    # Every configured region is planned; those with no calls need nobody.
    everyone = client.get("/api/staffing?weeks=2", headers=headers).get_json()
    assert len(everyone["regions"]) >= 13
    assert everyone["aht_seconds"] == 180.0


@pytest.mark.parametrize(
    "query",
    ["weeks=0", "weeks=27", "weeks=x", "target=1", "target=abc", "target=nan", "seconds=0",
     "max_occupancy=0", "max_occupancy=1.5", "week=2026-02-30", "region=atlantis"],
)  # fmt: skip
def test_bad_staffing_parameters_are_400(client, history, query):
    response = client.get(f"/api/staffing?{query}", headers=bearer(client, "chen"))
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"


def test_the_staffing_api_and_page_are_for_supervisors(client, history):
    assert client.get("/api/staffing").status_code == 401
    assert client.get("/api/staffing", headers=bearer(client, "wang")).status_code == 403
    page_login(client, "wang")
    assert client.get("/staffing").status_code == 403


def test_the_staffing_page_highlights_the_gaps(client, history):
    page_login(client, "chen")
    response = client.get("/staffing?weeks=2&region=harbin")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "排班测算" in html and 'id="staffing-grid" data-region="harbin"' in html
    assert html.count('class="staffing-cell') == 168
    assert html.count('class="staffing-cell gap"') == 1
    assert (
        'class="staffing-cell gap" data-hour-of-week="9" data-needed="3" data-rostered="2"' in html
    )
    assert 'data-hour-of-week="8" data-needed="0" data-rostered="0.5"' in html
    bad = client.get("/staffing?target=2")
    assert bad.status_code == 400 and "测算参数有误" in bad.get_data(as_text=True)
