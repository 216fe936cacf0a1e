"""JSON out of the API with times exactly as stored.

Django's JSON encoder cuts a time to milliseconds (ECMA-262's format), but the
database keeps microseconds: a client that sends `08:00:00.123456Z` must read back the
same instant, or it cannot tell its own measurement from another one. Every time
leaves in ISO 8601 with all its digits, UTC as `Z`.
"""

import datetime as dt
from typing import Any

from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

from config.times import exact_time


class ExactTimeEncoder(NinjaJSONEncoder):
    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime | dt.time):
            return exact_time(o)
        return super().default(o)


class ExactTimeRenderer(JSONRenderer):
    encoder_class = ExactTimeEncoder
