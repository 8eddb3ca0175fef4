"""The call-back settings: attempts, their spacing, ring timeouts and prompts (callbacks.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from hotline.config_files import ConfigFileError, load_yaml

PROMPT_KEYS = ("intro_voicemail", "intro_request", "agent_missed", "talk_done", "agent_whisper",
               "agent_no_key", "gone")  # fmt: skip
NUMBER_KEYS = ("max_attempts", "citizen_ring_seconds", "agent_ring_seconds",
               "stale_margin_seconds", "max_talk_minutes")  # fmt: skip


@dataclass(frozen=True)
class CallbackConfig:
    """Attempts, their spacing, ring timeouts and what the citizen hears (config/callbacks.yaml)."""

    max_attempts: int
    retry_after_minutes: tuple[int, ...]
    citizen_ring_seconds: int
    agent_ring_seconds: int
    stale_margin_seconds: int
    max_talk_minutes: int
    prompts: dict[str, str]
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
        return self.prompts["agent_whisper"].format(source=source, region=region)


def _check_whisper(path: Path, text: str) -> None:
    try:
        text.format(source="", region="")
    except (KeyError, IndexError, ValueError) as exc:
        raise ConfigFileError(
            f"{path}: prompts.agent_whisper may only use {{source}} and {{region}}: {exc}"
        ) from None


@lru_cache(maxsize=8)
def load_callback_config(config_dir: Path) -> CallbackConfig:
    """Read and check config/callbacks.yaml."""
    path = config_dir / "callbacks.yaml"
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise ConfigFileError(f"{path}: needs a mapping")
    spacing = data.get("retry_after_minutes")
    if (
        not isinstance(spacing, list)
        or not spacing
        or not all(isinstance(v, int) and v > 0 for v in spacing)
    ):
        raise ConfigFileError(f"{path}: retry_after_minutes must list whole minutes > 0")
    numbers = {}
    for key in NUMBER_KEYS:
        value = data.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigFileError(f"{path}: {key} must be a whole number >= 1")
        numbers[key] = value
    prompts = data.get("prompts")
    missing = [k for k in PROMPT_KEYS if not isinstance((prompts or {}).get(k), str)]
    if missing:
        raise ConfigFileError(f"{path}: prompts.{missing[0]} must be a text")
    _check_whisper(path, prompts["agent_whisper"])
    if not isinstance(data.get("unreachable_sms"), str):
        raise ConfigFileError(f"{path}: unreachable_sms must be a text")
    return CallbackConfig(
        retry_after_minutes=tuple(spacing),
        prompts={key: prompts[key] for key in PROMPT_KEYS},
        unreachable_sms=data["unreachable_sms"],
        **numbers,
    )
