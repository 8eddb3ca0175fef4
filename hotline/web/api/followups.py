"""Return visits (回访), failed messages and unmatched replies for supervisors."""

from __future__ import annotations

from hotline.web.api import bp  # noqa: F401
