"""Reading JSON bodies: numbers as `Decimal` (no float rounding on the way in), and
NaN or Infinity refused, though Python's json module would take them."""

import json
from decimal import Decimal

from ninja.parser import Parser


class BodyNotJson(ValueError):
    """The body is not JSON the API takes; the message says where and why."""


def _no_constants(name: str):
    raise BodyNotJson(f"{name} is not a number JSON allows; send a finite number.")


class StrictJsonParser(Parser):
    def parse_body(self, request):
        try:
            return json.loads(request.body, parse_float=Decimal, parse_constant=_no_constants)
        except json.JSONDecodeError as exc:
            raise BodyNotJson(
                f"The body is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
            ) from exc
        except UnicodeDecodeError as exc:
            raise BodyNotJson("The body is not UTF-8 text.") from exc
