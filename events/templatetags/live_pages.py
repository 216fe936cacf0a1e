from django import template
from django.urls import reverse
from django.utils.html import format_html

from .. import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def live_page(context) -> str:
    """The attributes on `<body>` that `static/js/live.js` reads: where the stream and
    the poll are, and the position the page was made at (`LivePositionMiddleware`);
    nothing for someone not signed in."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ""
    position = getattr(request, "live_position", None)
    if position is None:
        position = selectors.position(owner_id=user.id)
    return format_html(
        ' data-live-stream="{}" data-live-since="{}" data-live-position="{}"',
        reverse("events:stream"),
        reverse("events:since"),
        position,
    )
