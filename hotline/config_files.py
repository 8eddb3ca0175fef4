"""Deployment data read from YAML files under the config directory."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml


class ConfigFileError(Exception):
    """A config file is missing or does not have the expected shape; names the file."""


@lru_cache(maxsize=64)
def load_yaml(path: Path) -> Any:
    """Parse one YAML file (cached per path for the life of the process)."""
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError:
        raise ConfigFileError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigFileError(f"{path}: not valid YAML: {exc}") from None


def _require(data: Any, path: Path, key: str, kind: type) -> Any:
    if not isinstance(data, dict) or not isinstance(data.get(key), kind):
        raise ConfigFileError(f"{path}: '{key}' must be a {kind.__name__}")
    return data[key]


@dataclass(frozen=True)
class VoiceConfig:
    """How prompts are spoken and speech is recognised."""

    say_voice: str
    say_language: str
    speech_language: str

    def say_attrs(self) -> dict[str, str]:
        """Attributes for every <Say>."""
        return {"voice": self.say_voice, "language": self.say_language}


@dataclass(frozen=True)
class FallbackConfig:
    """What /voice/fallback says and dials; static, so it works with the database down."""

    backup_duty_number: str
    dial_timeout_seconds: int
    apology: str
    voicemail_prompt: str
    voicemail_max_seconds: int
    goodbye: str
    error_apology: str


def load_voice_config(config_dir: Path) -> VoiceConfig:
    """Read config/voice.yaml."""
    path = config_dir / "voice.yaml"
    data = load_yaml(path)
    say = _require(data, path, "say", dict)
    speech = _require(data, path, "speech", dict)
    return VoiceConfig(
        say_voice=str(_require(say, path, "voice", str)),
        say_language=str(_require(say, path, "language", str)),
        speech_language=str(_require(speech, path, "language", str)),
    )


def load_fallback_config(config_dir: Path) -> FallbackConfig:
    """Read config/fallback.yaml."""
    path = config_dir / "fallback.yaml"
    data = load_yaml(path)
    return FallbackConfig(
        backup_duty_number=str(_require(data, path, "backup_duty_number", str)),
        dial_timeout_seconds=int(_require(data, path, "dial_timeout_seconds", int)),
        apology=_require(data, path, "apology", str),
        voicemail_prompt=_require(data, path, "voicemail_prompt", str),
        voicemail_max_seconds=int(_require(data, path, "voicemail_max_seconds", int)),
        goodbye=_require(data, path, "goodbye", str),
        error_apology=_require(data, path, "error_apology", str),
    )
