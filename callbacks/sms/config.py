"""The SMS rules (config/sms.yaml) and the texts of the survey and reply SMS."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator

from callbacks.sms.followup_text import load_sms_templates
from hotline.config_files import ConfigModel, PositiveWholeNumber, load_config

REPLY_TEXT_KEYS = ("survey", "survey_thanks", "reply_help", "optout_confirm")


@dataclass(frozen=True)
class SmsConfig:
    """Quiet hours, rate limit, segment limit, survey delay, reply window, retries, lookups."""

    quiet_start: time
    quiet_end: time
    rate_max_messages: int
    rate_window_seconds: int
    max_segments: int
    survey_delay: timedelta
    reply_window: timedelta
    retry_intervals: tuple[int, ...]
    # How long after an unanswered send attempt Twilio's Messages list is trusted to show it.
    send_lookup_settle: timedelta


def _clock_time(value: Any) -> time:
    """A wall-clock time "HH:MM"."""
    try:
        hours, minutes = str(value).split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"must be a time HH:MM, not {value!r}") from None


ClockTime = Annotated[time, BeforeValidator(_clock_time)]


class QuietHours(ConfigModel):
    """When no SMS is sent (Asia/Shanghai)."""

    start: ClockTime
    end: ClockTime


class RateLimit(ConfigModel):
    """At most max_messages SMS to one number in each window of window_seconds."""

    max_messages: PositiveWholeNumber
    window_seconds: PositiveWholeNumber


class SmsFile(ConfigModel):
    """config/sms.yaml."""

    quiet_hours: QuietHours
    rate_limit: RateLimit
    max_segments: PositiveWholeNumber
    survey_delay_seconds: PositiveWholeNumber
    reply_window_days: PositiveWholeNumber
    retry_intervals: tuple[PositiveWholeNumber, ...]
    send_lookup_settle_seconds: PositiveWholeNumber


def load_sms_config(config_dir: Path) -> SmsConfig:
    """Read and check config/sms.yaml."""
    sms = load_config(config_dir, "sms.yaml", SmsFile)
    return SmsConfig(
        quiet_start=sms.quiet_hours.start,
        quiet_end=sms.quiet_hours.end,
        rate_max_messages=sms.rate_limit.max_messages,
        rate_window_seconds=sms.rate_limit.window_seconds,
        max_segments=sms.max_segments,
        survey_delay=timedelta(seconds=sms.survey_delay_seconds),
        reply_window=timedelta(days=sms.reply_window_days),
        retry_intervals=sms.retry_intervals,
        send_lookup_settle=timedelta(seconds=sms.send_lookup_settle_seconds),
    )


def load_reply_texts(config_dir: Path) -> dict[str, str]:
    """The survey, thanks, help and opt-out texts of config/sms_templates.yaml."""
    templates = load_sms_templates(config_dir)
    return {key: getattr(templates, key) for key in REPLY_TEXT_KEYS}
