"""Flask extensions, created unbound and bound to an app with init_app."""

from __future__ import annotations

from typing import cast

import redis
from flask import Flask, current_app, g, has_request_context, request
from flask.sansio.app import App
from sqlalchemy.orm import Session

from callbacks.lifecycle import CallLifecycle
from hotline.config_files import FallbackConfig, VoiceConfig
from hotline.db import take_write_lock_first
from hotline.runtime import Runtime
from hotline.settings import Settings

RUNTIME_KEY = "hotline.runtime"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Flask types app.config and app.extensions as dicts of Any: these read what create_app and
# bind_runtime stored under each key, as the type it is.


def app_settings(app: App) -> Settings:
    """The Settings of an app (create_app stores them as HOTLINE_SETTINGS)."""
    return cast(Settings, app.config["HOTLINE_SETTINGS"])


def settings() -> Settings:
    """The Settings of the current app."""
    return app_settings(current_app)


def voice_config() -> VoiceConfig:
    """The current app's config/voice.yaml (read once by create_app)."""
    return cast(VoiceConfig, current_app.config["HOTLINE_VOICE"])


def fallback_config() -> FallbackConfig:
    """The current app's config/fallback.yaml (read once by create_app)."""
    return cast(FallbackConfig, current_app.config["HOTLINE_FALLBACK"])


def runtime() -> Runtime:
    """The Runtime of the current app."""
    return cast(Runtime, current_app.extensions[RUNTIME_KEY])


def lifecycle() -> CallLifecycle:
    """The call lifecycle on the current app's Runtime."""
    return CallLifecycle(runtime())


class Database:
    """One SQLAlchemy session per request, closed on teardown."""

    def init_app(self, app: Flask) -> None:
        app.teardown_appcontext(self._teardown)

    @property
    def session(self) -> Session:
        session: Session | None = g.get("db_session")
        if session is None:
            session = runtime().session()
            if has_request_context() and request.method not in SAFE_METHODS:
                # The request will write: no half-way "database is locked" on SQLite.
                take_write_lock_first(session)
            g.db_session = session
        return session

    def _teardown(self, exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is None:
            return
        if exc is not None:
            session.rollback()
        session.close()


class RedisStore:
    """The app's Redis client."""

    def init_app(self, app: Flask) -> None:
        pass

    @property
    def client(self) -> redis.Redis:
        return runtime().redis


def bind_runtime(app: Flask, rt: Runtime) -> None:
    """Attach a Runtime (engine, sessions, Redis) to the app."""
    app.extensions[RUNTIME_KEY] = rt


db = Database()
redis_store = RedisStore()


def rollback_quietly() -> None:
    """Roll back the request's session if it has one (used by error handlers)."""
    session: Session | None = g.get("db_session")
    if session is not None:
        session.rollback()
