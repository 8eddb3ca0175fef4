"""Routing settings (config/routing.yaml) and the queue prompts (config/queue_prompts.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import Field, field_validator, model_validator

from hotline.config_files import ConfigModel, load_config, parse_config

ANNOUNCE_RANGE = (30, 60)

# Seconds as YAML numbers: true/false and "60" are refused.
Seconds = Annotated[int, Field(strict=True, ge=0)]
FractionalSeconds = Annotated[float, Field(strict=True, ge=0)]


class RoutingConfig(ConfigModel):
    """Timers and limits of the routing policy and the router process (seconds)."""

    entry_name: ClassVar[str] = "setting"

    overflow_to_neighbours_after_seconds: Seconds = 60
    overflow_to_province_after_seconds: Seconds = 120
    overflow_to_all_regions_after_seconds: Seconds | None = 300
    max_wait_seconds: Seconds = 600
    ring_timeout_seconds: Seconds = 20
    wrap_up_seconds: Seconds = 60
    requeue_priority_boost: Seconds = 10
    announce_every_seconds: Seconds = 45
    service_level_seconds: Seconds = 20
    default_handle_seconds: Seconds = 360
    handle_time_samples: Seconds = 50
    offer_connect_timeout_seconds: Seconds = 30
    offer_settle_grace_seconds: Seconds = 60
    retry_after_seconds: Seconds = 5
    tick_seconds: Annotated[FractionalSeconds, Field(gt=0)] = 1.0
    roster_refresh_seconds: FractionalSeconds = 5.0
    reconcile_seconds: FractionalSeconds = 15.0

    @field_validator("announce_every_seconds")
    @classmethod
    def _announce_in_range(cls, seconds: int) -> int:
        low, high = ANNOUNCE_RANGE
        if not low <= seconds <= high:
            raise ValueError(f"must be between {low} and {high}")
        return seconds

    @model_validator(mode="after")
    def _province_after_neighbours(self) -> RoutingConfig:
        if self.overflow_to_province_after_seconds < self.overflow_to_neighbours_after_seconds:
            raise ValueError(
                "setting 'overflow_to_province_after_seconds' must not come before "
                "setting 'overflow_to_neighbours_after_seconds'"
            )
        return self

    def with_overrides(self, **changes: Any) -> RoutingConfig:
        """A checked copy with some settings replaced (tests and simulations)."""
        return RoutingConfig.model_validate({**self.model_dump(), **changes})


def parse_routing_config(data: Any, where: str | Path) -> RoutingConfig:
    """Check a mapping of routing settings; unknown keys and bad values are refused."""
    return parse_config(data, where, RoutingConfig)


@lru_cache(maxsize=8)
def load_routing_config(config_dir: Path) -> RoutingConfig:
    """Read and check config/routing.yaml."""
    return load_config(config_dir, "routing.yaml", RoutingConfig)


@dataclass(frozen=True)
class QueuePrompts:
    """The Mandarin texts of the waiting caller and of the agent's whisper."""

    texts: dict[str, str]

    def text(self, key: str, **values: Any) -> str:
        """The prompt with its {placeholders} filled."""
        return self.texts[key].format(**values)


class QueueTexts(ConfigModel):
    """The `queue:` prompts of config/queue_prompts.yaml, by key."""

    hold: str
    position: str
    position_next: str
    callback_offer: str
    keep_waiting: str
    connecting: str
    agent_missed: str
    nobody: str
    waited_long: str
    alternatives: str
    queue_full: str
    callback_done: str
    callback_anonymous: str
    voicemail_prompt: str
    voicemail_done: str
    voicemail_none: str
    goodbye: str
    whisper: str
    whisper_green: str
    whisper_no_key: str
    whisper_gone: str


class QueuePromptsFile(ConfigModel):
    """config/queue_prompts.yaml."""

    queue: QueueTexts


PROMPT_KEYS = tuple(QueueTexts.model_fields)


@lru_cache(maxsize=8)
def load_queue_prompts(config_dir: Path) -> QueuePrompts:
    """Read and check the `queue:` section of config/queue_prompts.yaml."""
    texts = load_config(config_dir, "queue_prompts.yaml", QueuePromptsFile).queue
    return QueuePrompts(texts=texts.model_dump())
