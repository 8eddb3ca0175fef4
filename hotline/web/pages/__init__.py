"""The staff pages (Simplified Chinese): login, the agent console and the consultation log."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_wtf.csrf import generate_csrf

from hotline.consultations import is_supervisor
from hotline.models.vocabulary import AGENT_ROLES
from hotline.times import format_local
from hotline.web import csrf
from hotline.web.labels import (
    AGENT_STATUS_LABELS,
    EVENT_LABELS,
    OUTCOME_LABELS,
    ROLE_LABELS,
    STAGE_LABELS,
    duration_label,
    group_label,
    region_label,
    service_label,
)
from hotline.web.pages import (
    access,
    auth,
    call_log,
    console,
    consultation_pages,
    followup_desk,
    live,
    reports,
    staffing,
)


def register(app: Flask) -> None:
    """Install CSRF protection and the page blueprints on the app."""
    csrf.init_app(app)
    for blueprint in (
        auth.bp,
        console.bp,
        call_log.bp,
        consultation_pages.bp,
        followup_desk.bp,
        live.bp,
        reports.bp,
        staffing.bp,
    ):
        app.register_blueprint(blueprint)

    @app.context_processor
    def _page_globals() -> dict[str, Any]:
        return {
            "current_user": access.page_user(),
            "csrf_token": generate_csrf,
            "is_supervisor": is_supervisor,
            "agent_roles": AGENT_ROLES,
            "role_labels": ROLE_LABELS,
            "stage_labels": STAGE_LABELS,
            "outcome_labels": OUTCOME_LABELS,
            "event_labels": EVENT_LABELS,
            "status_labels": AGENT_STATUS_LABELS,
            "service_label": service_label,
            "region_label": region_label,
            "group_label": group_label,
            "duration": duration_label,
            "local_time": format_local,
        }
