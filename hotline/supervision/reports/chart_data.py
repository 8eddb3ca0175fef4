"""The four charts of a report page, drawn from the period's hourly tallies."""

from __future__ import annotations

from collections.abc import Mapping

from markupsafe import Markup

from hotline.supervision.charts import bar_chart, line_chart, number
from hotline.supervision.reports.build import time_rows
from hotline.supervision.reports.periods import Period
from hotline.supervision.reports.tally import Tally

# Count axes reach at least 5, so a quiet period's axis still reads in whole calls.
COUNT_AXIS_MIN = 5.0


def report_charts(period: Period, hourly: Mapping[int, Tally]) -> dict[str, Markup]:
    """Calls per hour of day, and service level, abandons and CSAT per hour (a day) or day."""
    per_hour = time_rows(period, "hour", hourly)
    trend_by = "hour" if period.kind == "day" else "day"
    trend = time_rows(period, trend_by, hourly)
    if trend_by == "hour":
        labels = [f"{hour:02d}" for hour in trend]
    else:
        labels = [f"{day.month}/{day.day}" for day in trend]
    figures = [tally.figures() for tally in trend.values()]
    unit = "时" if trend_by == "hour" else "日"
    return {
        "calls_per_hour": bar_chart(
            [(f"{hour:02d}", float(t.offered)) for hour, t in per_hour.items()],
            chart_id="chart-calls-per-hour",
            title="各时段进线量（按首次排队时间）",
            min_top=COUNT_AXIS_MIN,
        ),
        "service_level": line_chart(
            list(zip(labels, (f["service_level"] for f in figures), strict=True)),
            chart_id="chart-service-level",
            title=f"服务水平（20 秒接通率）逐{unit}走势",
        ),
        "abandoned": bar_chart(
            list(zip(labels, (float(f["abandoned"]) for f in figures), strict=True)),
            chart_id="chart-abandoned",
            title=f"放弃量逐{unit}分布（不含短时放弃）",
            fmt=number,
            min_top=COUNT_AXIS_MIN,
        ),
        "csat": line_chart(
            list(zip(labels, (f["csat"] for f in figures), strict=True)),
            chart_id="chart-csat",
            title=f"满意率逐{unit}走势",
        ),
    }
