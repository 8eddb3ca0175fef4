"""/metrics for Prometheus."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("prometheus", __name__)
