"""The call-back settings: attempts, their spacing, ring timeouts and prompts (callbacks.yaml)."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator

from hotline.config_files import ConfigModel, PositiveWholeNumber, load_config


class ReturnCallPrompts(ConfigModel):
    """What the citizen and the agent hear on a call-back."""

    intro_voicemail: str
    intro_request: str
    agent_missed: str
    talk_done: str
    agent_whisper: str
    agent_no_key: str
    gone: str

    @field_validator("agent_whisper")
    @classmethod
    def _source_and_region_only(cls, text: str) -> str:
        try:
            text.format(source="", region="")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"may only use {{source}} and {{region}}: {exc}") from None
        return text


class ReturnCallConfig(ConfigModel):
    """Attempts, their spacing, ring timeouts and what the citizen hears (config/callbacks.yaml)."""

    max_attempts: PositiveWholeNumber
    retry_after_minutes: tuple[PositiveWholeNumber, ...] = Field(min_length=1)
    citizen_ring_seconds: PositiveWholeNumber
    agent_ring_seconds: PositiveWholeNumber
    stale_margin_seconds: PositiveWholeNumber
    max_talk_minutes: PositiveWholeNumber
    prompts: ReturnCallPrompts
    unreachable_sms: str

    def retry_delay(self, failures: int) -> timedelta:
        """The wait before the next attempt after this many failed ones."""
        index = min(max(failures, 1), len(self.retry_after_minutes)) - 1
        return timedelta(minutes=self.retry_after_minutes[index])

    @property
    def stale_after(self) -> timedelta:
        """How long an attempt nobody talks on may go without a sign of life."""
        seconds = self.citizen_ring_seconds + self.agent_ring_seconds + self.stale_margin_seconds
        return timedelta(seconds=seconds)

    @property
    def talk_limit_seconds(self) -> int:
        """The longest call-back talk (the <Dial>'s timeLimit)."""
        return self.max_talk_minutes * 60

    def whisper(self, source: str, region: str) -> str:
        """What the agent hears on answering: the item's source and region, then "press 1"."""
        return self.prompts.agent_whisper.format(source=source, region=region)


@lru_cache(maxsize=8)
def load_return_call_config(config_dir: Path) -> ReturnCallConfig:
    """Read and check config/callbacks.yaml."""
    return load_config(config_dir, "callbacks.yaml", ReturnCallConfig)
