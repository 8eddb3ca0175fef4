"""A fake Twilio REST API (2010-04-01) on 127.0.0.1 for the real twilio client (tests, demo)."""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from hotline import clock
from hotline.settings import DEV_ACCOUNT_SID, DEV_AUTH_TOKEN

API = "/2010-04-01"
ACCOUNT = API + "/Accounts/<account_sid>"
MORE_INFO = "https://www.twilio.com/docs/errors/{code}"


def new_sid(prefix: str) -> str:
    """A Twilio-shaped SID: two letters and 32 hex digits."""
    return prefix + secrets.token_hex(16)


def is_sid(value: str, prefix: str) -> bool:
    """Whether `value` is `prefix` followed by 32 hex digits."""
    return re.fullmatch(re.escape(prefix) + "[0-9a-f]{32}", value) is not None


def rfc2822(moment: datetime) -> str:
    """A time as Twilio's JSON writes it: "Thu, 26 Nov 2026 02:00:00 +0000"."""
    return format_datetime(moment.astimezone(UTC))


def _now() -> str:
    # The process's clock: a test or simulation on a manual clock sees its own time at "Twilio".
    return rfc2822(clock.now())


# The Messages list's date filters: DateSent=YYYY-MM-DD, DateSent<=YYYY-MM-DD (the parameter
# "DateSent<") and DateSent>=YYYY-MM-DD ("DateSent>"), GMT days; the SDK may send a full
# "YYYY-MM-DDTHH:MM:SSZ", whose day counts.
DayTest = Callable[[date, date], bool]  # (the day a message was sent, the filter's day)
DATE_SENT_FILTERS: dict[str, DayTest] = {
    "DateSent": lambda sent, day: sent == day,
    "DateSent<": lambda sent, day: sent <= day,
    "DateSent>": lambda sent, day: sent >= day,
}
TO_FROM = ("To", "From")
MESSAGES_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


def _filter_day(value: str) -> date | None:
    """The GMT day of a DateSent filter value, or None if it is not a date."""
    try:
        if len(value) == len("YYYY-MM-DD"):
            return date.fromisoformat(value)
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(UTC).date() if moment.tzinfo is not None else moment.date()


def _sent_on(message: dict[str, Any], days: list[tuple[DayTest, date]]) -> bool:
    """Whether a message passes the DateSent filters (one not sent yet passes none)."""
    if not days:
        return True
    sent = message.get("date_sent")
    if not sent:
        return False
    day = parsedate_to_datetime(sent).astimezone(UTC).date()
    return all(matches(day, bound) for matches, bound in days)


def _sent_order(message: dict[str, Any]) -> datetime:
    # Messages not sent yet (no date_sent) come first, as the newest.
    sent = message.get("date_sent")
    return parsedate_to_datetime(sent) if sent else datetime.max.replace(tzinfo=UTC)


class QuietRequestHandler(WSGIRequestHandler):
    """Keeps the access log of every fake API request out of the test output."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received."""

    method: str
    path: str
    form: dict[str, str]
    auth_user: str | None
    query: dict[str, str] = field(default_factory=dict)


@dataclass
class _Failure:
    status: int
    code: int
    message: str


class FakeTwilio:
    """Answers the Messages, Calls and Queues endpoints like Twilio and records every request."""

    def __init__(self, account_sid: str = DEV_ACCOUNT_SID, auth_token: str = DEV_AUTH_TOKEN):
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._failures: list[_Failure] = []
        self._late_answers: list[float] = []
        self.messages: dict[str, dict[str, Any]] = {}
        self.calls: dict[str, dict[str, Any]] = {}
        self.queues: dict[str, dict[str, Any]] = {}
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        # Called with (CallSid, form) after each accepted Calls update, outside the lock: the
        # demo's live calls follow a redirect (Url) or hang up (Status) as Twilio would.
        self.call_listener: Callable[[str, dict[str, str]], None] | None = None
        self.app = self._build_app()

    # ----- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeTwilio:
        """Serve on an ephemeral port of 127.0.0.1 in a background thread."""
        if self._server is None:
            self._server = make_server(
                "127.0.0.1", 0, self.app, threaded=True, request_handler=QuietRequestHandler
            )
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._server = self._thread = None

    @property
    def base_url(self) -> str:
        """The URL to use as TWILIO_API_BASE_URL, e.g. http://127.0.0.1:54321."""
        if self._server is None:
            raise RuntimeError("FakeTwilio is not started")
        return f"http://127.0.0.1:{self._server.server_port}"

    # ----- test helpers ----------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of every request received so far, oldest first."""
        with self.lock:
            return list(self._requests)

    def requests_to(self, suffix: str, method: str | None = None) -> list[RecordedRequest]:
        """The recorded requests whose path ends with `suffix` (and have `method`, if given)."""
        return [
            r
            for r in self.requests
            if r.path.endswith(suffix) and (method is None or r.method == method.upper())
        ]

    def fail_next(
        self,
        n: int = 1,
        status: int = 500,
        code: int = 20500,
        message: str = "Internal Server Error",
    ) -> None:
        """Answer the next `n` requests with a Twilio-style error (they are still recorded)."""
        with self.lock:
            self._failures.extend(_Failure(status, code, message) for _ in range(n))

    def answer_late_next(self, seconds: float) -> None:
        """Carry out the next request, then hold its answer back for `seconds`."""
        # A client whose timeout is shorter gives up without knowing what was carried out.
        with self.lock:
            self._late_answers.append(seconds)

    def clear(self) -> None:
        """Forget recorded requests, pending failures and late answers."""
        with self.lock:
            self._requests.clear()
            self._failures.clear()
            self._late_answers.clear()

    def reset(self) -> None:
        """Back to a fresh state: no requests, failures, messages, calls or queues."""
        with self.lock:
            self._requests.clear()
            self._failures.clear()
            self._late_answers.clear()
            self.messages.clear()
            self.calls.clear()
            self.queues.clear()

    def add_queue(self, friendly_name: str) -> str:
        """Create a queue as if made earlier through the API; return its SID."""
        with self.lock:
            sid = new_sid("QU")
            self.queues[sid] = self._new_queue(sid, friendly_name, 1000)
            return sid

    def set_call_status(self, call_sid: str, status: str) -> None:
        """Pretend a call reached `status` (e.g. "completed": later redirects then fail)."""
        with self.lock:
            self._call(call_sid)["status"] = status

    def add_message(
        self,
        to: str,
        from_: str,
        body: str,
        sent_at: datetime,
        status: str = "delivered",
    ) -> str:
        """Store a message as if sent earlier through the API (at `sent_at`); return its SID."""
        message = self._message_json(new_sid("SM"), to, from_, body, status, sent_at, sent_at)
        with self.lock:
            self.messages[message["sid"]] = message
        return str(message["sid"])

    # ----- HTTP ------------------------------------------------------------------------------

    def _uri(self, tail: str) -> str:
        return f"{API}/Accounts/{self.account_sid}/{tail}"

    def _error(self, status: int, code: int, message: str) -> Response:
        body = {"code": code, "message": message, "more_info": MORE_INFO.format(code=code)}
        body["status"] = status
        response = jsonify(body)
        response.status_code = status
        return response

    def _before_request(self) -> Response | None:
        auth = request.authorization
        record = RecordedRequest(
            method=request.method,
            path=request.path,
            form=request.form.to_dict(),
            auth_user=auth.username if auth else None,
            query=request.args.to_dict(),
        )
        with self.lock:
            self._requests.append(record)
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            return self._error(failure.status, failure.code, failure.message)
        if auth is None or (auth.username, auth.password) != (self.account_sid, self.auth_token):
            return self._error(401, 20003, "Authenticate")
        path_sid = (request.view_args or {}).get("account_sid")
        if path_sid is not None and path_sid != self.account_sid:
            return self._error(404, 20404, "The requested resource was not found")
        return None

    def _after_request(self, response: Response) -> Response:
        with self.lock:
            late = self._late_answers.pop(0) if self._late_answers else None
        if late is not None:
            time.sleep(late)
        return response

    def _call(self, call_sid: str) -> dict[str, Any]:
        """The call record (caller holds the lock); inbound calls are known to Twilio."""
        if call_sid not in self.calls:
            self.calls[call_sid] = self._call_json(call_sid, "+8613800000000", "", "in-progress")
            self.calls[call_sid]["direction"] = "inbound"
        return self.calls[call_sid]

    def _call_json(self, sid: str, to: str, from_: str, status: str) -> dict[str, Any]:
        return {
            "sid": sid,
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "to": to,
            "to_formatted": to,
            "from": from_,
            "from_formatted": from_,
            "status": status,
            "direction": "outbound-api",
            "date_created": _now(),
            "date_updated": _now(),
            "start_time": None,
            "end_time": None,
            "duration": None,
            "price": None,
            "price_unit": "USD",
            "parent_call_sid": None,
            "phone_number_sid": None,
            "answered_by": None,
            "caller_name": None,
            "forwarded_from": None,
            "group_sid": None,
            "queue_time": "0",
            "trunk_sid": None,
            "uri": self._uri(f"Calls/{sid}.json"),
            "subresource_uris": {"recordings": self._uri(f"Calls/{sid}/Recordings.json")},
        }

    def _message_json(
        self,
        sid: str,
        to: str,
        from_: str | None,
        body: str,
        status: str,
        created: datetime,
        sent: datetime | None = None,
    ) -> dict[str, Any]:
        return {
            "sid": sid,
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "to": to,
            "from": from_,
            "messaging_service_sid": None,
            "status": status,
            "direction": "outbound-api",
            "num_segments": str(max(1, -(-len(body) // 70))),
            "num_media": "0",
            "date_created": rfc2822(created),
            "date_updated": rfc2822(sent or created),
            "date_sent": rfc2822(sent) if sent is not None else None,
            "error_code": None,
            "error_message": None,
            "price": None,
            "price_unit": "USD",
            "uri": self._uri(f"Messages/{sid}.json"),
            "subresource_uris": {"media": self._uri(f"Messages/{sid}/Media.json")},
        }

    def _messages_page(self) -> ResponseReturnValue:
        """One page of the Messages list: To, From and DateSent filters, newest sent first."""
        args = request.args
        filters = {name: args[name] for name in TO_FROM if args.get(name)}
        days: list[tuple[DayTest, date]] = []
        for name, matches in DATE_SENT_FILTERS.items():
            if name not in args:
                continue
            day = _filter_day(args[name])
            if day is None:
                return self._error(400, 20001, "Invalid date value.")
            filters[name] = args[name]
            days.append((matches, day))
        try:
            page_size = min(int(args.get("PageSize", MESSAGES_PAGE_SIZE)), MAX_PAGE_SIZE)
            page = int(args.get("Page", 0))
        except ValueError:
            return self._error(400, 20001, "Invalid paging parameter.")
        with self.lock:
            stored = [dict(m) for m in self.messages.values()]
        found = [
            m
            for m in reversed(stored)  # the newest first among equal sending times
            if all(m[name.lower()] == value for name, value in filters.items() if name in TO_FROM)
            and _sent_on(m, days)
        ]
        found.sort(key=_sent_order, reverse=True)
        # PageToken is a cursor: the SID of the previous page's last message.
        token = args.get("PageToken", "")
        sids = [m["sid"] for m in found]
        start = sids.index(token[2:]) + 1 if token[2:] in sids else 0
        chunk = found[start : start + page_size]
        more = start + page_size < len(found)
        base = self._uri("Messages.json")

        def page_uri(number: int, **extra: str) -> str:
            return (
                f"{base}?{urlencode({**filters, 'PageSize': page_size, 'Page': number, **extra})}"
            )

        return jsonify(
            {
                "messages": chunk,
                "page": page,
                "page_size": page_size,
                "start": start,
                "end": start + len(chunk) - 1,
                "uri": page_uri(page, **({"PageToken": token} if token else {})),
                "first_page_uri": page_uri(0),
                "previous_page_uri": None,
                "next_page_uri": (
                    page_uri(page + 1, PageToken="PA" + chunk[-1]["sid"]) if more else None
                ),
            }
        )

    def _new_queue(self, sid: str, friendly_name: str, max_size: int) -> dict[str, Any]:
        return {
            "sid": sid,
            "account_sid": self.account_sid,
            "friendly_name": friendly_name,
            "current_size": 0,
            "average_wait_time": 0,
            "max_size": max_size,
            "date_created": _now(),
        }

    def _queue_json(self, queue: dict[str, Any]) -> dict[str, Any]:
        return {**queue, "date_updated": _now(), "uri": self._uri(f"Queues/{queue['sid']}.json")}

    def _build_app(self) -> Flask:
        app = Flask("fake_twilio")
        app.before_request(self._before_request)
        app.after_request(self._after_request)

        @app.post(ACCOUNT + "/Messages.json")
        def create_message(account_sid: str) -> ResponseReturnValue:
            form = request.form
            if not form.get("To") or not (form.get("Body") or form.get("MediaUrl")):
                return self._error(400, 21604, "A 'To' phone number and a 'Body' are required.")
            now = clock.now()
            accepted = self._message_json(
                new_sid("SM"), form["To"], form.get("From"), form.get("Body", ""), "queued", now
            )
            accepted["messaging_service_sid"] = form.get("MessagingServiceSid")
            with self.lock:
                # The fake hands every message to the carrier at once: listed, it is sent.
                self.messages[accepted["sid"]] = {
                    **accepted,
                    "status": "sent",
                    "date_sent": accepted["date_created"],
                }
            return jsonify(accepted), 201

        @app.get(ACCOUNT + "/Messages.json")
        def list_messages(account_sid: str) -> ResponseReturnValue:
            return self._messages_page()

        @app.post(ACCOUNT + "/Calls.json")
        def create_call(account_sid: str) -> ResponseReturnValue:
            form = request.form
            if not form.get("To") or not form.get("From"):
                return self._error(400, 21201, "No 'To' number is specified")
            if not (form.get("Url") or form.get("Twiml") or form.get("ApplicationSid")):
                return self._error(400, 21205, "Url parameter is required.")
            call = self._call_json(new_sid("CA"), form["To"], form["From"], "queued")
            with self.lock:
                self.calls[call["sid"]] = call
            return jsonify(call), 201

        @app.post(ACCOUNT + "/Calls/<call_sid>.json")
        def update_call(account_sid: str, call_sid: str) -> ResponseReturnValue:
            if not is_sid(call_sid, "CA"):
                return self._error(404, 20404, "The requested resource was not found")
            form = request.form
            with self.lock:
                call = self._call(call_sid)
                if call["status"] in ("completed", "canceled", "failed", "busy", "no-answer"):
                    return self._error(400, 21220, "Call is not in-progress. Cannot redirect.")
                if form.get("Status") in ("completed", "canceled"):
                    call["status"] = form["Status"]
                call["date_updated"] = _now()
                answer = dict(call)
            if self.call_listener is not None:
                self.call_listener(call_sid, form.to_dict())
            return jsonify(answer), 200

        @app.get(ACCOUNT + "/Queues.json")
        def list_queues(account_sid: str) -> ResponseReturnValue:
            page_size = min(int(request.args.get("PageSize", 50)), 1000)
            page = int(request.args.get("Page", 0))
            with self.lock:
                queues = [self._queue_json(q) for q in self.queues.values()]
            chunk = queues[page * page_size : (page + 1) * page_size]
            base = self._uri("Queues.json")
            has_next = (page + 1) * page_size < len(queues)
            return jsonify(
                {
                    "queues": chunk,
                    "page": page,
                    "page_size": page_size,
                    "start": page * page_size,
                    "end": page * page_size + len(chunk) - 1,
                    "uri": f"{base}?PageSize={page_size}&Page={page}",
                    "first_page_uri": f"{base}?PageSize={page_size}&Page=0",
                    "previous_page_uri": (
                        f"{base}?PageSize={page_size}&Page={page - 1}" if page else None
                    ),
                    "next_page_uri": (
                        f"{base}?PageSize={page_size}&Page={page + 1}" if has_next else None
                    ),
                }
            )

        @app.post(ACCOUNT + "/Queues.json")
        def create_queue(account_sid: str) -> ResponseReturnValue:
            name = request.form.get("FriendlyName", "")
            with self.lock:
                if not name or any(q["friendly_name"] == name for q in self.queues.values()):
                    return self._error(400, 22003, "Queue FriendlyName is missing or in use.")
                queue = self._new_queue(new_sid("QU"), name, int(request.form.get("MaxSize", 1000)))
                self.queues[queue["sid"]] = queue
                answer = self._queue_json(queue)
            return jsonify(answer), 201

        @app.post(ACCOUNT + "/Queues/<queue_sid>/Members/<call_sid>.json")
        def update_member(account_sid: str, queue_sid: str, call_sid: str) -> ResponseReturnValue:
            with self.lock:
                known_queue = queue_sid in self.queues
            if not known_queue or not (call_sid == "Front" or is_sid(call_sid, "CA")):
                return self._error(404, 20404, "The requested resource was not found")
            if not request.form.get("Url"):
                return self._error(400, 21205, "Url parameter is required.")
            member_sid = new_sid("CA") if call_sid == "Front" else call_sid
            member = {
                "call_sid": member_sid,
                "queue_sid": queue_sid,
                "date_enqueued": _now(),
                "position": 1,
                "wait_time": 0,
                "uri": self._uri(f"Queues/{queue_sid}/Members/{member_sid}.json"),
            }
            return jsonify(member), 200

        @app.errorhandler(404)
        def not_found(_error: HTTPException) -> Response:
            return self._error(404, 20404, "The requested resource was not found")

        @app.errorhandler(405)
        def not_allowed(_error: HTTPException) -> Response:
            return self._error(405, 20004, "Method not allowed")

        return app
