import uuid

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def submission_token() -> str:
    """A hidden one-time token, new on every render: the executor records a form's
    submission once, however often it arrives (a double click, a retry, Back)."""
    return format_html('<input type="hidden" name="submission_token" value="{}">', uuid.uuid4())
