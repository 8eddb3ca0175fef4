"""One declaration per endpoint: its route, who may call it, its body, query and answer models.

    @api_route(bp, "POST", "/consultations", "Record the consultation of a call",
               request=ConsultationIn, response=ConsultationOut, status=201, roles=AGENT_ROLES)
    def create_consultation(body: ConsultationIn): ...

Every route first refuses text no database column can store (a 400: hotline.web.api.input), then
checks the caller (roles: None for no login, ANY_USER for any logged-in user), then
gives the view the checked body as `body` and query string as `query`, next to the path parts.
The view returns its answer, a model or what the response model validates (e.g. a dict the
core built), optionally with headers as `(answer, headers)`. The answer is validated against
the response model and written from it, so an answer that drifts from its declaration fails
in the view itself (AnswerDrift: a 500, logged). The OpenAPI document is generated from the
same declarations (hotline.web.api.openapi).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from pydantic import TypeAdapter, ValidationError

from hotline.db import write_first
from hotline.web.api.input import parse_body, parse_query, refuse_unstorable_input
from hotline.web.api.models.common import InModel, QueryModel
from hotline.web.api.security import authenticate
from hotline.web.csrf import SAFE_METHODS
from hotline.web.extensions import db

ANY_USER: tuple[str, ...] = ()
_SPEC_ATTRIBUTE = "__api_route__"


class AnswerDrift(RuntimeError):
    """A view's answer does not match the response model it declares."""


@dataclass(frozen=True)
class RouteSpec:
    """What an endpoint takes, gives and needs."""

    method: str
    summary: str
    response: Any = None  # a model, or a type of models such as `Model | None`; None: no body
    status: int = 200
    request: type[InModel] | None = None
    query: type[QueryModel] | None = None
    roles: tuple[str, ...] | None = None  # None: no login; ANY_USER: any logged-in user
    errors: tuple[int, ...] = ()
    description: str = ""

    def error_statuses(self) -> list[int]:
        """Every 4xx and 5xx status the endpoint may answer."""
        # Every request may carry text no column can store (400), and any endpoint may find
        # the database or Redis unavailable (503).
        statuses = set(self.errors) | {400, 503}
        if self.roles is not None:
            statuses.add(401)
            if self.roles:
                statuses.add(403)
            if self.method not in SAFE_METHODS:
                statuses.add(400)  # a page session without its CSRF token
        return sorted(statuses)


@functools.cache
def answer_adapter(response: Any) -> TypeAdapter[Any]:
    """The validator and serialiser of a response type."""
    return TypeAdapter(response)


def dump(response: Any, value: Any) -> Any:
    """The JSON data of an answer (keys with a default stay out unless they were given)."""
    adapter = answer_adapter(response)
    return adapter.dump_python(value, mode="json", by_alias=True, exclude_unset=True)


def api_route(
    bp: Blueprint,
    method: str,
    rule: str,
    summary: str,
    *,
    response: Any = None,
    status: int = 200,
    request: type[InModel] | None = None,
    query: type[QueryModel] | None = None,
    roles: tuple[str, ...] | None = None,
    errors: tuple[int, ...] = (),
    description: str = "",
    # A GET that writes (the token's use, an audit entry) takes SQLite's write lock before it
    # reads anything, as mutating requests do by themselves.
    writes: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Response]]:
    """Add the view to the blueprint as the endpoint this declares."""
    spec = RouteSpec(method, summary, response, status, request, query, roles, errors, description)

    def decorator(view: Callable[..., Any]) -> Callable[..., Response]:
        @functools.wraps(view)
        def endpoint(**path: Any) -> Response:
            refuse_unstorable_input()
            if writes:
                write_first(db.session)
            if roles is not None:
                authenticate(roles)
            arguments = dict(path)
            if spec.request is not None:
                arguments["body"] = parse_body(spec.request)
            if spec.query is not None:
                arguments["query"] = parse_query(spec.query)
            return answer(spec, view(**arguments))

        setattr(endpoint, _SPEC_ATTRIBUTE, spec)
        bp.add_url_rule(rule, view.__name__, endpoint, methods=[method])
        return endpoint

    return decorator


def answer(spec: RouteSpec, result: Any) -> Response:
    """The HTTP answer of a view's result, validated against the declared response model."""
    headers: Mapping[str, str] = {}
    if isinstance(result, tuple):
        result, headers = result
    if spec.response is None:
        if result is not None:
            raise AnswerDrift(f"{request.endpoint} declares no answer body but gave one")
        return current_app.response_class(status=spec.status, headers=dict(headers))
    try:
        value = answer_adapter(spec.response).validate_python(result)
    except ValidationError as exc:
        raise AnswerDrift(
            f"{request.endpoint}: the answer does not match its model: {exc}"
        ) from exc
    response = jsonify(dump(spec.response, value))
    response.status_code = spec.status
    response.headers.update(headers)
    return response


def spec_of(view: Callable[..., Any]) -> RouteSpec | None:
    """The declaration of an endpoint's view, or None for a view made without api_route."""
    return getattr(view, _SPEC_ATTRIBUTE, None)


def endpoint_spec(app: Flask, endpoint: str | None) -> RouteSpec | None:
    """The declaration of the app's endpoint of this name, if it has one."""
    view = app.view_functions.get(endpoint or "")
    return spec_of(view) if view is not None else None
