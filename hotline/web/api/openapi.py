"""GET /api/openapi.json: the OpenAPI 3.1 document, generated from the routes' declarations.

Every /api/ route is declared with hotline.web.api.contract.api_route. Its request and response
models give the operation's schemas (the models they are made of become components: their
$defs hoisted), its query model the parameters, its roles the security, and the statuses it
may answer the error responses, with the shared Error schema.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Flask, current_app
from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import core_schema

from hotline.web.api.contract import RouteSpec, answer_adapter, api_route, spec_of
from hotline.web.api.models.common import Error
from hotline.web.api.models.openapi import OpenApiDocumentOut

bp = Blueprint("openapi", __name__)

OPENAPI_VERSION = "3.1.0"
REF_TEMPLATE = "#/components/schemas/{model}"
_IGNORED_METHODS = {"HEAD", "OPTIONS"}
_CONVERTER = re.compile(r"<(?:([a-zA-Z_]+):)?([a-zA-Z_][a-zA-Z0-9_]*)>")
_ERROR_REF = {"$ref": REF_TEMPLATE.format(model="Error")}

_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    204: "No Content",
    400: "Malformed request: bad JSON, wrong type, missing or over-long field or parameter, "
    "or text a database cannot store (a NUL character, a lone surrogate)",
    401: "No valid bearer token or page session",
    403: "The role or ownership does not allow this",
    404: "No such object",
    409: "Conflicts with the current state",
    429: "Too many attempts; wait retry_after_seconds",
    502: "Twilio refused or could not be reached",
    503: "The database or Redis is unavailable, or the feature is not configured here",
}


class _Schemas(GenerateJsonSchema):
    """Schemas without the titles pydantic makes up for fields, nor defaults (told in words)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        """Never: a field's title would only repeat its name."""
        return False

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> dict[str, Any]:
        """The schema of the field's type, without its default."""
        return self.generate_inner(schema["schema"])


def _path_parameter(converter: str | None, name: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if converter == "int":  # hotline.web.app.DatabaseId
        schema = {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(
        ref_template=REF_TEMPLATE, schema_generator=_Schemas, mode="validation"
    )
    required = set(schema.get("required", ()))
    parameters = []
    for name, prop in schema["properties"].items():
        prop = dict(prop)
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in required}
        if "description" in prop:
            parameter["description"] = prop.pop("description")
        parameter["schema"] = prop
        parameters.append(parameter)
    return parameters


def _operation(
    spec: RouteSpec, path_params: list[tuple[str | None, str]], components: dict[str, Any]
) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": spec.summary}
    if spec.description:
        operation["description"] = spec.description
    parameters = [_path_parameter(converter, name) for converter, name in path_params]
    if spec.query is not None:
        parameters += _query_parameters(spec.query)
    if parameters:
        operation["parameters"] = parameters
    if spec.request is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": _body_schema(spec.request, components)}},
        }
    success: dict[str, Any] = {"description": _STATUS_TEXT.get(spec.status, "OK")}
    if spec.response is not None:
        schema = _answer_schema(spec.response, components)
        success["content"] = {"application/json": {"schema": schema}}
    responses: dict[str, Any] = {str(spec.status): success}
    for status in spec.error_statuses():
        responses[str(status)] = {
            "description": _STATUS_TEXT.get(status, "Error"),
            "content": {"application/json": {"schema": _ERROR_REF}},
        }
    operation["responses"] = responses
    if spec.roles is None:
        operation["security"] = []
    else:
        operation["security"] = [{"bearer": []}, {"session": []}]
        operation["x-roles"] = list(spec.roles) or ["any logged-in user"]
        if spec.method != "GET":
            operation["x-csrf"] = "page sessions send X-CSRFToken; bearer tokens need not"
    return operation


def api_routes(app: Flask) -> list[tuple[str, str, list[tuple[str | None, str]], RouteSpec | None]]:
    """(method, OpenAPI path, path parameters, declaration) of every /api/ route of the app."""
    routes = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        spec = spec_of(app.view_functions[rule.endpoint])
        path = _CONVERTER.sub(r"{\2}", rule.rule)
        for method in sorted((rule.methods or set()) - _IGNORED_METHODS):
            routes.append((method, path, _CONVERTER.findall(rule.rule), spec))
    return routes


def undocumented_endpoints(app: Flask) -> list[str]:
    """'METHOD /path' of every /api/ route not declared with api_route."""
    return [f"{method} {path}" for method, path, _, spec in api_routes(app) if spec is None]


def _hoisted(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    """The schema without its $defs, which join the components (one name, one schema)."""
    for name, definition in schema.pop("$defs", {}).items():
        if components.setdefault(name, definition) != definition:
            raise RuntimeError(f"two different schemas are named {name}")
    return schema


def _body_schema(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    schema = model.model_json_schema(
        ref_template=REF_TEMPLATE, schema_generator=_Schemas, mode="validation"
    )
    return _hoisted(schema, components)


def _answer_schema(response: Any, components: dict[str, Any]) -> dict[str, Any]:
    schema = answer_adapter(response).json_schema(
        ref_template=REF_TEMPLATE, schema_generator=_Schemas, mode="serialization"
    )
    return _hoisted(schema, components)


def build_document(app: Flask) -> dict[str, Any]:
    """The OpenAPI document of every /api/ route of the app."""
    components: dict[str, Any] = {}
    components["Error"] = _answer_schema(Error, components)
    paths: dict[str, dict[str, Any]] = {}
    for method, path, path_params, spec in api_routes(app):
        if spec is None:
            spec = RouteSpec(method, "(undocumented)")
        paths.setdefault(path, {})[method.lower()] = _operation(spec, path_params, components)
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
                "except in the audited reveal. In request bodies, null is the same as leaving "
                "the field out; unknown fields are refused."
            ),
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "hotline_session"},
            },
        },
    }


@api_route(bp, "GET", "/openapi.json", "This OpenAPI document", response=OpenApiDocumentOut)
def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of the API."""
    return build_document(current_app)
