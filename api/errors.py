"""Every API error as one JSON shape, `{"error": {code, message, phase,
correlation_id, fields}}`, with its status: the same `error_response` the pages use."""

import logging
import math

import pydantic
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from config.envelope import ApplicationError, ErrorCode, ErrorDetail, field_errors
from config.errors import DATABASE_UNAVAILABLE, error_response, service_unavailable
from config.request_context import Phase, current_phase, set_phase

from .parser import BodyNotJson

logger = logging.getLogger(__name__)

CODE_BY_STATUS = {
    400: ErrorCode.BAD_REQUEST,
    401: ErrorCode.UNAUTHENTICATED,
    403: ErrorCode.PERMISSION_DENIED,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.BAD_REQUEST,
    409: ErrorCode.CONFLICT,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    422: ErrorCode.VALIDATION_FAILED,
    429: ErrorCode.RATE_LIMITED,
}


def _answer(request, code: ErrorCode, message: str, fields=(), status: int | None = None):
    detail = ErrorDetail(code=code, message=message, phase=current_phase(), fields=list(fields))
    return error_response(request, detail, status=status)


REQUEST_PARTS = frozenset({"body", "query", "path", "payload", "filters"})

#: Plainer words than pydantic's for the mistakes clients make most.
MESSAGES = {
    "timezone_aware": "Give the time with its UTC offset, like 2026-11-25T08:00:00+01:00 or …Z.",
    "extra_forbidden": "This field is not part of the request; check its spelling.",
    "missing": "This field is required.",
}


def validation_failed(request, exc: ValidationError | pydantic.ValidationError):
    """A request that does not fit its schema, or a command that refuses what the
    request carried (a number too large to store, a name of spaces)."""
    if isinstance(exc, ValidationError):
        exc = pydantic.ValidationError.from_exception_data("request", exc.errors)
    fields = [
        field.model_copy(update={"message": MESSAGES.get(field.code, field.message)})
        for field in field_errors(exc, drop=REQUEST_PARTS)
    ]
    return _answer(request, ErrorCode.VALIDATION_FAILED, "Some fields need another look.", fields)


def http_error(request, exc: HttpError):
    if isinstance(exc.__cause__, BodyNotJson):
        return _answer(request, ErrorCode.BAD_REQUEST, str(exc.__cause__))
    if isinstance(exc, AuthenticationError):
        # The operation checks its credentials as it starts, after the request's input
        # phase began; the refusal is still about who is asking.
        set_phase(Phase.AUTHENTICATE)
        return _answer(
            request,
            ErrorCode.UNAUTHENTICATED,
            "Sign in, or send Authorization: Bearer <token> (API tokens are made on the "
            "API tokens page).",
        )
    code = CODE_BY_STATUS.get(exc.status_code, ErrorCode.BAD_REQUEST)
    response = _answer(request, code, str(exc), status=exc.status_code)
    if isinstance(exc, Throttled):
        response["Retry-After"] = str(max(1, math.ceil(exc.wait or 1)))
    return response


def application_error(request, exc: ApplicationError):
    return error_response(request, exc.detail())


def not_found(request, exc):
    return _answer(request, ErrorCode.NOT_FOUND, "There is nothing here, or it is not yours.")


def database_unavailable(request, exc: Exception):
    logger.warning("The database could not be reached: %s", exc)
    return service_unavailable(request)


def unexpected(request, exc: Exception):
    logger.exception("Unexpected error in an API call", exc_info=exc)
    return _answer(
        request,
        ErrorCode.INTERNAL_ERROR,
        "An unexpected error stopped this request, and the change it was making was not "
        "saved. Quote the correlation id if you report it.",
    )


def install(api: NinjaAPI) -> None:
    api.add_exception_handler(ValidationError, validation_failed)
    api.add_exception_handler(pydantic.ValidationError, validation_failed)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(ApplicationError, application_error)
    api.add_exception_handler(Http404, not_found)
    for error in DATABASE_UNAVAILABLE:
        api.add_exception_handler(error, database_unavailable)
    api.add_exception_handler(Exception, unexpected)
