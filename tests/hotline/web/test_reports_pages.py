"""GET /api/reports/kpis, the /reports page, its CSV export and the quality spot-check page."""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import timedelta

import pytest

from hotline.models import Consultation, ReturnVisit, Survey
from hotline.supervision.reports.periods import period_of
from hotline.supervision.reports.spotcheck import sample_code
from hotline.supervision.reports.tally import DEFINITIONS, KPI_FIELDS
from tests.console_support import bearer, page_login
from tests.hotline.supervision.reports_support import (
    DAY,
    EXPECTED_OFFERED_BY_HOUR,
    EXPECTED_OFFERED_BY_REGION,
    EXPECTED_TOTAL,
    add_report_day,
    sh,
)

KPIS = "/api/reports/kpis"


@pytest.fixture
def report_day(db_session):
    return add_report_day(db_session)


@pytest.fixture
def chen(client, report_day):
    return bearer(client, "chen")


def kpis(client, headers, **params):
    return client.get(KPIS, query_string=params, headers=headers)


def assert_figures(figures: dict, expected: dict) -> None:
    for name, value in expected.items():
        assert figures[name] == pytest.approx(value), name


def test_the_day_report_by_region(client, chen):
    response = kpis(client, chen, period="day", start=DAY.isoformat(), by="region")
    assert response.status_code == 200
    body = response.get_json()
    assert (body["period"], body["start"], body["end"], body["by"]) == (
        "day", "2026-03-10", "2026-03-10", "region",
    )  # fmt: skip
    assert set(body["definitions"]) == set(KPI_FIELDS)
    assert body["definitions"]["service_level"] == DEFINITIONS["service_level"]
    assert set(body["total"]) == set(KPI_FIELDS)
    assert_figures(body["total"], EXPECTED_TOTAL)
    assert {row["key"]: row["offered"] for row in body["rows"]} == EXPECTED_OFFERED_BY_REGION
    harbin = next(row for row in body["rows"] if row["key"] == "harbin")
    assert harbin["label"] == "哈尔滨"
    assert set(harbin) == {"key", "label", *KPI_FIELDS}
    # Harbin: answered 1, 2, 3, 4, 19; abandoned 7, 9, 12; within 20 s: 1 and 2.
    assert (harbin["answered"], harbin["abandoned"]) == (5, 3)
    assert harbin["service_level"] == pytest.approx(2 / 8)


def test_by_hour_has_every_hour_of_the_day(client, chen):
    body = kpis(client, chen, start=DAY.isoformat(), by="hour").get_json()
    assert [row["key"] for row in body["rows"]] == list(range(24))
    offered = {row["key"]: row["offered"] for row in body["rows"] if row["offered"]}
    assert offered == EXPECTED_OFFERED_BY_HOUR
    assert body["rows"][9]["label"] == "09:00–10:00"
    assert body["rows"][3]["answered_rate"] is None


def test_by_agent_names_the_agents_and_keeps_unanswered_calls_apart(client, chen, report_day):
    body = kpis(client, chen, start=DAY.isoformat(), by="agent").get_json()
    rows = {row["label"]: row for row in body["rows"]}
    assert rows["王律师"]["answered"] == 3  # calls 1, 3, 5
    assert rows["李律师"]["answered"] == 3  # calls 2, 4, 19
    assert rows["赵调解员"]["answered"] == 2  # calls 16, 17
    assert rows["未接通（无坐席）"]["key"] is None
    assert rows["未接通（无坐席）"]["offered"] == 10
    assert rows["王律师"]["key"] == report_day.agents["wang"].id


def test_a_month_runs_from_the_first_and_a_week_from_monday(client, chen):
    month = kpis(client, chen, period="month", start="2026-03-17", by="day").get_json()
    assert (month["start"], month["end"]) == ("2026-03-01", "2026-03-31")
    assert len(month["rows"]) == 31
    assert month["total"]["offered"] == 20  # the day's 18 and the two calls beside it
    week = kpis(client, chen, period="week", start="2026-03-12", by="service").get_json()
    assert (week["start"], week["end"]) == ("2026-03-09", "2026-03-15")
    services = {row["key"]: row["offered"] for row in week["rows"]}
    assert services == {"consultation": 17, "legal_aid": 2, "mediation": 1}  # with 3/9, 3/11
    assert next(r for r in week["rows"] if r["key"] == "legal_aid")["label"] == "法律援助"


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"period": "year"}, "period must be one of day, week, month"),
        ({"by": "caller"}, "by must be one of region"),
        ({"start": "2026-13-01"}, "start must be a date YYYY-MM-DD"),
        ({"start": "20260301"}, "start must be a date YYYY-MM-DD"),
        ({"start": "1900-01-01"}, "between 2000 and 2100"),
    ],
)
def test_bad_parameters_are_400_with_a_clear_message(client, chen, params, words):
    response = kpis(client, chen, **params)
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "bad_request" and words in body["message"]


def test_the_report_api_is_for_supervisors_only(client, report_day):
    assert client.get(KPIS).status_code == 401
    assert kpis(client, bearer(client, "wang")).status_code == 403


def test_the_api_is_documented(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    operation = paths["/api/reports/kpis"]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["period", "start", "by"]
    assert operation["x-roles"] == ["supervisor", "admin"]
    assert "400" in operation["responses"]
    assert "get" in paths["/api/staffing"]


def test_the_report_page_shows_totals_charts_table_and_definitions(client, report_day):
    page_login(client, "chen")
    response = client.get("/reports", query_string={"start": DAY.isoformat(), "by": "region"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'href="/reports"' in html and "统计报表" in html and "排班测算" in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart') == 4
    assert html.count('class="bar"') == 24 + 24  # calls per hour, abandons per hour
    assert 'data-kpi="offered"' in html and ">18</strong>" in html
    assert ">66.7%</strong>" in html and ">25.0%</strong>" in html  # answered rate, SL
    assert DEFINITIONS["callbacks"] in html
    assert 'data-key="harbin"' in html and 'data-key="qiqihar"' in html
    assert "/reports/export.csv?period=day&amp;start=2026-03-10&amp;by=region" in html


def test_the_page_refuses_bad_parameters_and_agents(client, report_day):
    page_login(client, "chen")
    response = client.get("/reports?period=decade")
    assert response.status_code == 400
    assert "报表参数有误" in response.get_data(as_text=True)
    assert client.get("/reports/export.csv?by=nothing").status_code == 400
    other = client.application.test_client()
    page_login(other, "wang")
    assert other.get("/reports").status_code == 403
    assert other.get("/reports/export.csv").status_code == 403
    assert other.get("/reports/quality").status_code == 403


def test_the_csv_export_has_a_header_every_row_and_the_total(client, report_day):
    page_login(client, "chen")
    response = client.get(f"/reports/export.csv?period=day&start={DAY.isoformat()}&by=region")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "kpi-day-2026-03-10-region.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["代码", "地区", "进线量", "接通量"]
    assert len(rows[0]) == 2 + len(KPI_FIELDS)
    by_key = {row[0]: row for row in rows[1:]}
    assert set(by_key) == {"harbin", "qiqihar", "total"}
    assert by_key["harbin"][1:3] == ["哈尔滨", "14"]
    total = by_key["total"]
    assert total[1:7] == ["合计", "18", "8", "4", "1", "2"]
    assert total[7:] == ["0.6667", "0.2500", "30.4", "202.5", "0.5000", "0.5000"]


def test_return_visit_counts_and_the_follow_up_link(client, report_day, db_session):
    surveys = [Survey(call_id=report_day.calls[n].id, channel="sms", rating=1) for n in (6, 7)]
    db_session.add_all(surveys)
    db_session.flush()
    db_session.add_all(
        [
            ReturnVisit(survey_id=surveys[0].id, rating=1, due_at=sh(9, 0), created_at=sh(8, 0)),
            ReturnVisit(
                survey_id=surveys[1].id, rating=2, status="done", due_at=sh(9, 0),
                created_at=sh(8, 0),
            ),
        ]
    )  # fmt: skip
    db_session.commit()
    page_login(client, "chen")
    html = client.get(f"/reports?start={DAY.isoformat()}").get_data(as_text=True)
    assert 'data-testid="visits-open">1<' in html
    assert 'data-testid="visits-overdue" class="overdue">1<' in html
    assert 'data-testid="visits-opened">2<' in html
    assert 'id="followup-link" href="/followups' in html


def test_the_spot_check_is_five_percent_stable_and_auditable(client, report_day, db_session):
    period = period_of("day", DAY)
    answered = [c for n, c in report_day.calls.items() if c.answered_at is not None]
    expected = min(answered, key=lambda c: sample_code(period, c.call_sid))
    expected.recording_url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"
    db_session.add(
        Consultation(
            case_number="HL12348-20260310-000001", call_id=expected.id, topic="劳动纠纷",
            disposition="answered",
        )
    )  # fmt: skip
    db_session.commit()
    page_login(client, "chen")
    first = client.get(f"/reports/quality?start={DAY.isoformat()}").get_data(as_text=True)
    again = client.get(f"/reports/quality?start={DAY.isoformat()}").get_data(as_text=True)
    # The page's CSRF token carries the second it was made in; the sample must not change.
    assert without_csrf_tokens(first) == without_csrf_tokens(again)
    assert 'data-testid="answered">8<' in first
    assert f'data-testid="sample-size">{math.ceil(8 * 0.05)}<' in first
    assert first.count("<tr data-call-sid=") == 1
    assert f'data-call-sid="{expected.call_sid}"' in first
    assert sample_code(period, expected.call_sid)[:12] in first
    assert 'class="recording-link" href="https://api.twilio.com/' in first
    assert "/consultations/HL12348-20260310-000001" in first
    assert "139****0" in first and "+86139450" not in first  # numbers masked
    # The next day has no answered calls, and says so.
    empty = client.get(f"/reports/quality?start={(DAY + timedelta(days=2)).isoformat()}").get_data(
        as_text=True
    )
    assert "本期没有接通的来电" in empty


def without_csrf_tokens(html: str) -> str:
    """A page with its CSRF tokens (timestamped, so they differ across a second) blanked."""
    html = re.sub(r'(name="csrf-token" content=")[^"]*', r"\1", html)
    return re.sub(r'(name="csrf_token" value=")[^"]*', r"\1", html)
