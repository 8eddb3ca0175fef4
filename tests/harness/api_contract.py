"""Every /api/ answer the tests produce is checked against the model its route declares.

A receiver of Flask's request_finished signal (every app of the test process: test clients
and the browser tests' live server alike) validates each /api/ answer: a success against the
response model and status of its route's declaration, a 4xx/5xx against the Error model and
the statuses the route declares. So an answer that drifts from its model fails the test,
even one written by a view that bypasses the glue (hotline.web.api.contract).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, Request, Response, request, request_finished
from pydantic import ValidationError

from hotline.web.api.contract import answer_adapter, endpoint_spec
from hotline.web.api.models.common import Error


class ContractBreach(AssertionError):
    """An /api/ answer does not match what its route declares."""


def breach(app: Flask, asked: Request, response: Response) -> str | None:
    """What is wrong with this /api/ answer, or None when it matches its declaration."""
    if not asked.path.startswith("/api/"):
        return None
    status = response.status_code
    where = f"{asked.method} {asked.path} answered {status}"
    spec = endpoint_spec(app, asked.endpoint)
    if status >= 400:
        if spec is not None and status not in spec.error_statuses():
            return f"{where}, a status its route does not declare ({spec.error_statuses()})"
        model = Error
    elif spec is None:
        return f"{where} from {asked.endpoint!r}, a route not declared with api_route"
    elif status != spec.status:
        return f"{where}; its route declares {spec.status}"
    elif spec.response is None:
        return f"{where} with a body; its route declares none" if response.get_data() else None
    else:
        model = spec.response
    if not response.is_json:
        return f"{where} with {response.mimetype}, not JSON"
    try:
        answer_adapter(model).validate_json(response.get_data(), strict=True)
    except ValidationError as exc:
        return f"{where}, which does not match {getattr(model, '__name__', model)}: {exc}"
    return None


class AnswerChecks:
    """The breaches seen so far; each one also fails the request that made it."""

    def __init__(self) -> None:
        self.breaches: list[str] = []

    def receive(self, sender: Flask, response: Response, **_extra: object) -> None:
        """request_finished receiver: record and raise a breach."""
        found = breach(sender, request, response)
        if found is not None:
            self.breaches.append(found)
            raise ContractBreach(found)


@contextmanager
def checking_api_answers() -> Iterator[AnswerChecks]:
    """Check every /api/ answer made inside the block; fail at its end if any did not match."""
    checks = AnswerChecks()
    with request_finished.connected_to(checks.receive):
        yield checks
    if checks.breaches:
        raise ContractBreach("\n".join(checks.breaches))
