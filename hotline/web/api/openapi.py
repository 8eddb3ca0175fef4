"""GET /api/openapi.json: the OpenAPI 3.1 document, generated from the app's /api/ routes."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, current_app, jsonify

from hotline.web.api import bp
from hotline.web.api.docs import ApiDoc, QueryParam, api_doc, doc_of
from hotline.web.api.json_input import Field
from hotline.web.api.schemas import AGENT_CURRENT, AGENT_ROLES, ERROR, obj

OPENAPI_VERSION = "3.1.0"
_IGNORED_METHODS = {"HEAD", "OPTIONS"}
_CONVERTER = re.compile(r"<(?:[a-zA-Z_]+:)?([a-zA-Z_][a-zA-Z0-9_]*)>")

_KIND_TYPES: dict[type, str] = {
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    dict: "object",
    list: "array",
}

_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Malformed request: bad JSON, wrong type, missing or over-long field",
    401: "No valid bearer token or page session",
    403: "The role or ownership does not allow this",
    404: "No such object",
    409: "Conflicts with the current state",
    429: "Too many attempts; wait retry_after_seconds",
    503: "Not configured on this deployment",
}

# Endpoints named in DESIGN §4 whose modules may not carry @api_doc themselves.
CONTRACT_DOCS: dict[tuple[str, str], ApiDoc] = {
    ("PUT", "/api/agents/me/status"): ApiDoc(
        summary="Set the calling agent's status",
        request=(Field("status", str, choices=("available", "break", "offline")),),
        response=obj(
            {
                "status": {"type": "string"},
                "since": {"type": "string", "format": "date-time"},
                "paused": {"type": "boolean"},
            }
        ),
        roles=AGENT_ROLES,
        errors=(400, 401, 403),
    ),
    ("GET", "/api/agents/me/current"): ApiDoc(
        summary="The call now offered to or talking with the calling agent, or null",
        response=AGENT_CURRENT,
        roles=AGENT_ROLES,
        errors=(401, 403),
    ),
}


def field_schema(field: Field) -> dict[str, Any]:
    """The JSON Schema of one request field."""
    kinds = field.kind if isinstance(field.kind, tuple) else (field.kind,)
    names = [_KIND_TYPES.get(kind, "string") for kind in kinds]
    schema: dict[str, Any] = {"type": names[0] if len(names) == 1 else names}
    if field.max_length is not None:
        schema["maxLength"] = field.max_length
    if field.choices is not None:
        schema["enum"] = list(field.choices)
    return schema


def request_schema(fields: tuple[Field, ...]) -> dict[str, Any]:
    """The JSON Schema of a request body made of these fields (no other fields allowed)."""
    return {
        "type": "object",
        "properties": {field.name: field_schema(field) for field in fields},
        "required": [field.name for field in fields if field.required],
        "additionalProperties": False,
    }


def _query_schema(param: QueryParam) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": _KIND_TYPES.get(param.kind, "string")}
    if param.minimum is not None:
        schema["minimum"] = param.minimum
    if param.maximum is not None:
        schema["maximum"] = param.maximum
    if param.pattern is not None:
        schema["pattern"] = param.pattern
    return schema


def _operation(doc: ApiDoc, path_params: list[str], method: str) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": doc.summary}
    if doc.description:
        operation["description"] = doc.description
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in path_params
    ]
    parameters += [
        {
            "name": param.name,
            "in": "query",
            "required": False,
            "description": param.description,
            "schema": _query_schema(param),
        }
        for param in doc.query
    ]
    if parameters:
        operation["parameters"] = parameters
    if doc.request is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": request_schema(doc.request)}},
        }
    responses: dict[str, Any] = {}
    success: dict[str, Any] = {"description": _STATUS_TEXT.get(doc.status, "OK")}
    if doc.response is not None:
        success["content"] = {"application/json": {"schema": doc.response}}
    responses[str(doc.status)] = success
    errors = set(doc.errors)
    if doc.request is not None:
        errors.add(400)
    if doc.roles is not None:
        errors.add(401)
        if doc.roles:
            errors.add(403)
    for status in sorted(errors):
        responses[str(status)] = {
            "description": _STATUS_TEXT.get(status, "Error"),
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    operation["responses"] = responses
    if doc.roles is None:
        operation["security"] = []
    else:
        operation["security"] = [{"bearer": []}, {"session": []}]
        operation["x-roles"] = list(doc.roles) or ["any logged-in user"]
    if method not in ("GET",) and doc.roles is not None:
        operation["x-csrf"] = "page sessions send X-CSRFToken; bearer tokens need not"
    return operation


def undocumented_endpoints(app: Flask) -> list[str]:
    """'METHOD /path' of every /api/ route with no documentation."""
    return [f"{method} {path}" for method, path, _, doc in _api_routes(app) if doc is None]


def _api_routes(app: Flask) -> list[tuple[str, str, list[str], ApiDoc | None]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        view = app.view_functions[rule.endpoint]
        path = _CONVERTER.sub(r"{\1}", rule.rule)
        for method in sorted((rule.methods or set()) - _IGNORED_METHODS):
            doc = doc_of(view) or CONTRACT_DOCS.get((method, path))
            routes.append((method, path, _CONVERTER.findall(rule.rule), doc))
    return routes


def build_document(app: Flask) -> dict[str, Any]:
    """The OpenAPI document of every /api/ route of the app."""
    paths: dict[str, dict[str, Any]] = {}
    for method, path, path_params, doc in _api_routes(app):
        if doc is None:
            doc = ApiDoc(summary="(undocumented)")
        paths.setdefault(path, {})[method.lower()] = _operation(doc, path_params, method)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "12348 hotline API",
            "version": "1",
            "description": (
                "JSON API for agents, supervisors and the console pages. Authenticate with "
                "POST /api/token and send Authorization: Bearer <token>; the pages use their "
                "login session and send the X-CSRFToken header on unsafe methods. Errors are "
                '{"error", "message"} with a 4xx status; phone numbers are always masked '
                "except in the audited reveal."
            ),
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {"Error": ERROR},
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "hotline_session"},
            },
        },
    }


@bp.get("/openapi.json")
@api_doc("This OpenAPI document", response=obj({"openapi": {"type": "string"}}, ["openapi"]))
def openapi_document():  # type: ignore[no-untyped-def]
    """The OpenAPI document of the API."""
    return jsonify(build_document(current_app))
