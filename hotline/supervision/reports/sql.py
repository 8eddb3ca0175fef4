"""Portable SQL for the reports: seconds between two timestamps, and the UTC hour of one.

SQLAlchemy has no dialect-neutral way to subtract timestamps or take their epoch, so these two
constructs compile per dialect: PostgreSQL (the default) uses EXTRACT(EPOCH …); SQLite, which
stores naive UTC text, uses julianday() and strftime('%s'). SQLite's date functions read only
milliseconds, so there differences are rounded to the millisecond.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

SECONDS_PER_HOUR = 3600


class seconds_after(FunctionElement[float]):  # noqa: N801 - reads like a SQL function
    """seconds_after(start, end): end - start in seconds, never negative (as kpi._seconds)."""

    type = Float()
    name = "seconds_after"
    inherit_cache = True


class utc_hour(FunctionElement[int]):  # noqa: N801 - reads like a SQL function
    """utc_hour(moment): whole hours since 1970-01-01 00:00 UTC (an hour bucket's number)."""

    type = Integer()
    name = "utc_hour"
    inherit_cache = True


def _args(element: FunctionElement[Any], compiler: Any, **kw: Any) -> list[str]:
    return [compiler.process(clause, **kw) for clause in element.clauses]


@compiles(seconds_after)
def _seconds_after_postgresql(element: seconds_after, compiler: Any, **kw: Any) -> str:
    start, end = _args(element, compiler, **kw)
    return f"GREATEST(0.0, CAST(EXTRACT(EPOCH FROM ({end}) - ({start})) AS DOUBLE PRECISION))"


@compiles(seconds_after, "sqlite")
def _seconds_after_sqlite(element: seconds_after, compiler: Any, **kw: Any) -> str:
    start, end = _args(element, compiler, **kw)
    return f"MAX(0.0, ROUND((julianday({end}) - julianday({start})) * 86400.0, 3))"


@compiles(utc_hour)
def _utc_hour_postgresql(element: utc_hour, compiler: Any, **kw: Any) -> str:
    (moment,) = _args(element, compiler, **kw)
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {moment}) / {SECONDS_PER_HOUR}) AS INTEGER)"


@compiles(utc_hour, "sqlite")
def _utc_hour_sqlite(element: utc_hour, compiler: Any, **kw: Any) -> str:
    (moment,) = _args(element, compiler, **kw)
    return f"(CAST(strftime('%s', {moment}) AS INTEGER) / {SECONDS_PER_HOUR})"
