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
from django_htmx.http import reswap, retarget

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

#: What an error page says first, in words; the status is in the reference below it.
TITLES = {
    400: "We couldn't read that request",
    401: "Please log in first",
    403: "You can't do that here",
    404: "We couldn't find that page",
    405: "That doesn't work here",
    409: "That clashes with a change made meanwhile",
    413: "That is too large",
    415: "We can't read that kind of file",
    422: "Some of that isn't valid",
    429: "Too many requests at once",
    500: "Something went wrong on our side",
    503: "Back in a moment",
}
#: A line of advice under the message, where there is one.
HINTS = {
    404: "It may have been deleted, the link may be mistyped, or it belongs to another account.",
    429: "Wait a moment, then try again.",
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
    context = _page_context(body, status)
    if getattr(request, "htmx", False):
        html = render_to_string(
            "errors.html#error-notice", {**context, "in_page": True}, request=request
        )
        return _into_error_region(HttpResponse(html, status=status))
    return HttpResponse(_error_page(request, context), status=status)


def _page_context(body: dict, status: int) -> dict:
    return {
        "error": body,
        "status": status,
        "title": TITLES.get(status, "Something went wrong"),
        "hint": HINTS.get(status, ""),
    }


def _into_error_region(response: HttpResponse) -> HttpResponse:
    """An htmx request's error goes to the page's error region, whatever it targeted."""
    return reswap(retarget(response, ERROR_REGION), "innerHTML")


def _error_page(request: HttpRequest, context: dict) -> str:
    """The error page with the site's navigation; if that cannot be drawn (what failed
    may be what the navigation needs), the self-contained page."""
    try:
        return render_to_string("errors.html", context, request=request)
    except Exception:
        logger.exception("The error page could not be drawn; answering with the plain one")
        return render_to_string("503.html", context)


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
        request, _detail(ErrorCode.NOT_FOUND, "There is no page at this address.")
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
        context = _page_context(body, status)
        if request.headers.get("HX-Request") == "true":
            response = _into_error_region(
                HttpResponse(
                    render_to_string("errors.html#error-notice", {**context, "in_page": True}),
                    status=status,
                )
            )
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
