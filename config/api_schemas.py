"""Pieces every JSON API module shares: strict input, numbers as plain strings, and
the one error shape declared so that the schema names every status an operation can
answer."""

from decimal import Decimal
from typing import Annotated

from ninja import Field, Schema
from pydantic import ConfigDict, PlainSerializer

from .envelope import ErrorCode
from .numbers import plain
from .request_context import Phase


class Strict(Schema):
    """Input that refuses fields it does not know (a typo must not pass silently)."""

    model_config = ConfigDict(extra="forbid")


#: Numbers leave as plain strings ("81.4"): exact, with no float rounding.
Number = Annotated[Decimal, PlainSerializer(plain, return_type=str)]
OptionalNumber = Annotated[
    Decimal | None,
    PlainSerializer(lambda v: None if v is None else plain(v), return_type=str | None),
]


class FieldErrorOut(Schema):
    field: str = Field(description="The body or query field, e.g. `target` or `items.3.value`")
    message: str
    code: str


class ErrorDetailOut(Schema):
    code: ErrorCode
    message: str
    phase: Phase | None
    correlation_id: str
    fields: list[FieldErrorOut]


class ErrorOut(Schema):
    error: ErrorDetailOut


#: Refused by the HTTP server before the API sees the request, so in its words and not
#: in the API's error shape: a request line over about 4 KB (414), headers too many or
#: too long (431).
SERVER_REFUSALS = (414, 431)


def error_responses(*extra: int) -> dict[int, type[Schema] | None]:
    """The error answers of an operation: those every request can meet (a malformed,
    oversized or non-JSON body, no or a bad token, invalid input, the rate limit, a
    request the HTTP server refuses) plus `extra`."""
    return {
        **dict.fromkeys((400, 401, 413, 415, 422, 429, *extra), ErrorOut),
        **dict.fromkeys(SERVER_REFUSALS, None),
    }
