"""The one-click unsubscribe link every notification email carries (RFC 8058): a
signed token naming the person, so it works without logging in, and never expires
(an old email's link still unsubscribes)."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "notifications.unsubscribe"


def token_for(user_id: int) -> str:
    return signing.dumps(user_id, salt=SALT, compress=True)


def user_id_for(token: str) -> int | None:
    """The person the token was made for, or None for a token we did not sign."""
    try:
        value = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    return value if isinstance(value, int) else None


def url_for(user_id: int) -> str:
    path = reverse("notifications:unsubscribe", args=[token_for(user_id)])
    return f"{settings.SITE_URL}{path}"
