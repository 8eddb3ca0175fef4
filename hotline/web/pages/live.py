"""The supervisors' live view of queues, agents and today's KPIs (SSE)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("live", __name__, url_prefix="/live")
