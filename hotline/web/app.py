"""The Flask application factory."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from hotline.config_files import load_fallback_config, load_voice_config
from hotline.logs import configure_logging
from hotline.runtime import Runtime
from hotline.settings import Settings, load_settings
from hotline.web.extensions import bind_runtime, db, redis_store


def _resolve_settings(config: Settings | Mapping[str, Any] | None) -> Settings:
    if isinstance(config, Settings):
        return config
    settings = load_settings()
    if config:
        settings = settings.with_overrides(**dict(config))
    return settings


class DatabaseId(IntegerConverter):
    """`<int:…>` URL parts: 1 to 2**31 - 1, the range of the tables' integer keys."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def create_app(
    config: Settings | Mapping[str, Any] | None = None, runtime: Runtime | None = None
) -> Flask:
    """Build the app from Settings (or overrides of the environment's settings)."""
    settings = runtime.settings if runtime is not None else _resolve_settings(config)
    configure_logging(settings.log_level)
    app = Flask(
        "hotline",
        instance_path=str(settings.instance_dir),
        template_folder="web/templates",
        static_folder="web/static",
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        HOTLINE_SETTINGS=settings,
        HOTLINE_VOICE=load_voice_config(settings.config_dir),
        HOTLINE_FALLBACK=load_fallback_config(settings.config_dir),
        JSON_AS_ASCII=False,
    )
    if isinstance(app.json, DefaultJSONProvider):  # Flask's own provider, the one in use
        app.json.ensure_ascii = False
    # Ids are 32-bit in the schema: a larger one in a URL is a 404, not a database error.
    app.url_map.converters["int"] = DatabaseId
    if settings.trusted_proxies:
        # Behind N proxies, trust their X-Forwarded-Proto/Host so signatures use the public URL.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's way to wrap wsgi_app
            app.wsgi_app,
            x_for=settings.trusted_proxies,
            x_proto=settings.trusted_proxies,
            x_host=settings.trusted_proxies,
            x_port=settings.trusted_proxies,
            x_prefix=settings.trusted_proxies,
        )

    bind_runtime(app, runtime or Runtime(settings))
    db.init_app(app)
    redis_store.init_app(app)

    from hotline.web import (
        errors,
        health,
        ivr,
        prometheus,
        queue,
        return_calls,
        sms,
        startup,
        storable,
        twilio_auth,
        voice,
    )
    from hotline.web.api.blueprint import create_api_blueprint

    startup.load_config_files(settings.config_dir)
    app.before_request(storable.refuse_unstorable_page_input)
    app.register_blueprint(health.bp)
    app.register_blueprint(voice.bp)
    app.register_blueprint(ivr.bp)
    app.register_blueprint(sms.bp)
    app.register_blueprint(queue.bp)
    app.register_blueprint(return_calls.bp)
    app.register_blueprint(prometheus.bp)
    app.register_blueprint(create_api_blueprint())
    errors.register(app)
    twilio_auth.log_call_sids(app)

    from hotline.web import pages

    pages.register(app)  # login, console, call log; CSRF for browser sessions
    return app
