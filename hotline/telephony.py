"""Telephony adapter: the Twilio REST client, pointed at the configured API base URL."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast
from urllib.parse import urlsplit

import requests
from twilio.base import values
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from urllib3.exceptions import ConnectTimeoutError

from hotline.settings import Settings

TWILIO_API_URL = "https://api.twilio.com"
REQUEST_TIMEOUT_SECONDS = 10.0

# Twilio error codes that mean "try again later" whatever the HTTP status says.
RETRYABLE_CODES = frozenset({20429, 20500, 20503, 20504, 14107, 21611})
RETRYABLE_STATUSES = frozenset({408, 429})
CALL_END_STATUSES = ("completed", "canceled")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
# Pages of the Messages list when looking a sent message up; a number's day holds a handful.
MESSAGES_PAGE_SIZE = 100
MESSAGES_LIST_LIMIT = 1000


class TelephonyError(Exception):
    """A Twilio REST request failed; `retryable` says whether trying again may help.

    `outcome_unknown` says that Twilio may have carried the request out although we got no
    answer (the answer timed out or was cut off): a create may have created.
    """

    retryable = False
    outcome_unknown = False

    def __init__(self, message: str, status: int | None = None, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code

    def __str__(self) -> str:
        return f"{self.message} (status={self.status}, code={self.code})"


class RetryableTelephonyError(TelephonyError):
    """A failure that may pass on a later attempt: rate limits, 5xx, network trouble."""

    retryable = True


class UnansweredTelephonyError(RetryableTelephonyError):
    """The request may have reached Twilio, but its answer never came back."""

    outcome_unknown = True


class PermanentTelephonyError(TelephonyError):
    """A failure that will repeat: bad numbers, unknown resources, wrong credentials."""

    retryable = False


def _is_retryable(status: int | None, code: int | None) -> bool:
    if code in RETRYABLE_CODES:
        return True
    if status is None:
        return False
    return status in RETRYABLE_STATUSES or status >= 500


def _from_status(message: str, status: int | None, code: int | None) -> TelephonyError:
    if _is_retryable(status, code):
        return RetryableTelephonyError(message, status=status, code=code)
    return PermanentTelephonyError(message, status=status, code=code)


def _page_error(exc: TwilioException) -> TelephonyError:
    # Page.process_response raises TwilioException("Unable to fetch page", response).
    response = exc.args[1] if len(exc.args) > 1 else None
    if not isinstance(response, Response):
        return PermanentTelephonyError(str(exc) or type(exc).__name__)
    code = None
    message = exc.args[0]
    try:
        payload = json.loads(response.text)
        code = payload.get("code")
        message = payload.get("message") or message
    except (ValueError, AttributeError):
        pass
    return _from_status(str(message), response.status_code, code)


def _never_connected(exc: requests.RequestException) -> bool:
    """Whether no connection was made (refused, unknown host, connect timeout): nothing sent."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, ConnectTimeoutError)  # NewConnectionError is one too


def classify_error(exc: BaseException) -> TelephonyError:
    """Turn an exception from the Twilio SDK or `requests` into a TelephonyError."""
    if isinstance(exc, TelephonyError):
        return exc
    if isinstance(exc, TwilioRestException):
        return _from_status(str(exc.msg), exc.status, exc.code)
    if isinstance(exc, TwilioServiceException):
        return _from_status(str(exc.detail or exc.title), exc.status, exc.code)
    if isinstance(exc, TwilioException):
        return _page_error(exc)
    if isinstance(exc, requests.Timeout | requests.ConnectionError):
        if _never_connected(exc):
            return RetryableTelephonyError(f"Twilio API unreachable: {exc}")
        # A read timeout or a dropped connection: the request may have been carried out.
        return UnansweredTelephonyError(f"Twilio API did not answer: {exc}")
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return UnansweredTelephonyError(f"Twilio API answer cut short: {exc}")
    return PermanentTelephonyError(f"Twilio API request failed: {type(exc).__name__}: {exc}")


@dataclass(frozen=True)
class SentSms:
    """A message as Twilio's Messages list shows it."""

    sid: str
    to: str
    from_: str
    body: str
    status: str
    direction: str
    date_created: datetime | None
    date_sent: datetime | None
    error_code: int | None


class BaseUrlHttpClient(TwilioHttpClient):  # type: ignore[misc]  # twilio is untyped: base is Any
    """The SDK's HTTP client, sending requests for api.twilio.com to another base URL."""

    def __init__(self, base_url: str, timeout: float = REQUEST_TIMEOUT_SECONDS) -> None:
        super().__init__(timeout=timeout)
        self.base_url = base_url.rstrip("/")
        if urlsplit(self.base_url).hostname in LOOPBACK_HOSTS and self.session is not None:
            # A local (fake) API must never be reached through an environment proxy.
            self.session.trust_env = False

    def rewrite_url(self, url: str) -> str:
        """Replace the https://api.twilio.com prefix with the base URL, keeping path and query."""
        rest = url[len(TWILIO_API_URL) :]
        if url.startswith(TWILIO_API_URL) and (rest == "" or rest[0] in "/?"):
            return self.base_url + rest
        return url

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        """Send the request to the rewritten URL."""
        return super().request(method, self.rewrite_url(url), *args, **kwargs)


class Telephony:
    """The calls and messages the hotline makes through Twilio's REST API."""

    def __init__(self, settings: Settings, timeout: float = REQUEST_TIMEOUT_SECONDS) -> None:
        self.settings = settings
        self.http_client = BaseUrlHttpClient(settings.twilio_api_base_url, timeout=timeout)
        self.client = Client(
            username=settings.twilio_account_sid,
            password=settings.twilio_auth_token,
            account_sid=settings.twilio_account_sid,
            http_client=self.http_client,
        )
        # Edge and region read from TWILIO_EDGE/TWILIO_REGION would change the host name.
        self.client.edge = None
        self.client.region = None
        self._queue_sids: dict[str, str] = {}
        self._queue_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Telephony:
        """Build the adapter from the deployment settings."""
        return cls(settings)

    def send_sms(self, to: str, body: str, status_callback: str | None = None) -> str:
        """Send an SMS from the hotline number; return the Message SID."""
        try:
            message = self.client.messages.create(
                to=to,
                from_=self.settings.hotline_number,
                body=body,
                status_callback=_or_unset(status_callback),
            )
        except Exception as exc:
            raise classify_error(exc) from exc
        return cast(str, message.sid)  # twilio ships no types; a SID is a string

    def list_sms(self, to: str, from_: str, sent_since: date) -> list[SentSms]:
        """The messages from `from_` to `to` sent on or after a (GMT) day, newest first.

        Twilio's Messages list with To, From and DateSent>=YYYY-MM-DD, every page read.
        """
        try:
            found = self.client.messages.list(
                to=to,
                from_=from_,
                date_sent_after=sent_since.isoformat(),  # the SDK passes a text unchanged
                page_size=MESSAGES_PAGE_SIZE,
                limit=MESSAGES_LIST_LIMIT,
            )
        except Exception as exc:
            raise classify_error(exc) from exc
        return [_sent_sms(message) for message in found]

    def create_call(
        self,
        to: str,
        url: str,
        status_callback: str | None = None,
        from_: str | None = None,
        timeout: int | None = None,
    ) -> str:
        """Place an outbound call that fetches its TwiML from `url`; return the Call SID."""
        try:
            call = self.client.calls.create(
                to=to,
                from_=from_ or self.settings.hotline_number,
                url=url,
                status_callback=_or_unset(status_callback),
                timeout=_or_unset(timeout),
            )
        except Exception as exc:
            raise classify_error(exc) from exc
        return cast(str, call.sid)  # twilio ships no types; a SID is a string

    def update_call(
        self,
        call_sid: str,
        *,
        url: str | None = None,
        twiml: str | None = None,
        status: str | None = None,
        method: str = "POST",
    ) -> None:
        """Redirect a live call to a URL or TwiML, or end it with status completed/canceled."""
        if url is None and twiml is None and status is None:
            raise ValueError("update_call needs url, twiml or status")
        if status is not None and status not in CALL_END_STATUSES:
            raise ValueError(f"status must be one of {CALL_END_STATUSES}, got {status!r}")
        try:
            self.client.calls(call_sid).update(
                url=_or_unset(url),
                method=method if url is not None else _or_unset(None),
                twiml=_or_unset(twiml),
                status=_or_unset(status),
            )
        except Exception as exc:
            raise classify_error(exc) from exc

    def update_queue_member(
        self, queue_sid: str, call_sid: str, url: str, method: str = "POST"
    ) -> None:
        """Dequeue a call (or "Front") and send it to the TwiML at `url`."""
        try:
            self.client.queues(queue_sid).members(call_sid).update(url=url, method=method)
        except Exception as exc:
            raise classify_error(exc) from exc

    def queue_sid(self, friendly_name: str) -> str:
        """Return the SID of the queue with this FriendlyName, creating the queue if needed."""
        with self._queue_lock:
            if friendly_name in self._queue_sids:
                return self._queue_sids[friendly_name]
            try:
                sid = next(
                    (
                        queue.sid
                        for queue in self.client.queues.stream(page_size=100)
                        if queue.friendly_name == friendly_name
                    ),
                    None,
                )
                if sid is None:
                    sid = self.client.queues.create(friendly_name=friendly_name).sid
            except Exception as exc:
                raise classify_error(exc) from exc
            self._queue_sids[friendly_name] = sid
            return cast(str, sid)  # twilio ships no types; a SID is a string


def _sent_sms(message: Any) -> SentSms:
    """A SentSms of the SDK's MessageInstance (untyped: its fields are read one by one)."""
    return SentSms(
        sid=str(message.sid),
        to=str(message.to or ""),
        from_=str(message.from_ or ""),
        body=str(message.body or ""),
        status=str(message.status or ""),
        direction=str(message.direction or ""),
        date_created=_when(message.date_created),
        date_sent=_when(message.date_sent),
        error_code=message.error_code if isinstance(message.error_code, int) else None,
    )


def _when(value: Any) -> datetime | None:
    # The SDK gives a UTC datetime, or the text itself when it could not read it.
    return value if isinstance(value, datetime) else None


def _or_unset(value: Any) -> Any:
    """Map None to the SDK's "leave this parameter out" marker."""
    return values.unset if value is None else value
