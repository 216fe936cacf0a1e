"""Sending one notice over one channel. Each sender answers with what happened
(`Tried`) and never raises for the channel's own failures, so the policy can fall
back to another channel and the log can say why."""

import logging
from collections.abc import Callable

from django.conf import settings
from django.template.loader import render_to_string

from config.mail import send_email

from . import push, unsubscribe
from .choices import Channel
from .contracts import NoticeJob, Tried
from .selectors import Contact

logger = logging.getLogger(__name__)

Sender = Callable[[NoticeJob, Contact], Tried]


def absolute(link: str) -> str:
    return f"{settings.SITE_URL}{link or '/'}"


def by_email(job: NoticeJob, contact: Contact) -> Tried:
    """The notice as an email, with the one-click unsubscribe headers of RFC 8058."""
    stop = unsubscribe.url_for(job.owner_id)
    context = {"notice": job, "link": absolute(job.link), "unsubscribe_url": stop}
    try:
        send_email(
            to=contact.email,
            subject=job.title,
            text=render_to_string("email/notice.txt", context),
            html=render_to_string("email/notice.html", context),
            headers={
                "List-Unsubscribe": f"<{stop}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                "Auto-Submitted": "auto-generated",
            },
        )
    except Exception as error:
        logger.warning("Emailing notice %s failed: %r", job.id, error)
        return Tried(channel=Channel.EMAIL, ok=False, detail=f"the mail server refused it: {error}")
    return Tried(channel=Channel.EMAIL, ok=True, detail=f"to {contact.email}")


def by_push(job: NoticeJob, contact: Contact) -> Tried:
    """The notice to every browser the person turned push on in; it reached them if
    one took it. Subscriptions the push service says are gone are to be deleted."""
    payload = {
        "title": job.title,
        "body": job.body,
        "url": absolute(job.link),
        "tag": f"notice-{job.kind}-{job.goal_id or 'all'}",
    }
    reached, gone, errors = [], [], []
    for subscription_id, target in contact.push_targets:
        result = push.send_push(target, payload)
        if result.ok:
            reached.append(subscription_id)
        else:
            errors.append(result.error)
            if result.gone:
                gone.append(subscription_id)
    if reached:
        detail = f"to {len(reached)} browser{'s' if len(reached) != 1 else ''}"
    elif gone and len(gone) == len(contact.push_targets):
        detail = "the browser's subscription is gone (it was turned off or expired)"
    else:
        detail = "; ".join(dict.fromkeys(errors)) or "no browser took it"
    return Tried(channel=Channel.PUSH, ok=bool(reached), detail=detail, gone=gone, reached=reached)


def by_webhook(job: NoticeJob, contact: Contact) -> Tried:
    """A webhook needs nothing sent here: the `notification.sent` event written with
    the notice's outcome is delivered to the endpoints subscribed to it."""
    return Tried(
        channel=Channel.WEBHOOK, ok=True, detail="as a notification.sent event to your endpoints"
    )


SENDERS: dict[str, Sender] = {
    Channel.EMAIL: by_email,
    Channel.PUSH: by_push,
    Channel.WEBHOOK: by_webhook,
}
