"""The JSON API under /api/ for agents, supervisors and the pages."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")


def register_routes() -> None:
    """Import the route modules so they attach to the blueprint."""
    from hotline.web.api import (  # noqa: F401
        agents,
        calls,
        consultations,
        followups,
        me,
        metrics,
        openapi,
        reports,
        tokens,  # noqa: F401
        voice_token,
        work_items,
    )


register_routes()
