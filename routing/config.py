"""Routing settings (config/routing.yaml) and the queue prompts (config/queue_prompts.yaml)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from hotline.config_files import ConfigFileError, load_yaml

ANNOUNCE_RANGE = (30, 60)


@dataclass(frozen=True)
class RoutingConfig:
    """Timers and limits of the routing policy and the router process (seconds)."""

    overflow_to_neighbours_after_seconds: int = 60
    overflow_to_province_after_seconds: int = 120
    overflow_to_all_regions_after_seconds: int | None = 300
    max_wait_seconds: int = 600
    ring_timeout_seconds: int = 20
    wrap_up_seconds: int = 60
    requeue_priority_boost: int = 10
    announce_every_seconds: int = 45
    service_level_seconds: int = 20
    default_handle_seconds: int = 360
    handle_time_samples: int = 50
    offer_connect_timeout_seconds: int = 30
    offer_settle_grace_seconds: int = 60
    retry_after_seconds: int = 5
    tick_seconds: float = 1.0
    roster_refresh_seconds: float = 5.0
    reconcile_seconds: float = 15.0

    def with_overrides(self, **changes: Any) -> RoutingConfig:
        """A copy with some settings replaced (tests and simulations)."""
        return replace(self, **changes)


_OPTIONAL = {"overflow_to_all_regions_after_seconds"}
_FLOATS = {"tick_seconds", "roster_refresh_seconds", "reconcile_seconds"}


def parse_routing_config(data: Any, where: str) -> RoutingConfig:
    """Check a mapping of routing settings; unknown keys and bad values are refused."""
    if not isinstance(data, dict):
        raise ConfigFileError(f"{where}: must be a mapping of settings")
    known = {f.name for f in fields(RoutingConfig)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigFileError(f"{where}: unknown setting {unknown[0]!r}")
    values: dict[str, Any] = {}
    for name, value in data.items():
        if value is None and name in _OPTIONAL:
            values[name] = None
            continue
        kinds = (int, float) if name in _FLOATS else (int,)
        if isinstance(value, bool) or not isinstance(value, kinds) or value < 0:
            raise ConfigFileError(f"{where}: {name} must be a number of seconds >= 0")
        values[name] = float(value) if name in _FLOATS else int(value)
    config = RoutingConfig(**values)
    low, high = ANNOUNCE_RANGE
    if not low <= config.announce_every_seconds <= high:
        raise ConfigFileError(f"{where}: announce_every_seconds must be between {low} and {high}")
    if config.overflow_to_province_after_seconds < config.overflow_to_neighbours_after_seconds:
        raise ConfigFileError(f"{where}: the province overflow must not come before neighbours")
    if config.tick_seconds <= 0:
        raise ConfigFileError(f"{where}: tick_seconds must be more than 0")
    return config


@lru_cache(maxsize=8)
def load_routing_config(config_dir: Path) -> RoutingConfig:
    """Read and check config/routing.yaml."""
    path = config_dir / "routing.yaml"
    return parse_routing_config(load_yaml(path), str(path))


@dataclass(frozen=True)
class QueuePrompts:
    """The Mandarin texts of the waiting caller and of the agent's whisper."""

    texts: dict[str, str]

    def text(self, key: str, **values: Any) -> str:
        """The prompt with its {placeholders} filled."""
        return self.texts[key].format(**values)


PROMPT_KEYS = (
    "hold",
    "position",
    "position_next",
    "callback_offer",
    "keep_waiting",
    "connecting",
    "agent_missed",
    "nobody",
    "waited_long",
    "alternatives",
    "queue_full",
    "callback_done",
    "callback_anonymous",
    "voicemail_prompt",
    "voicemail_done",
    "voicemail_none",
    "goodbye",
    "whisper",
    "whisper_green",
    "whisper_no_key",
    "whisper_gone",
)


@lru_cache(maxsize=8)
def load_queue_prompts(config_dir: Path) -> QueuePrompts:
    """Read and check the `queue:` section of config/queue_prompts.yaml."""
    path = config_dir / "queue_prompts.yaml"
    data = load_yaml(path)
    section = data.get("queue") if isinstance(data, dict) else None
    if not isinstance(section, dict):
        raise ConfigFileError(f"{path}: needs a 'queue' mapping of prompts")
    missing = [key for key in PROMPT_KEYS if not isinstance(section.get(key), str)]
    if missing:
        raise ConfigFileError(f"{path}: queue.{missing[0]} must be a text")
    return QueuePrompts(texts={key: section[key] for key in PROMPT_KEYS})
