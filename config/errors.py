"""Error responses, in the shape the client asked for.

Every error, whether a full page, an HTMX fragment or JSON, carries its phase and the
request's correlation id, and never a stack trace. Django's handler400/403/404/500 and
views that got a failed envelope all come through `error_response`; a database that
cannot be reached comes through `service_unavailable` (503 with `Retry-After`).
"""

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from .envelope import ErrorCode, ErrorDetail
from .request_context import correlation_id, current_phase

logger = logging.getLogger(__name__)

STATUS_BY_CODE = {
    ErrorCode.VALIDATION_FAILED: 422,
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.PERMISSION_DENIED: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.INTERNAL_ERROR: 500,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
}

TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed here",
    409: "Conflict",
    422: "Not valid",
    500: "Something went wrong",
    503: "Back in a moment",
}

ERROR_REGION = "#error-region"


def wants_json(request: HttpRequest) -> bool:
    if request.path.startswith("/api/"):
        return True
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def _body(error: ErrorDetail) -> dict:
    return {
        "code": error.code.value,
        "message": error.message,
        "phase": error.phase.value if error.phase else None,
        "correlation_id": correlation_id(),
        "fields": [field.model_dump() for field in error.fields],
    }


def error_response(
    request: HttpRequest, error: ErrorDetail, status: int | None = None, *, as_json: bool = False
) -> HttpResponse:
    status = status or STATUS_BY_CODE[error.code]
    body = _body(error)
    if as_json or wants_json(request):
        return JsonResponse({"error": body}, status=status)
    context = {"error": body, "status": status, "title": TITLES.get(status, "Error")}
    if getattr(request, "htmx", False):
        html = render_to_string("errors.html#error-notice", context, request=request)
        response = HttpResponse(html, status=status)
        response["HX-Retarget"] = ERROR_REGION
        response["HX-Reswap"] = "innerHTML"
        return response
    return HttpResponse(render_to_string("errors.html", context, request=request), status=status)


def _detail(code: ErrorCode, message: str) -> ErrorDetail:
    return ErrorDetail(code=code, message=message, phase=current_phase())


def bad_request(request, exception=None):
    return error_response(request, _detail(ErrorCode.BAD_REQUEST, "The request was malformed."))


def permission_denied(request, exception=None):
    return error_response(
        request, _detail(ErrorCode.PERMISSION_DENIED, "You are not allowed to do that.")
    )


def page_not_found(request, exception=None):
    return error_response(
        request, _detail(ErrorCode.NOT_FOUND, "There is nothing here, or it is not yours.")
    )


#: What a database that cannot be reached raises: refused or dropped connections, a
#: server shutting down or restarting (psycopg's errors arrive as these).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
#: Seconds a client is told to wait before retrying: about what a restart takes.
OUTAGE_RETRY_AFTER = 30


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """503 with `Retry-After`, in the error shape the client asked for.

    Rendered without the request's context (no user, session or messages), so that
    answering touches nothing that needs the database."""
    status = 503
    detail = _detail(
        ErrorCode.SERVICE_UNAVAILABLE,
        "The service cannot reach its database for a moment. Nothing was changed; "
        "try again shortly.",
    )
    body = _body(detail)
    if wants_json(request):
        response = JsonResponse({"error": body}, status=status)
    else:
        context = {"error": body, "status": status, "title": TITLES[status]}
        if request.headers.get("HX-Request") == "true":
            response = HttpResponse(
                render_to_string("errors.html#error-notice", context), status=status
            )
            response["HX-Retarget"] = ERROR_REGION
            response["HX-Reswap"] = "innerHTML"
        else:
            response = HttpResponse(render_to_string("503.html", context), status=status)
    response["Retry-After"] = str(OUTAGE_RETRY_AFTER)
    return response


def server_error(request):
    """Called by Django for an unhandled exception (it has already logged it), from
    a view or any middleware: a database outage is a 503 that says when to retry."""
    if isinstance(sys.exception(), DATABASE_UNAVAILABLE):
        return service_unavailable(request)
    return error_response(
        request,
        _detail(
            ErrorCode.INTERNAL_ERROR,
            "An unexpected error stopped this request, and the change it was making "
            "was not saved. Quote the reference below if you report it.",
        ),
    )


def csrf_failure(request, reason=""):
    return error_response(
        request,
        _detail(
            ErrorCode.PERMISSION_DENIED,
            "Your form expired or came from elsewhere. Reload the page and try again.",
        ),
        status=403,
    )
