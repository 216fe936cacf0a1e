"""The position a page's live updates start from."""

from config.request_context import Channel, channel_for_path

from . import selectors


class LivePositionMiddleware:
    """For a page a signed-in person opens (a plain GET, not an htmx fragment), read
    the owner's event position before the view reads anything else: the page then
    shows at least everything up to that position, and its live updates start there
    (`{% live_page %}` renders it), so a change committed while the page was being
    made is pushed to it rather than missed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if (
            request.method == "GET"
            and "HX-Request" not in request.headers
            and channel_for_path(request.path) == Channel.WEB
            and not request.path.startswith("/events/")
            and request.user.is_authenticated
        ):
            request.live_position = selectors.position(owner_id=request.user.id)
