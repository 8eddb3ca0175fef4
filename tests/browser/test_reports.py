"""The report page in headless chromium: charts drawn from the data, the CSV downloaded and read."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.browser.conftest import OutsideTraffic
from tests.console_support import PASSWORD
from tests.hotline.supervision.reports_support import (
    DAY,
    EXPECTED_OFFERED_BY_HOUR,
    EXPECTED_OFFERED_BY_REGION,
    add_report_day,
)


@pytest.fixture
def report_day(db_session):
    return add_report_day(db_session)


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("domcontentloaded")


def marks(page, selector: str) -> list[tuple[str, float]]:
    return page.eval_on_selector_all(
        selector, "els => els.map(e => [e.dataset.label, Number(e.dataset.value)])"
    )


def test_the_report_draws_its_charts_and_exports_csv(
    report_day, live_server, new_page, tmp_path: Path, screenshot
):
    outside = OutsideTraffic()
    page = new_page(outside)
    log_in(page, live_server, "chen")
    page.click("nav.mainnav >> text=统计报表")
    page.select_option("select[name=period]", "day")
    page.fill("input[name=start]", DAY.isoformat())
    page.select_option("select[name=by]", "region")
    page.click("#report-form button[type=submit]")
    page.wait_for_selector("#chart-calls-per-hour")
    screenshot(page, "report-day")
    assert page.inner_text("[data-testid=period-label]").startswith("2026-03-10")

    # Calls per hour: 24 bars labelled 00…23 carrying the offered calls of each hour.
    bars = marks(page, "#chart-calls-per-hour rect.bar")
    assert [label for label, _ in bars] == [f"{hour:02d}" for hour in range(24)]
    assert {int(label): value for label, value in bars if value} == EXPECTED_OFFERED_BY_HOUR
    # The bar of the busiest hours is the tallest one drawn.
    heights = page.eval_on_selector_all(
        "#chart-calls-per-hour rect.bar", "els => els.map(e => e.getBBox().height)"
    )
    assert heights[9] == max(heights) and heights[9] > 0 and heights[3] == 0
    # Service level per hour: points only where calls were answered or abandoned.
    points = dict(marks(page, "#chart-service-level circle.point"))
    assert points == {"07": 1.0, "09": pytest.approx(2 / 3), "10": 0.0, "11": 0.0, "12": 0.0,
                      "14": 0.0, "15": 0.0, "16": 0.0, "23": 0.0}  # fmt: skip
    assert sum(value for _, value in marks(page, "#chart-abandoned rect.bar")) == 4
    assert dict(marks(page, "#chart-csat circle.point")) == {
        "09": pytest.approx(2 / 3), "14": 0.0, "23": 1.0,
    }  # fmt: skip
    assert page.locator("svg.chart").count() == 4

    with page.expect_download() as download_info:
        page.click("#csv-link")
    download = download_info.value
    assert download.suggested_filename == "kpi-day-2026-03-10-region.csv"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_code = {row["代码"]: row for row in rows}
    assert {code: int(by_code[code]["进线量"]) for code in EXPECTED_OFFERED_BY_REGION} == (
        EXPECTED_OFFERED_BY_REGION
    )
    assert by_code["total"]["地区"] == "合计"
    assert (by_code["total"]["进线量"], by_code["total"]["接通量"]) == ("18", "8")
    assert by_code["total"]["服务水平"] == "0.2500"
    assert outside.requests == []
