import logging

from .envelope import ApplicationError
from .errors import error_response
from .request_context import (
    Phase,
    bind,
    channel_for_path,
    correlation_id,
    is_acceptable_request_id,
    set_phase,
)

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"


class RequestContextMiddleware:
    """Outermost middleware: gives each request a correlation id and tracks its phase.

    A client's `X-Request-ID` is reused when it is sane, else a new id is made; either
    way it is echoed on the response, error pages included (they are rendered inside
    this middleware's context).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        offered = request.headers.get(REQUEST_ID_HEADER)
        with bind(
            offered if is_acceptable_request_id(offered) else None,
            Phase.AUTHENTICATE,
            channel_for_path(request.path),
        ):
            request.correlation_id = correlation_id()
            if offered and offered != request.correlation_id:
                logger.info("Ignored a malformed %s header", REQUEST_ID_HEADER)
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request.correlation_id
            return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        # The authentication middlewares have run; the view now reads its input.
        set_phase(Phase.VALIDATE)

    def process_exception(self, request, exception):
        """An expected failure raised in a view (another user's goal, say) becomes its
        error response here, once, with the phase it was raised in."""
        if isinstance(exception, ApplicationError):
            return error_response(request, exception.detail())
        return None
