"""Sending one email: the one way the product sends mail.

Where it goes is configuration (`EMAIL_URL`, config/email_url.py); who it is from is
`DEFAULT_FROM_EMAIL`. Sending happens in tasks, never in a request: a mail server that
is slow or down then fails a task, which its caller records, not a page.
"""

from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.mail.handler import DEFAULT_MAILER_ALIAS
from django.core.validators import validate_email

#: Set from the arguments: a header of the same name would be ignored or contradict them.
ARGUMENT_HEADERS = frozenset({"to", "cc", "bcc", "subject"})


def send_email(
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    """Send one mail to one address: a plain-text body, and an HTML alternative when
    `html` is given. `headers` are added as they are (`List-Unsubscribe`,
    `List-Unsubscribe-Post`, `Reply-To`, a `From` other than the default).

    Raises when the mail server cannot be reached or refuses the mail (`OSError`,
    `smtplib.SMTPException`), so the caller can record that it was not sent; and
    `ValueError` for a mail that cannot be written (no address or not one, a line
    break in a header, a header that the arguments set).
    """
    to = to.strip()
    try:
        validate_email(to)
    except ValidationError:
        raise ValueError(f"{to!r} is not an email address to send to.") from None
    headers = dict(headers or {})
    clashing = sorted(name for name in headers if name.lower() in ARGUMENT_HEADERS)
    if clashing:
        raise ValueError(f"Headers set by the arguments cannot be given: {', '.join(clashing)}.")
    message = EmailMultiAlternatives(subject=subject, body=text, to=[to], headers=headers)
    if html is not None:
        message.attach_alternative(html, "text/html")
    message.send(using=DEFAULT_MAILER_ALIAS)
