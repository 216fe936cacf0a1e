"""What every JSON API request passes before its operation runs: a size limit, JSON
only, the bearer token, the rate limit and `Idempotency-Key`.

It runs after Django's authentication middleware: a valid bearer token makes its
owner the request's user (without a session), an invalid one is refused at once.
A request with a token used in the last minute costs one query before its operation,
the token's, plus an `Idempotency-Key`'s claim; the rate limit asks the database only
now and then, or never with Redis (`api/limits.py`).
"""

import datetime as dt

from django.conf import settings
from django.utils import timezone

from accounts.executors import api_token_mark_used
from accounts.selectors import api_token_for_secret
from config.envelope import ErrorCode, ErrorDetail, FieldError
from config.errors import error_response
from config.request_context import current_phase

from . import idempotency, limits

API_PREFIX = "/api/"
BODY_METHODS = {"POST", "PUT", "PATCH"}
TOKEN_USE_RESOLUTION = dt.timedelta(minutes=1)


def client_ident(request) -> str:
    """Whom the rate limit counts: the API token, or the signed-in user without one."""
    token = getattr(request, "api_token", None)
    return f"token-{token.id}" if token else f"user-{request.user.pk}"


def _refuse(request, code: ErrorCode, message: str, field: str | None = None):
    fields = [FieldError(field=field, message=message)] if field else []
    detail = ErrorDetail(code=code, message=message, phase=current_phase(), fields=fields)
    return error_response(request, detail)


class ApiMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX):
            return self.get_response(request)
        refusal = self._check_body(request) or self._authenticate(request)
        if refusal is not None:
            return refusal
        if request.user.is_authenticated:
            decision = limits.check(client_ident(request))
            if not decision.allowed:
                response = _refuse(
                    request, ErrorCode.RATE_LIMITED, "Too many requests; slow down and retry."
                )
                response["Retry-After"] = str(decision.retry_after)
                return response
            if request.method == "POST" and "Idempotency-Key" in request.headers:
                return self._idempotent(request)
        return self._in_shape(request, self.get_response(request))

    def _in_shape(self, request, response):
        """The router answers a method a route does not take with a bare 405; give it
        the error shape too."""
        if response.status_code != 405 or response.get("Content-Type", "").startswith(
            "application/json"
        ):
            return response
        shaped = _refuse(
            request,
            ErrorCode.METHOD_NOT_ALLOWED,
            f"{request.method} is not "
            f"allowed here; this URL takes {response.get('Allow', 'other methods')}.",
        )
        if "Allow" in response:
            shaped["Allow"] = response["Allow"]
        return shaped

    def _check_body(self, request):
        if request.method not in BODY_METHODS:
            return None
        try:
            length = int(request.headers.get("Content-Length") or 0)
        except ValueError:
            return _refuse(request, ErrorCode.BAD_REQUEST, "Content-Length is not a number.")
        if length > settings.API_MAX_BODY_BYTES:
            return _refuse(
                request,
                ErrorCode.PAYLOAD_TOO_LARGE,
                f"The body is {length:,} bytes; the most the API takes is "
                f"{settings.API_MAX_BODY_BYTES:,}.",
            )
        content_type = request.content_type or ""
        if length and content_type != "application/json":
            return _refuse(
                request,
                ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                f"Send JSON, with Content-Type: application/json (not “{content_type}”).",
            )
        return None

    def _authenticate(self, request):
        header = request.headers.get("Authorization")
        if header is None:
            return None
        scheme, _, secret = header.partition(" ")
        token = api_token_for_secret(secret.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            return _refuse(
                request,
                ErrorCode.UNAUTHENTICATED,
                "The API token is not valid, or it was revoked. "
                "Send Authorization: Bearer <token>.",
            )
        request.user = token.user
        request.api_token = token
        now = timezone.now()
        if token.last_used is None or token.last_used <= now - TOKEN_USE_RESOLUTION:
            api_token_mark_used(token_id=token.id, now=now, every=TOKEN_USE_RESOLUTION)
        return None

    def _idempotent(self, request):
        key = request.headers["Idempotency-Key"]
        if not key or len(key) > idempotency.MAX_KEY_LENGTH or not key.isprintable():
            return _refuse(
                request,
                ErrorCode.BAD_REQUEST,
                "Idempotency-Key must be 1 to 255 printable characters.",
                field="Idempotency-Key",
            )
        outcome = idempotency.claim(
            user_id=request.user.pk,
            key=key,
            request_print=idempotency.fingerprint(request),
            now=timezone.now(),
        )
        if isinstance(outcome, idempotency.Replay):
            return idempotency.replayed(outcome.record)
        if isinstance(outcome, idempotency.Mismatch):
            return _refuse(
                request,
                ErrorCode.VALIDATION_FAILED,
                "This Idempotency-Key was used with a different request.",
                field="Idempotency-Key",
            )
        if isinstance(outcome, idempotency.Running):
            return _refuse(
                request,
                ErrorCode.CONFLICT,
                "A request with this Idempotency-Key is still running; retry in a moment.",
            )
        response = self._in_shape(request, self.get_response(request))
        idempotency.complete(outcome, response)
        return response
