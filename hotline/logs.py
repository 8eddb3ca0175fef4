"""Logging for every process (web, worker, router, serve, demo): one format, one level setting.

Lines read `2026-12-01 10:00:00,123 INFO hotline.router call_sid=CA…: offered …`; the
`call_sid=` part appears while a webhook, job or router step works on a call (`call_context`).
The level comes from HOTLINE_LOG_LEVEL (Settings.log_level).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

FORMAT = "%(asctime)s %(levelname)s %(name)s%(call)s: %(message)s"
# Libraries that log every request at INFO: their lines say nothing the service does not.
QUIET_LOGGERS = ("twilio.http_client",)

_call_sid: ContextVar[str | None] = ContextVar("hotline_call_sid", default=None)


class CallContext(logging.Filter):
    """Adds ` call_sid=…` to a record made while a call is being worked on."""

    def filter(self, record: logging.LogRecord) -> bool:
        call_sid = _call_sid.get()
        record.call = f" call_sid={call_sid}" if call_sid else ""
        return True


_handler: logging.Handler | None = None


def configure_logging(level: str) -> None:
    """Send records to stderr in the one format; the service's own at `level` (idempotent).

    Other libraries keep the root logger's level (warnings and errors) unless they set their
    own, as RQ's worker does.
    """
    global _handler
    root = logging.getLogger()
    if _handler is None or _handler not in root.handlers:
        _handler = logging.StreamHandler()
        _handler.setFormatter(logging.Formatter(FORMAT))
        _handler.addFilter(CallContext())
        root.addHandler(_handler)
    logging.getLogger("hotline").setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def bind_call_sid(call_sid: str | None) -> Token[str | None]:
    """Name the call this context works on; returns the token `unbind_call_sid` takes."""
    return _call_sid.set(call_sid or None)


def unbind_call_sid(token: Token[str | None]) -> None:
    """Forget the call named by `bind_call_sid`."""
    _call_sid.reset(token)


@contextmanager
def call_context(call_sid: str | None) -> Iterator[None]:
    """Log lines within the block carry `call_sid=`."""
    token = bind_call_sid(call_sid)
    try:
        yield
    finally:
        unbind_call_sid(token)
