"""A fake Twilio REST API (2010-04-01) on 127.0.0.1 for the real twilio client (tests, demo)."""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

from flask import Flask, Response, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

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


def _now() -> str:
    return formatdate(usegmt=False)


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

    def clear(self) -> None:
        """Forget recorded requests and pending failures."""
        with self.lock:
            self._requests.clear()
            self._failures.clear()

    def reset(self) -> None:
        """Back to a fresh state: no requests, failures, messages, calls or queues."""
        with self.lock:
            self._requests.clear()
            self._failures.clear()
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

        @app.post(ACCOUNT + "/Messages.json")
        def create_message(account_sid: str) -> ResponseReturnValue:
            form = request.form
            if not form.get("To") or not (form.get("Body") or form.get("MediaUrl")):
                return self._error(400, 21604, "A 'To' phone number and a 'Body' are required.")
            sid = new_sid("SM")
            body = form.get("Body", "")
            message = {
                "sid": sid,
                "account_sid": self.account_sid,
                "api_version": "2010-04-01",
                "body": body,
                "to": form["To"],
                "from": form.get("From"),
                "messaging_service_sid": form.get("MessagingServiceSid"),
                "status": "queued",
                "direction": "outbound-api",
                "num_segments": str(max(1, -(-len(body) // 70))),
                "num_media": "0",
                "date_created": _now(),
                "date_updated": _now(),
                "date_sent": None,
                "error_code": None,
                "error_message": None,
                "price": None,
                "price_unit": "USD",
                "uri": self._uri(f"Messages/{sid}.json"),
                "subresource_uris": {"media": self._uri(f"Messages/{sid}/Media.json")},
            }
            with self.lock:
                self.messages[sid] = message
            return jsonify(message), 201

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
