"""Call-back and voicemail work items of agents, and starting their outbound calls."""

from __future__ import annotations

from hotline.web.api import bp  # noqa: F401
