"""Reading a request's JSON body and query string into their models; a 400 in Chinese if not.

Each message names the field and what is wrong with it (字段 summary 不能超过 2000 个字符,
查询参数 limit 不能大于 200), like the rest of what staff read.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, TypeVar

from flask import request
from pydantic import BaseModel, ValidationError

from hotline.errors import BadRequest
from hotline.web.api.models.common import InModel, QueryModel
from hotline.web.storable import unstorable_in_json, unstorable_in_pairs

BodyT = TypeVar("BodyT", bound=InModel)
QueryT = TypeVar("QueryT", bound=QueryModel)

UNSTORABLE = "{what} {name} 含有无法保存的字符（如空字符 NUL），请删除后重试"
PATH_PART = "路径参数"
NOT_JSON = "请以 JSON 对象发送请求体（Content-Type: application/json）"
NOT_AN_OBJECT = "请求体必须是 JSON 对象"
BODY_FIELD = "字段"
QUERY_PARAMETER = "查询参数"

_KIND_NAMES = {
    "string_type": "字符串",
    "bool_type": "布尔值（true 或 false）",
    "int_type": "整数",
    "float_type": "数字",
    "dict_type": "JSON 对象",
    "list_type": "数组",
}


def refuse_unstorable_input() -> None:
    """BadRequest when the path, query string or JSON body has a character no column can store.

    Checked on every API request before anything reads the database, so such input is a 400
    naming where it is, never a database error.
    """
    checks = (
        (
            PATH_PART,
            unstorable_in_pairs(
                (name, str(value)) for name, value in (request.view_args or {}).items()
            ),
        ),
        (QUERY_PARAMETER, unstorable_in_pairs(request.args.items(multi=True))),
    )
    for what, name in checks:
        if name is not None:
            raise BadRequest(UNSTORABLE.format(what=what, name=name), field=name)
    if request.is_json:
        name = unstorable_in_json(request.get_json(silent=True))
        if name is not None:
            where = name or "（请求体）"
            raise BadRequest(UNSTORABLE.format(what=BODY_FIELD, name=where), field=name)


def parse_body(model: type[BodyT]) -> BodyT:
    """The request's JSON object as `model`; BadRequest naming the first field that is wrong."""
    if not request.is_json:
        raise BadRequest(NOT_JSON)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest(NOT_AN_OBJECT)
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        errors = exc.errors()
        # An unknown field is named first: most likely a misspelt one.
        unknown = [error for error in errors if error["type"] == "extra_forbidden"]
        if unknown:
            raise BadRequest(
                f"未知字段 {_name(unknown[0])}", allowed=sorted(_aliases(model))
            ) from None
        raise BadRequest(message(BODY_FIELD, errors[0], model)) from None


def parse_query(model: type[QueryT]) -> QueryT:
    """The request's query parameters as `model` (an empty one is left out); BadRequest if wrong."""
    values = {}
    for name in _aliases(model):
        value = request.args.get(name)
        if value:
            values[name] = value
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise BadRequest(message(QUERY_PARAMETER, exc.errors()[0], model)) from None


def message(what: str, error: Any, model: type[BaseModel]) -> str:
    """The Chinese message of one pydantic error of a body field or query parameter."""
    name = _name(error)
    kind = error["type"]
    context = error.get("ctx") or {}
    subject = f"{what} {name}"
    if kind == "missing":
        return f"{subject} 不能为空"
    if kind == "literal_error":
        choices = _choices(model, name)
        if not any(isinstance(error["input"], type(choice)) for choice in choices):
            return f"{subject} 类型错误，应为{_KIND_NAMES['string_type']}"
        return f"{subject} 必须是 {'、'.join(map(str, choices))} 之一"
    if kind in _KIND_NAMES:
        return f"{subject} 类型错误，应为{_KIND_NAMES[kind]}"
    if kind == "string_too_long":
        return f"{subject} 不能超过 {context['max_length']} 个字符"
    if kind == "string_pattern_mismatch":
        return f"{subject} 格式不正确"
    if kind in ("whole_number", "int_parsing", "int_from_float"):
        return f"{subject} 必须是整数"
    if kind in ("decimal_number", "float_parsing"):
        return f"{subject} 必须是数字"
    if kind == "finite_number":
        return f"{subject} 必须是有限的数字"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{subject} 不能小于 {context.get('ge', context.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        return f"{subject} 不能大于 {context.get('le', context.get('lt'))}"
    if kind == "iso_day":
        return f"{subject} 必须是 YYYY-MM-DD 格式的日期"
    return f"{subject} 的值无效"


def _name(error: Any) -> str:
    return str(error["loc"][0]) if error["loc"] else ""


def _aliases(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def _choices(model: type[BaseModel], alias: str) -> tuple[Any, ...]:
    """The values of the Literal the field (named by its alias) is declared with."""
    for name, field in model.model_fields.items():
        if (field.alias or name) == alias:
            return _literal_values(field.annotation)
    return ()


def _literal_values(annotation: Any) -> tuple[Any, ...]:
    if typing.get_origin(annotation) is Literal:
        return typing.get_args(annotation)
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return tuple(value for arg in typing.get_args(annotation) for value in _literal_values(arg))
    return ()
