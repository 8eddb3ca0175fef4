"""Base classes and field types shared by the API's models.

Answers (`OutModel`) are strict and refuse unknown keys, so a view whose answer drifts from its
declaration fails; a field with a default is a key that is absent unless given (answers are
dumped with exclude_unset), and one whose default is None is declared `Omittable`. Request
bodies (`InModel`) are strict too: no `true` for a number, no number for a text, no unknown
field. Query strings (`QueryModel`) arrive as text.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeAlias, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

T = TypeVar("T")

# A field whose default is None but that is never null: a key left out unless given (an answer's
# optional key, a body field or query parameter that may be omitted). Pydantic is given the plain
# type, so null is refused and the schema is the type's; the type checker sees the None an
# omitted key reads as.
if TYPE_CHECKING:
    Omittable: TypeAlias = T | None
else:
    Omittable = Annotated[T, "omittable"]


class OutModel(BaseModel):
    """An answer of the API."""

    model_config = ConfigDict(extra="forbid", strict=True)

    def as_json(self) -> dict[str, Any]:
        """The answer's JSON data as the API writes it (the pages that show it use this too)."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)


class InModel(BaseModel):
    """A JSON request body; null is the same as leaving the field out."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @model_validator(mode="before")
    @classmethod
    def _null_is_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data


class QueryModel(BaseModel):
    """Query-string parameters; other parameters are ignored, an empty one is left out."""

    model_config = ConfigDict(extra="ignore")


def _instant(value: Any) -> Any:
    # Shapes built by the core (the cached live snapshot, routing's answers) carry ISO text.
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def _day(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _whole_number(value: Any) -> Any:
    # Python's int(): the parameters take what they always took ("5", " 5", not "5.0").
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            raise PydanticCustomError("whole_number", "not a whole number") from None
    return value


def _decimal(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            raise PydanticCustomError("decimal_number", "not a number") from None
    return value


def _query_day(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("iso_day", "not a date YYYY-MM-DD") from None
    return value


# An instant as the API has always written it: isoformat() of a UTC-aware datetime.
Timestamp = Annotated[
    AwareDatetime,
    BeforeValidator(_instant),
    PlainSerializer(lambda moment: moment.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
# A calendar day, YYYY-MM-DD.
Day = Annotated[
    date,
    BeforeValidator(_day),
    PlainSerializer(lambda day: day.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date"}),
]
# An int stays an int and a float a float (3 is not written 3.0).
Number = Annotated[int | float, WithJsonSchema({"type": "number"})]
Rate = Annotated[int | float, WithJsonSchema({"type": "number", "minimum": 0, "maximum": 1})]
Seconds = Annotated[int | float, WithJsonSchema({"type": "number", "minimum": 0})]
# What mask() gives: 138****0000, a short number's 1***9, or 未知号码 when there is none.
MaskedPhone = Annotated[
    str,
    Field(
        pattern=r"^(?:未知号码|\d*\*+\d*)$",
        description="masked phone number, e.g. 138****0000",
    ),
]

# Query-string types: text as Python's int(), float() and date.fromisoformat() read it.
QueryInt = Annotated[int, BeforeValidator(_whole_number)]
QueryFloat = Annotated[float, BeforeValidator(_decimal), Field(allow_inf_nan=False)]
QueryDay = Annotated[
    date, BeforeValidator(_query_day), WithJsonSchema({"type": "string", "format": "date"})
]
# The constraints come before the validator, or the document shows them as unknown keywords.
Offset = Annotated[
    int, Field(ge=0, le=100_000, description="skip this many"), BeforeValidator(_whole_number)
]


class Error(OutModel):
    """Every 4xx and 5xx answer."""

    error: str = Field(description="a code: bad_request, unauthorized, forbidden, not_found…")
    message: str
    details: Omittable[dict[str, Any]] = Field(
        default=None, description="more about the error, if any"
    )


class RevealIn(InModel):
    """Why a full number is asked for (kept in the audit log)."""

    reason: str = Field(default="", max_length=200)
