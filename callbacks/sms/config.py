"""The SMS rules (config/sms.yaml) and the texts of the survey and reply SMS."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from typing import Any

from hotline.config_files import ConfigFileError, load_yaml

REPLY_TEXT_KEYS = ("survey", "survey_thanks", "reply_help", "optout_confirm")


@dataclass(frozen=True)
class SmsConfig:
    """Quiet hours, per-number rate limit, segment limit, survey delay, reply window, retries."""

    quiet_start: time
    quiet_end: time
    rate_max_messages: int
    rate_window_seconds: int
    max_segments: int
    survey_delay: timedelta
    reply_window: timedelta
    retry_intervals: tuple[int, ...]


def _clock_time(value: Any, path: Path, key: str) -> time:
    try:
        hours, minutes = str(value).split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ConfigFileError(f"{path}: '{key}' must be a time HH:MM, not {value!r}") from None


def _positive_int(data: dict[str, Any], path: Path, key: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigFileError(f"{path}: '{key}' must be a positive whole number")
    return value


def load_sms_config(config_dir: Path) -> SmsConfig:
    """Read and check config/sms.yaml."""
    path = config_dir / "sms.yaml"
    data: Any = load_yaml(path)
    if not isinstance(data, dict):
        raise ConfigFileError(f"{path}: expected a mapping")
    quiet = data.get("quiet_hours") or {}
    rate = data.get("rate_limit") or {}
    if not isinstance(quiet, dict) or not isinstance(rate, dict):
        raise ConfigFileError(f"{path}: 'quiet_hours' and 'rate_limit' must be mappings")
    retries = data.get("retry_intervals")
    if not isinstance(retries, list) or not all(isinstance(s, int) and s > 0 for s in retries):
        raise ConfigFileError(f"{path}: 'retry_intervals' must be a list of positive seconds")
    return SmsConfig(
        quiet_start=_clock_time(quiet.get("start"), path, "quiet_hours.start"),
        quiet_end=_clock_time(quiet.get("end"), path, "quiet_hours.end"),
        rate_max_messages=_positive_int(rate, path, "max_messages"),
        rate_window_seconds=_positive_int(rate, path, "window_seconds"),
        max_segments=_positive_int(data, path, "max_segments"),
        survey_delay=timedelta(seconds=_positive_int(data, path, "survey_delay_seconds")),
        reply_window=timedelta(days=_positive_int(data, path, "reply_window_days")),
        retry_intervals=tuple(retries),
    )


def load_reply_texts(config_dir: Path) -> dict[str, str]:
    """The survey, thanks, help and opt-out texts of config/sms_templates.yaml."""
    path = config_dir / "sms_templates.yaml"
    data: Any = load_yaml(path)
    texts = {key: data.get(key) for key in REPLY_TEXT_KEYS} if isinstance(data, dict) else {}
    missing = [key for key in REPLY_TEXT_KEYS if not isinstance(texts.get(key), str)]
    if missing:
        raise ConfigFileError(f"{path}: missing texts: {', '.join(missing)}")
    return {key: str(value) for key, value in texts.items()}
