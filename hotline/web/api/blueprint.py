"""The /api/ blueprint: every route module's blueprint under one prefix."""

from __future__ import annotations

from flask import Blueprint

from hotline.web.api import (
    agents,
    calls,
    consultations,
    followups,
    me,
    metrics,
    openapi,
    reports,
    tokens,
    voice_token,
    work_items,
)

ROUTE_MODULES = (
    agents,
    calls,
    consultations,
    followups,
    me,
    metrics,
    openapi,
    reports,
    tokens,
    voice_token,
    work_items,
)


def create_api_blueprint() -> Blueprint:
    """The routes of every API module under /api (endpoints api.<module>.<view>)."""
    api = Blueprint("api", __name__, url_prefix="/api")
    for module in ROUTE_MODULES:
        api.register_blueprint(module.bp)
    return api
