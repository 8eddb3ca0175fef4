"""A KPI report: the period's total and one row per region, group, service, agent, hour or day."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.orm import Session

from hotline.supervision.reports.periods import Period
from hotline.supervision.reports.queries import tallies
from hotline.supervision.reports.sql import SECONDS_PER_HOUR
from hotline.supervision.reports.tally import DEFINITIONS, Tally, total
from hotline.times import SHANGHAI

Labeler = Callable[[str, Any], str]


@dataclass(frozen=True)
class ReportRow:
    """One row of a report: its key (region code, agent id, hour 0-23, date…) and tally."""

    key: Any
    label: str
    tally: Tally

    def as_json(self) -> dict[str, Any]:
        """The row as the API shows it."""
        key = self.key.isoformat() if isinstance(self.key, date) else self.key
        return {"key": key, "label": self.label, **self.tally.figures()}


@dataclass(frozen=True)
class KpiReport:
    """The figures of a period grouped one way."""

    period: Period
    by: str
    total: Tally
    rows: list[ReportRow]

    def labelled(self, label: Labeler) -> KpiReport:
        """The same report with each row's key named by `label(by, key)`."""
        rows = [ReportRow(row.key, label(self.by, row.key), row.tally) for row in self.rows]
        return KpiReport(self.period, self.by, self.total, rows)

    def as_json(self) -> dict[str, Any]:
        """The GET /api/reports/kpis answer."""
        return {
            "period": self.period.kind,
            "start": self.period.first.isoformat(),
            "end": self.period.last.isoformat(),
            "by": self.by,
            "definitions": dict(DEFINITIONS),
            "total": self.total.figures(),
            "rows": [row.as_json() for row in self.rows],
        }


def local_hour_of(hour_index: int) -> datetime:
    """The Asia/Shanghai start of an hour bucket numbered in hours since the epoch (UTC)."""
    return datetime.fromtimestamp(hour_index * SECONDS_PER_HOUR, UTC).astimezone(SHANGHAI)


def fold_hours(hourly: Mapping[int, Tally], key: Callable[[datetime], Any]) -> dict[Any, Tally]:
    """Add up hour buckets by a function of their local start (hour of day, date, weekday…)."""
    folded: dict[Any, Tally] = {}
    for hour_index, tally in hourly.items():
        bucket = key(local_hour_of(hour_index))
        folded[bucket] = folded.get(bucket, Tally()) + tally
    return folded


def hourly_tallies(session: Session, period: Period) -> dict[int, Tally]:
    """The period's tallies per UTC hour bucket (the charts fold these into hours and days)."""
    rows = tallies(session, period.start, period.end, ("utc_hour",))
    return {int(key[0]): tally for key, tally in rows.items()}


def time_rows(period: Period, by: str, hourly: Mapping[int, Tally]) -> dict[Any, Tally]:
    """Every local hour 0-23 (by=hour) or every day of the period (by=day), empty ones too."""
    if by == "hour":
        folded = fold_hours(hourly, lambda moment: moment.hour)
        return {hour: folded.get(hour, Tally()) for hour in range(24)}
    folded = fold_hours(hourly, lambda moment: moment.date())
    return {day: folded.get(day, Tally()) for day in period.days()}


def kpi_report(
    session: Session,
    period: Period,
    by: str,
    hourly: Mapping[int, Tally] | None = None,
) -> KpiReport:
    """The report of a period by a dimension (rows unlabelled: see KpiReport.labelled)."""
    if by in ("hour", "day"):
        grouped = time_rows(
            period, by, hourly if hourly is not None else hourly_tallies(session, period)
        )
    else:
        raw = tallies(session, period.start, period.end, (by,))
        grouped = {key[0]: tally for key, tally in raw.items()}
        grouped = dict(sorted(grouped.items(), key=lambda item: (-item[1].offered, str(item[0]))))
    rows = [ReportRow(key, "", tally) for key, tally in grouped.items()]
    return KpiReport(period, by, total(grouped.values()), rows)
