"""Per-endpoint API documentation: one decorator feeds both the OpenAPI document and the checks.

    @bp.post("/consultations")
    @api_doc("Record a consultation", request=FIELDS, response=SCHEMA, status=201, roles=AGENTS)
    @token_required(*AGENTS)
    def create(): body = documented_body() ...

`documented_body()` checks the request against the same fields the document shows, so the
document cannot drift from what the endpoint accepts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app, request

from hotline.errors import BadRequest
from hotline.web.api.json_input import Field, json_object


@dataclass(frozen=True)
class QueryParam:
    """One query-string parameter."""

    name: str
    kind: type
    description: str = ""
    minimum: int | None = None
    maximum: int | None = None
    pattern: str | None = None


@dataclass(frozen=True)
class ApiDoc:
    """What an endpoint takes, gives and needs."""

    summary: str
    request: tuple[Field, ...] | None = None
    response: dict[str, Any] | None = None
    status: int = 200
    roles: tuple[str, ...] | None = None  # None: no login; (): any logged-in user
    errors: tuple[int, ...] = ()
    query: tuple[QueryParam, ...] = ()
    description: str = ""


DOC_ATTRIBUTE = "__api_doc__"


def api_doc(
    summary: str,
    *,
    request: list[Field] | tuple[Field, ...] | None = None,
    response: dict[str, Any] | None = None,
    status: int = 200,
    roles: tuple[str, ...] | None = None,
    errors: tuple[int, ...] = (),
    query: tuple[QueryParam, ...] = (),
    description: str = "",
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Attach API documentation to a view (put it between the route and the auth decorator)."""
    doc = ApiDoc(
        summary=summary,
        request=tuple(request) if request is not None else None,
        response=response,
        status=status,
        roles=roles,
        errors=errors,
        query=query,
        description=description,
    )

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        setattr(view, DOC_ATTRIBUTE, doc)
        return view

    return decorator


def doc_of(view: Callable[..., Any]) -> ApiDoc | None:
    """The documentation attached to a view, or None."""
    return getattr(view, DOC_ATTRIBUTE, None)


def documented_body() -> dict[str, Any]:
    """The request's JSON body checked against the current endpoint's documented fields."""
    view = current_app.view_functions[request.endpoint or ""]
    doc = doc_of(view)
    if doc is None or doc.request is None:
        raise RuntimeError(f"{request.endpoint} documents no request body")
    return json_object(list(doc.request))


def query_int(param: QueryParam, default: int) -> int:
    """A whole-number query parameter within its documented bounds; BadRequest otherwise."""
    raw = request.args.get(param.name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"query parameter {param.name!r} must be a whole number") from None
    if param.minimum is not None and value < param.minimum:
        raise BadRequest(f"query parameter {param.name!r} must be at least {param.minimum}")
    if param.maximum is not None and value > param.maximum:
        raise BadRequest(f"query parameter {param.name!r} must be at most {param.maximum}")
    return value


def query_text(param: QueryParam, max_length: int) -> str | None:
    """A text query parameter (None when absent or empty); BadRequest when too long."""
    value = request.args.get(param.name)
    if value is not None and len(value) > max_length:
        raise BadRequest(f"query parameter {param.name!r} is longer than {max_length}")
    return value or None
