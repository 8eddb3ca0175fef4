"""The staffing planner: Erlang C agents needed per region and hour next to the rota."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("staffing", __name__, url_prefix="/staffing")
