"""Reading JSON bodies: numbers as `Decimal` (no float rounding on the way in); NaN
or Infinity, which Python's json module would take, and NUL characters refused."""

import json
from decimal import Decimal

from ninja.parser import Parser

from measurements.contracts import json_integer


class BodyNotJson(ValueError):
    """The body is not JSON the API takes; the message says where and why."""


def _no_constants(name: str):
    raise BodyNotJson(f"{name} is not a number JSON allows; send a finite number.")


def _without_nul(value):
    """The parsed body, or `BodyNotJson` if some text in it holds a NUL character
    (which no text column stores, and no person types)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise BodyNotJson("Text in the body contains a NUL character (\\u0000).")
    elif isinstance(value, dict):
        for key, item in value.items():
            _without_nul(key)
            _without_nul(item)
    elif isinstance(value, list):
        for item in value:
            _without_nul(item)
    return value


class StrictJsonParser(Parser):
    def parse_body(self, request):
        try:
            body = json.loads(
                request.body,
                parse_float=Decimal,
                parse_int=json_integer,
                parse_constant=_no_constants,
            )
        except json.JSONDecodeError as exc:
            raise BodyNotJson(
                f"The body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
            ) from exc
        except UnicodeDecodeError as exc:
            raise BodyNotJson("The body is not UTF-8 text.") from exc
        return _without_nul(body)
