from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, fallback: str | None = None) -> str | None:
    """The `next` URL a form carries, if it is a path on this site; else `fallback`.

    Only a path (`/goals/4/`) is taken: `redirect` reads anything else that has no
    slash or dot ("0", "24:61") as the name of a view, and a name that is not one is
    an error, not a redirect."""
    target = request.POST.get("next") or request.GET.get("next")
    if (
        target
        and target.startswith("/")
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return fallback
