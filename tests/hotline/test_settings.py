"""Settings are parsed strictly; production refuses to start without its secrets."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from hotline.settings import PRODUCTION_REQUIRED, SettingsError, load_settings

PRODUCTION_ENV = {
    "HOTLINE_ENV": "production",
    "SECRET_KEY": "a-production-secret-key-of-length",
    "DATABASE_URL": "postgresql://hotline@db.internal/hotline",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
    "TWILIO_AUTH_TOKEN": "production-token",
    "HOTLINE_PUBLIC_URL": "https://12348.example.gov.cn",
    "HOTLINE_NUMBER": "+8645112348",
}


def test_defaults_are_embedded(tmp_path):
    settings = load_settings({"HOTLINE_INSTANCE_DIR": str(tmp_path)})
    assert settings.env == "development"
    assert settings.database_url == f"sqlite:///{tmp_path / 'hotline.sqlite3'}"
    assert settings.redis_url is None
    assert settings.embedded_redis_path == tmp_path / "redis.db"
    assert settings.twilio_api_base_url == "https://api.twilio.com"


def test_complete_production_settings_load():
    settings = load_settings(PRODUCTION_ENV)
    assert settings.is_production
    assert settings.database_url == "postgresql+psycopg://hotline@db.internal/hotline"
    assert settings.public_url == "https://12348.example.gov.cn"


@pytest.mark.parametrize("missing", PRODUCTION_REQUIRED)
def test_production_without_a_required_setting_is_refused(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    with pytest.raises(SettingsError) as caught:
        load_settings(env)
    assert caught.value.variable == missing


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("HOTLINE_ENV", "staging"),
        ("DATABASE_URL", "mysql://x@y/z"),
        ("REDIS_URL", "http://cache"),
        ("TWILIO_ACCOUNT_SID", "not-a-sid"),
        ("TWILIO_API_BASE_URL", "ftp://fake"),
        ("HOTLINE_PUBLIC_URL", "12348.example.gov.cn"),
        ("HOTLINE_NUMBER", "12348"),
        ("HOTLINE_TRUSTED_PROXIES", "two"),
        ("HOTLINE_TRUSTED_PROXIES", "9"),
        ("HOTLINE_MAX_BODY_BYTES", "-1"),
        ("HOTLINE_LOG_LEVEL", "LOUD"),
        ("HOTLINE_CONFIG_DIR", "/nonexistent"),
        ("HOTLINE_METRICS_TOKEN", "short"),
        ("HOTLINE_METRICS_TOKEN", "a token with spaces in it"),
        ("HOTLINE_METRICS_TOKEN", "非ASCII的令牌非ASCII的令牌非ASCII"),
    ],
)
def test_a_bad_value_names_its_variable(variable, value):
    with pytest.raises(SettingsError) as caught:
        load_settings({variable: value})
    assert caught.value.variable == variable
    assert str(caught.value).startswith(f"{variable}: ")


def test_metrics_token_is_unset_by_default_and_kept_when_given():
    assert load_settings({}).metrics_token is None
    assert load_settings(PRODUCTION_ENV).metrics_token is None  # loopback-only /metrics
    token = "scrape-token-0123456789"
    assert load_settings({"HOTLINE_METRICS_TOKEN": f"  {token} "}).metrics_token == token


def test_short_production_secret_is_refused():
    with pytest.raises(SettingsError) as caught:
        load_settings(dict(PRODUCTION_ENV, SECRET_KEY="short"))
    assert caught.value.variable == "SECRET_KEY"


@pytest.mark.parametrize("missing", ["SECRET_KEY", "TWILIO_AUTH_TOKEN", "HOTLINE_NUMBER"])
def test_production_start_exits_non_zero_naming_the_setting(missing, tmp_path):
    """The real command line, as an operator would start it."""
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    env.update({k: v for k, v in PRODUCTION_ENV.items() if k != missing})
    env["HOTLINE_INSTANCE_DIR"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "hotline.cli", "db", "current"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert f"configuration error: {missing}: is required when HOTLINE_ENV=production" in (
        result.stderr
    )


def test_wsgi_entry_point_refuses_incomplete_production(monkeypatch):
    from hotline import create_app

    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("HOTLINE_PUBLIC_URL")
    with pytest.raises(SettingsError, match="HOTLINE_PUBLIC_URL"):
        create_app()
