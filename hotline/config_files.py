"""Deployment data read from YAML files under the config directory, each checked by a model."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, ClassVar, TypeVar, cast

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

ModelT = TypeVar("ModelT", bound=BaseModel)

# Whole numbers as YAML writes them: true/false, "60" and 60.0 are refused.
PositiveWholeNumber = Annotated[int, Field(strict=True, gt=0)]
NonEmptyText = Annotated[str, Field(min_length=1)]

# How pydantic's own error types read after "'key.path'" in a message.
_REASONS = {
    "missing": "is missing",
    "model_type": "must be a mapping",
    "model_attributes_type": "must be a mapping",
    "dict_type": "must be a mapping",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "set_type": "must be a list",
    "frozen_set_type": "must be a list",
    "string_type": "must be a text",
    "bool_type": "must be true or false",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "greater_than": "must be more than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
    "too_short": "must hold at least {min_length} items",
    "string_too_short": "must hold at least {min_length} characters",
    "literal_error": "must be {expected}",
}
_DICT_KEY = "[key]"  # pydantic's location part for a mapping's key (not its value)


class ConfigFileError(Exception):
    """A config file is missing or does not have the expected shape; names the file."""


class ConfigModel(BaseModel):
    """A config file or one of its sections: unknown keys are refused, values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    # What the file's keys are called in its error messages ("setting 'x'"); "" names them bare.
    entry_name: ClassVar[str] = ""


def or_empty(empty: Any) -> BeforeValidator:
    """Read YAML's empty value (a key with nothing after it) as `empty`."""
    return BeforeValidator(lambda value: empty if value is None else value)


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


def parse_config(data: Any, where: str | Path, model: type[ModelT]) -> ModelT:
    """Check already-loaded config data with its model; one ConfigFileError lists every problem."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        entry = getattr(model, "entry_name", "")
        problems = (_problem(error, entry) for error in exc.errors(include_url=False))
        raise ConfigFileError("\n".join(f"{where}: {problem}" for problem in problems)) from None


def load_config(config_dir: Path, name: str, model: type[ModelT]) -> ModelT:
    """Read and check config_dir/name with its model (cached per path and model)."""
    # lru_cache's wrapper drops the TypeVar; the model is part of the cache key.
    return cast(ModelT, _load_config(config_dir, name, model))


@lru_cache(maxsize=64)
def _load_config(config_dir: Path, name: str, model: type[BaseModel]) -> BaseModel:
    path = config_dir / name
    return parse_config(load_yaml(path), path, model)


def _problem(error: ErrorDetails, entry: str) -> str:
    """One problem as "'key.path' reason", naming the key path and saying what is wrong."""
    loc = [str(part) for part in error["loc"]]
    is_key = _DICT_KEY in loc
    path = ".".join(loc[: loc.index(_DICT_KEY)] if is_key else loc)
    key = f"{entry} '{path}'" if entry else f"'{path}'"
    if error["type"] == "extra_forbidden":
        return f"unknown {entry or 'key'} '{path}'"
    reason = _reason(error)
    if is_key:
        reason = f"is a key that {reason}"
    if not path:
        return reason
    # A reason about the value itself ("'8:30' is not a time") is a sentence of its own.
    return f"{key}: {reason}" if reason.startswith("'") else f"{key} {reason}"


def _reason(error: ErrorDetails) -> str:
    """What is wrong: the text a validator raised, or pydantic's error type in plain words."""
    context = error.get("ctx") or {}
    if error["type"] in ("value_error", "assertion_error") and "error" in context:
        return str(context["error"])
    if error["type"] in ("too_short", "string_too_short") and context.get("min_length") == 1:
        return "must not be empty"
    template = _REASONS.get(error["type"])
    if template is None:
        return f"is not valid ({error['msg']})"
    # pydantic holds a float field's bounds as floats: "more than 0", not "more than 0.0".
    return template.format(**{k: _plain(v) for k, v in context.items()})


def _plain(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


class SayVoice(ConfigModel):
    """The voice and language of every <Say>."""

    voice: str
    language: str


class SpeechRecognition(ConfigModel):
    """The language speech is recognised in."""

    language: str


class VoiceConfig(ConfigModel):
    """How prompts are spoken and speech is recognised (config/voice.yaml)."""

    say: SayVoice
    speech: SpeechRecognition

    def say_attrs(self) -> dict[str, str]:
        """Attributes for every <Say>."""
        return {"voice": self.say.voice, "language": self.say.language}


class FallbackConfig(ConfigModel):
    """What /voice/fallback says and dials; static, so it works with the database down."""

    backup_duty_number: str
    dial_timeout_seconds: PositiveWholeNumber
    apology: str
    voicemail_prompt: str
    voicemail_max_seconds: PositiveWholeNumber
    goodbye: str
    error_apology: str


def load_voice_config(config_dir: Path) -> VoiceConfig:
    """Read config/voice.yaml."""
    return load_config(config_dir, "voice.yaml", VoiceConfig)


def load_fallback_config(config_dir: Path) -> FallbackConfig:
    """Read config/fallback.yaml."""
    return load_config(config_dir, "fallback.yaml", FallbackConfig)
