"""A KPI report as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read Chinese)."""

from __future__ import annotations

import csv
import io
from typing import Any

from hotline.supervision.reports.build import KpiReport
from hotline.supervision.reports.periods import DIMENSION_LABELS
from hotline.supervision.reports.tally import FIELD_LABELS, KPI_FIELDS, RATE_FIELDS, SECONDS_FIELDS

TOTAL_KEY = "total"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: Any) -> str:
    """A key or label as CSV text; text a spreadsheet would run as a formula is quoted with '."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def csv_value(field: str, value: Any) -> str:
    """A figure as CSV text: rates with four decimals, seconds with one, '' for none."""
    if value is None:
        return ""
    if field in RATE_FIELDS:
        return f"{value:.4f}"
    if field in SECONDS_FIELDS:
        return f"{value:.1f}"
    return str(value)


def report_csv(report: KpiReport) -> str:
    """Header, one line per row, then the total line (key 'total')."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["代码", DIMENSION_LABELS[report.by], *(FIELD_LABELS[f] for f in KPI_FIELDS)])
    for row in report.rows:
        figures = row.tally.figures()
        key = csv_text(row.as_json()["key"])
        writer.writerow([key, csv_text(row.label), *(csv_value(f, figures[f]) for f in KPI_FIELDS)])
    figures = report.total.figures()
    writer.writerow([TOTAL_KEY, "合计", *(csv_value(f, figures[f]) for f in KPI_FIELDS)])
    return "\ufeff" + out.getvalue()
