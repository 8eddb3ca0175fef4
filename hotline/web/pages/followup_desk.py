"""The supervisors' follow-up desk: 回访 tasks, failed messages, unmatched replies."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("followup_desk", __name__, url_prefix="/followups")
