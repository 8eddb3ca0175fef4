"""GET /api/metrics/live and the supervisor actions on agents and waiting calls."""

from __future__ import annotations

from hotline.web.api import bp  # noqa: F401
