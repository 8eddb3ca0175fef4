"""The fake Twilio REST API now lives in hotline.devtools.fake_twilio; re-exported for tests."""

from __future__ import annotations

from hotline.devtools.fake_twilio import (
    ACCOUNT,
    API,
    MORE_INFO,
    FakeTwilio,
    RecordedRequest,
    is_sid,
    new_sid,
)

__all__ = ["ACCOUNT", "API", "MORE_INFO", "FakeTwilio", "RecordedRequest", "is_sid", "new_sid"]
