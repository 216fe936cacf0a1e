"""The limits on incoming webhook deliveries: a body size cap (413), checked before
the signature, and a rate limit per source (429 with Retry-After), counted only for
deliveries whose signature is genuine, so that unsigned junk cannot use up a source's
allowance. Both are answered in the JSON error shape."""

import math

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja.throttling import SimpleRateThrottle

from config.envelope import ErrorCode, ErrorDetail
from config.errors import error_response
from config.request_context import current_phase


class PerSourceThrottle(SimpleRateThrottle):
    """A sliding window of deliveries per webhook source, in the shared cache."""

    scope = "webhook"

    def __init__(self, source_id: int):
        self.source_id = source_id
        self.rate = settings.WEBHOOK_RATE_LIMIT
        super().__init__(self.rate)

    def get_cache_key(self, request) -> str:
        return self.cache_format % {"scope": self.scope, "ident": f"source-{self.source_id}"}


def _refuse(request: HttpRequest, code: ErrorCode, message: str) -> HttpResponse:
    detail = ErrorDetail(code=code, message=message, phase=current_phase())
    return error_response(request, detail, as_json=True)


class Allowance:
    """A source's share of deliveries in the window: `admits()` counts one more and
    says whether it fits; `retry_after()` is the wait, in whole seconds, after a no."""

    def __init__(self, request: HttpRequest, source_id: int):
        self.request = request
        self.throttle = PerSourceThrottle(source_id)

    def admits(self) -> bool:
        return self.throttle.allow_request(self.request)

    def retry_after(self) -> str:
        return str(max(1, math.ceil(self.throttle.wait() or 1)))


def read_body(request: HttpRequest) -> bytes | HttpResponse:
    """The delivery's body, read up to the cap; or a 413 when it is larger (told by
    its Content-Length, or found while reading)."""
    limit = settings.WEBHOOK_MAX_BODY_BYTES
    too_large = f"The delivery is larger than {limit:,} bytes, the most a webhook takes."
    try:
        length = int(request.headers.get("Content-Length") or 0)
    except ValueError:
        return _refuse(request, ErrorCode.BAD_REQUEST, "Content-Length is not a number.")
    if length > limit:
        return _refuse(request, ErrorCode.PAYLOAD_TOO_LARGE, too_large)
    try:
        body = request.read(limit + 1)
    except RequestDataTooBig:
        return _refuse(request, ErrorCode.PAYLOAD_TOO_LARGE, too_large)
    if len(body) > limit:
        return _refuse(request, ErrorCode.PAYLOAD_TOO_LARGE, too_large)
    return body
