"""Notices: what a change says back, in one place (`#undo-region` in `base.html`)
and one shape (`templates/notice.html`), whichever app made the change.

A notice is about one subject; the next notice replaces it. An HTMX response swaps
the region's whole content, so "was deleted" gives way to "is back", and a second
delete replaces the first one's Undo. A page loaded without JavaScript shows its
notice (or its flash messages) in the same region.
"""

from dataclasses import asdict, dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_htmx.http import reswap, retarget

from .revalidation import trigger_revalidation

NOTICE_REGION = "#undo-region"
NOTICE_TEMPLATE = "notice.html"


@dataclass(frozen=True)
class Notice:
    """One notice: its words and, for a deletion, where Undo posts to."""

    text: str
    #: Where the Undo button posts; no Undo without it.
    undo_url: str = ""
    #: The Undo button's accessible name ("Undo deleting “Run 100 km”").
    undo_label: str = ""
    #: `success` or `error`, as Django's message levels name them.
    tone: str = "success"


def notice_response(request: HttpRequest, notice: Notice, affected) -> HttpResponse:
    """The notice for an HTMX request, swapped into the region in place of whatever
    was there, with the events of what changed. It takes the focus: its Undo where
    there is one (the control that was clicked is gone), else the notice itself."""
    response = render(request, NOTICE_TEMPLATE, {**asdict(notice), "take_focus": True})
    retarget(response, NOTICE_REGION)
    reswap(response, "innerHTML")
    return trigger_revalidation(response, affected)
