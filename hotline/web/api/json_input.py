"""Reading and checking JSON request bodies: a clear 400 for anything malformed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request

from hotline.errors import BadRequest


@dataclass(frozen=True)
class Field:
    """One expected field of a JSON object."""

    name: str
    kind: type | tuple[type, ...]
    required: bool = True
    max_length: int | None = None
    choices: tuple[Any, ...] | None = None


def json_object(fields: list[Field]) -> dict[str, Any]:
    """The request's JSON object, checked against the fields; unknown fields are refused."""
    if not request.is_json:
        raise BadRequest("send a JSON object with Content-Type: application/json")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("the body must be a JSON object")
    known = {field.name for field in fields}
    unknown = sorted(set(body) - known)
    if unknown:
        raise BadRequest(f"unknown field {unknown[0]!r}", allowed=sorted(known))
    values: dict[str, Any] = {}
    for field in fields:
        if field.name not in body or body[field.name] is None:
            if field.required:
                raise BadRequest(f"field {field.name!r} is required")
            continue
        value = body[field.name]
        # bool is an int in Python; never accept true where a number is expected.
        if isinstance(value, bool) and field.kind is not bool:
            raise BadRequest(f"field {field.name!r} has the wrong type")
        if not isinstance(value, field.kind):
            raise BadRequest(f"field {field.name!r} has the wrong type")
        if field.max_length is not None and isinstance(value, str):
            if len(value) > field.max_length:
                raise BadRequest(f"field {field.name!r} is longer than {field.max_length}")
        if field.choices is not None and value not in field.choices:
            raise BadRequest(
                f"field {field.name!r} must be one of {', '.join(map(str, field.choices))}"
            )
        values[field.name] = value
    return values
