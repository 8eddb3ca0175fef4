"""Outbound call-back calls: the TwiML when the citizen answers, and their status callbacks."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("callback_calls", __name__, url_prefix="/voice/callback")
