"""Alerts of the live view: service level or longest wait past the thresholds of alerts.yaml."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hotline.config_files import ConfigFileError, load_yaml

CENTRE = "centre"
REGION = "region"


@dataclass(frozen=True)
class AlertThresholds:
    """When the live view raises an alert (config/alerts.yaml)."""

    service_level_below: float = 0.80
    min_offered: int = 20
    min_offered_region: int = 10
    longest_wait_above_seconds: float = 120


@dataclass(frozen=True)
class Alert:
    """One figure past its threshold, for the centre or one region."""

    kind: str  # service_level / longest_wait
    scope: str  # centre / region
    region: str | None
    value: float
    threshold: float
    message: str

    def as_dict(self) -> dict[str, Any]:
        """The alert as plain JSON."""
        return asdict(self)


def _number(data: Any, path: Path, section: str, key: str, kind: type) -> Any:
    value = (data.get(section) or {}).get(key) if isinstance(data, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigFileError(f"{path}: '{section}.{key}' must be a number")
    if value < 0:
        raise ConfigFileError(f"{path}: '{section}.{key}' cannot be negative")
    return kind(value)


def load_alert_thresholds(config_dir: Path) -> AlertThresholds:
    """Read config/alerts.yaml."""
    path = config_dir / "alerts.yaml"
    data = load_yaml(path)
    below = _number(data, path, "service_level", "below", float)
    if below > 1:
        raise ConfigFileError(f"{path}: 'service_level.below' is a share between 0 and 1")
    return AlertThresholds(
        service_level_below=below,
        min_offered=_number(data, path, "service_level", "min_offered", int),
        min_offered_region=_number(data, path, "service_level", "min_offered_region", int),
        longest_wait_above_seconds=_number(data, path, "longest_wait", "above_seconds", float),
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
