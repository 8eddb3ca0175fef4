"""Additive KPI components of a set of calls, and the report's KPI figures computed from them.

A `Tally` holds only counts and sums, so tallies of hours add up to days, of rows to the total,
and the rates are computed once at the end exactly as hotline/supervision/kpi.py computes them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from hotline.supervision import kpi

# The KPI fields of every report row, in column order (the JSON API's contract).
KPI_FIELDS = (
    "offered",
    "answered",
    "abandoned",
    "short_abandons",
    "callbacks",
    "answered_rate",
    "service_level",
    "asa_seconds",
    "aht_seconds",
    "csat",
    "survey_response_rate",
)
RATE_FIELDS = frozenset({"answered_rate", "service_level", "csat", "survey_response_rate"})
SECONDS_FIELDS = frozenset({"asa_seconds", "aht_seconds"})

# Shown on the report page and returned by the API; they follow docs/kpis.md.
DEFINITIONS = {
    "offered": "进线量：进入排队的来电（含接通、放弃、短时放弃、回拨登记、留言）；"
    "在语音导航中挂机或非服务时间留言的来电不计入。按首次进入排队的北京时间归入时段。",
    "answered": "接通量：坐席接听的来电。坐席未接后重新排队再接通的，仍计一通；"
    "溢出到邻近地区或全省接通的，计入来电所属地区。",
    "abandoned": "放弃量：排队或振铃中挂机、且等待不少于 5 秒的来电。",
    "short_abandons": "短时放弃：等待不足 5 秒即挂机（误拨、改变主意），单独统计，不计入各项比率。",
    "callbacks": "回拨登记：排队中按键选择回拨的来电；不算放弃，也不计入接通率和服务水平的分母。",
    "answered_rate": "接通率 = 接通量 ÷（接通量 + 放弃量）。",
    "service_level": "服务水平 = 等待不超过 20 秒即接通的来电 ÷（接通量 + 放弃量）；"
    "等待恰为 20 秒算达标。",
    "asa_seconds": "平均应答时长（秒）= 接通来电从首次排队到接通的平均等待时间。",
    "aht_seconds": "平均处理时长（秒）= 接通来电的通话时长 + 话后整理时长的平均值"
    "（无整理记录按 0 计）。",
    "csat": "满意率 = 4 分或 5 分的评价 ÷ 全部评价（1–5 分；语音和短信评价各计一次）。",
    "survey_response_rate": "评价参与率 = 至少有一次评价的接通来电 ÷ 接通量"
    "（同一通来电多次评价只计一次）。",
}
FIELD_LABELS = {
    "offered": "进线量",
    "answered": "接通量",
    "abandoned": "放弃量",
    "short_abandons": "短时放弃",
    "callbacks": "回拨登记",
    "answered_rate": "接通率",
    "service_level": "服务水平",
    "asa_seconds": "平均应答(秒)",
    "aht_seconds": "平均处理(秒)",
    "csat": "满意率",
    "survey_response_rate": "评价参与率",
}


@dataclass(frozen=True)
class Tally:
    """Counts and sums of one group of offered calls."""

    offered: int = 0
    answered: int = 0
    abandoned: int = 0
    short_abandons: int = 0
    callbacks: int = 0
    voicemails: int = 0
    other: int = 0
    waiting: int = 0
    within_target: int = 0
    wait_sum: float = 0.0
    wait_count: int = 0
    handle_sum: float = 0.0
    handle_count: int = 0
    ratings: int = 0
    satisfied: int = 0
    rated_answered: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    @classmethod
    def from_row(cls, row: Any) -> Tally:
        """A tally from a result row whose columns carry the field names (NULL sums are 0)."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = getattr(row, f.name) or 0
            values[f.name] = float(raw) if f.type == "float" else int(raw)
        return cls(**values)

    def figures(self) -> dict[str, Any]:
        """The KPI fields: counts, and rates that are None when their denominator is 0."""
        return {
            "offered": self.offered,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "short_abandons": self.short_abandons,
            "callbacks": self.callbacks,
            "answered_rate": kpi.answered_rate(self.answered, self.abandoned),
            "service_level": kpi.service_level(self.within_target, self.answered, self.abandoned),
            "asa_seconds": kpi.average(self.wait_sum, self.wait_count),
            "aht_seconds": kpi.average(self.handle_sum, self.handle_count),
            "csat": kpi.satisfied_share(self.satisfied, self.ratings),
            "survey_response_rate": kpi.response_rate(self.rated_answered, self.answered),
        }


def total(tallies: Any) -> Tally:
    """The sum of tallies (an empty Tally for none)."""
    result = Tally()
    for tally in tallies:
        result = result + tally
    return result
