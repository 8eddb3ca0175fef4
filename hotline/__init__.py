"""The 12348 legal hotline backend: core services, the web app and the CLI."""

from __future__ import annotations

from typing import Any


def create_app(config: Any = None) -> Any:
    """Build the Flask app (WSGI entry point: ``hotline:create_app()``)."""
    from hotline.web.app import create_app as _create_app

    return _create_app(config)
