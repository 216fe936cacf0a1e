"""The live pages' two endpoints: the stream of what changed, and the poll a page falls
back to when the stream is unavailable. Both answer for the signed-in user's own
events only, in the same shape (`selectors.Changes`); the page's script
(`static/js/live.js`) fires the htmx events they name.

Signing in is the session's, as for every page; a request without one gets 401 rather
than the login page, which neither an `EventSource` nor the poll could show.
"""

import re

from django.contrib.auth.decorators import login_not_required
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from config.envelope import ErrorCode, ErrorDetail
from config.errors import error_response
from config.request_context import current_phase

from . import selectors
from .hub import read, release_request_connection
from .streams import changes_stream

POSITION = re.compile(r"\d{1,18}")


def _error(request: HttpRequest, code: ErrorCode, message: str) -> HttpResponse:
    return error_response(
        request, ErrorDetail(code=code, message=message, phase=current_phase()), as_json=True
    )


def _not_signed_in(request: HttpRequest) -> HttpResponse:
    return _error(request, ErrorCode.UNAUTHENTICATED, "Sign in to follow your changes.")


def _position(value: str | None) -> int | None:
    """An event id from a header or the query; None when it is not one."""
    value = (value or "").strip()
    return int(value) if POSITION.fullmatch(value) else None


@login_not_required
@require_GET
async def stream(request: HttpRequest) -> HttpResponse:
    """Server-Sent Events from the position in `Last-Event-ID` (a reconnecting
    browser's) or `?after=` (the position the page was rendered at), or from now.

    Only an ASGI server serves it: the stream then waits on this process's hub, holding
    no thread. Under WSGI it would hold a worker for as long as the page stays open, so
    it answers 204, which tells `EventSource` not to reconnect; the page polls instead.
    """
    response = await _stream(request)
    if isinstance(request, ASGIRequest) and not response.streaming:
        # The request's own thread ends with it, but its connection would be closed
        # only when the garbage collector finds it (a stream gives its back as it
        # starts).
        await release_request_connection()
    return response


async def _stream(request: HttpRequest) -> HttpResponse:
    user = await request.auser()
    if not user.is_authenticated:
        return _not_signed_in(request)
    if not isinstance(request, ASGIRequest):
        return HttpResponse(status=204)
    given = request.headers.get("Last-Event-ID") or request.GET.get("after")
    after = _position(given)
    if given and after is None:
        return _error(request, ErrorCode.BAD_REQUEST, "The position must be an event id.")
    if after is None:
        after = await read(selectors.position, owner_id=user.id)
    response = StreamingHttpResponse(
        changes_stream(user.id, after), content_type="text/event-stream"
    )
    response["Cache-Control"] = "no-store"
    # Proxies (nginx) would otherwise buffer the stream.
    response["X-Accel-Buffering"] = "no"
    return response


@login_not_required
@require_GET
def since(request: HttpRequest) -> HttpResponse:
    """What changed after `?after=` (JSON, as the stream's messages); without it, just
    the current position."""
    if not request.user.is_authenticated:
        return _not_signed_in(request)
    given = request.GET.get("after")
    after = _position(given)
    if given is not None and after is None:
        return _error(request, ErrorCode.BAD_REQUEST, "after must be an event id.")
    if after is None:
        changes = selectors.Changes(
            position=selectors.position(owner_id=request.user.id), changes=[]
        )
    else:
        changes = selectors.changes_after(owner_id=request.user.id, after=after)
    response = JsonResponse(changes.as_json())
    response["Cache-Control"] = "no-store"
    return response
