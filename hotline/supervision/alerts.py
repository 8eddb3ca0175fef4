"""Alerts of the live view: service level, longest wait or silent processes past alerts.yaml."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator

from hotline import heartbeats
from hotline.config_files import ConfigModel, load_config
from hotline.heartbeats import Liveness

CENTRE = "centre"
REGION = "region"


@dataclass(frozen=True)
class AlertThresholds:
    """When the live view raises an alert (config/alerts.yaml)."""

    service_level_below: float = 0.80
    min_offered: int = 20
    min_offered_region: int = 10
    longest_wait_above_seconds: float = 120
    process_silent_seconds: float = 15


@dataclass(frozen=True)
class Alert:
    """One figure past its threshold, for the centre or one region."""

    kind: str  # service_level / longest_wait / no_router / no_worker
    scope: str  # centre / region
    region: str | None
    value: float
    threshold: float
    message: str

    def as_dict(self) -> dict[str, Any]:
        """The alert as plain JSON."""
        return asdict(self)


# Thresholds as YAML numbers: true/false and "20" are refused.
Count = Annotated[int, Field(strict=True, ge=0)]


class ServiceLevelAlert(ConfigModel):
    """The service_level: section of alerts.yaml."""

    below: Annotated[float, Field(strict=True)]
    min_offered: Count
    min_offered_region: Count

    @field_validator("below")
    @classmethod
    def _a_share(cls, below: float) -> float:
        if not 0 <= below <= 1:
            raise ValueError("must be a share between 0 and 1")
        return below


class LongestWaitAlert(ConfigModel):
    """The longest_wait: section of alerts.yaml."""

    above_seconds: Annotated[float, Field(strict=True, ge=0)]


class ProcessesAlert(ConfigModel):
    """The processes: section of alerts.yaml."""

    silent_seconds: Annotated[float, Field(strict=True, gt=0)]


class AlertsFile(ConfigModel):
    """config/alerts.yaml."""

    service_level: ServiceLevelAlert
    longest_wait: LongestWaitAlert
    processes: ProcessesAlert


def load_alert_thresholds(config_dir: Path) -> AlertThresholds:
    """Read config/alerts.yaml."""
    alerts = load_config(config_dir, "alerts.yaml", AlertsFile)
    return AlertThresholds(
        service_level_below=alerts.service_level.below,
        min_offered=alerts.service_level.min_offered,
        min_offered_region=alerts.service_level.min_offered_region,
        longest_wait_above_seconds=alerts.longest_wait.above_seconds,
        process_silent_seconds=alerts.processes.silent_seconds,
    )


def _minutes(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}分{rest:02d}秒" if minutes else f"{rest}秒"


def alerts_for(
    thresholds: AlertThresholds,
    scope: str,
    region: str | None,
    label: str,
    offered: int,
    service_level: float | None,
    longest_wait_seconds: float | None,
) -> list[Alert]:
    """The alerts of the centre (scope CENTRE) or one region (scope REGION) now."""
    found = []
    enough = thresholds.min_offered if scope == CENTRE else thresholds.min_offered_region
    below = thresholds.service_level_below
    if service_level is not None and offered >= enough and service_level < below:
        found.append(
            Alert(
                "service_level", scope, region, round(service_level, 4), below,
                f"{label}今日服务水平 {service_level:.0%}，低于目标 {below:.0%}",
            )
        )  # fmt: skip
    above = thresholds.longest_wait_above_seconds
    if longest_wait_seconds is not None and longest_wait_seconds > above:
        found.append(
            Alert(
                "longest_wait", scope, region, round(longest_wait_seconds, 1), above,
                f"{label}最长等待 {_minutes(longest_wait_seconds)}，超过 {_minutes(above)}",
            )
        )  # fmt: skip
    return found


# What stops when no process of a kind is alive, said to a supervisor.
_SILENT_PROCESSES = {
    heartbeats.ROUTERS: ("no_router", "路由进程已停止 {}以上，来电无法分配"),
    heartbeats.WORKERS: ("no_worker", "后台任务进程已停止 {}以上，短信等后台任务无法执行"),
}


def process_alerts(
    thresholds: AlertThresholds, liveness: Mapping[heartbeats.Kind, Liveness]
) -> list[Alert]:
    """The centre's alerts for routers or workers none of which has been alive long enough."""
    found = []
    silent = thresholds.process_silent_seconds
    for kind, (alert_kind, text) in _SILENT_PROCESSES.items():
        seen = liveness[kind]
        if seen.alive == 0 and seen.silent_seconds >= silent:
            found.append(
                Alert(
                    alert_kind, CENTRE, None, round(seen.silent_seconds, 1), silent,
                    text.format(_minutes(silent)),
                )
            )  # fmt: skip
    return found
