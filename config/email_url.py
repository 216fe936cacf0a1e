"""Where the product's mail goes, from one variable: `EMAIL_URL`.

| `EMAIL_URL` | sends |
| --- | --- |
| unset or empty | nowhere: each mail is printed on the process's output (`console://`) |
| `smtp://host:25` | over SMTP in plain text; `?starttls=1` (or `?tls=1`) upgrades with STARTTLS |
| `smtp+tls://user:pass@host` | over SMTP with STARTTLS, port 587 unless given |
| `smtps://user:pass@host` | over SMTP inside TLS from the first byte, port 465 unless given |
| `console://` | printed on the process's output |
| `memory://` | kept in `django.core.mail.outbox` (tests) |

The user name and password are percent-decoded: write an `@` in a user name as `%40`,
a `/`, `?`, `#` or `%` in a password as `%2F`, `%3F`, `%23`, `%25`. `?timeout=` is how
many seconds one SMTP operation may take (default 10), so a mail server that stops
answering fails the sending task instead of holding its worker.

The result is an entry of Django's `MAILERS` setting (Django 6.1 deprecates the
`EMAIL_HOST` family, and refuses to mix the two). A URL that does not make sense
raises `ImproperlyConfigured` at start-up, with the password left out of the message.
"""

import math
import re
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
CONSOLE_BACKEND = "django.core.mail.backends.console.EmailBackend"
MEMORY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

DEFAULT_TIMEOUT_SECONDS = 10.0
#: Per SMTP scheme: (STARTTLS, TLS from the first byte, default port).
SMTP_SCHEMES: dict[str, tuple[bool, bool, int]] = {
    "smtp": (False, False, 25),
    "smtp+tls": (True, False, 587),
    "smtps": (False, True, 465),
}
LOCAL_SCHEMES = {"console": CONSOLE_BACKEND, "memory": MEMORY_BACKEND}
SCHEMES_IN_WORDS = "smtp://, smtp+tls://, smtps://, console:// or memory://"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_STARTTLS_OPTIONS = {"starttls", "tls"}


def mailer_from_url(url: str | None) -> dict[str, Any]:
    """The `MAILERS["default"]` entry that `url` describes (see the module's docstring)."""
    if url is None or not url.strip():
        return {"BACKEND": CONSOLE_BACKEND}
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _bad(url, f"it cannot be read ({exc})") from None
    scheme = parts.scheme.lower()
    options = _options(url, parts.query)
    if scheme in LOCAL_SCHEMES:
        if parts.netloc or parts.path.strip("/") or options:
            raise _bad(url, f"{scheme}:// takes no host, path or options")
        return {"BACKEND": LOCAL_SCHEMES[scheme]}
    if scheme not in SMTP_SCHEMES:
        raise _bad(url, f"the scheme must be {SCHEMES_IN_WORDS}")
    use_tls, use_ssl, default_port = SMTP_SCHEMES[scheme]
    if not parts.hostname:
        raise _bad(url, "it names no mail server (smtp://host:port)")
    if port == 0:
        raise _bad(url, "port 0 is no port to send to")
    if parts.path.strip("/"):
        raise _bad(url, "an SMTP address has no path")
    username = unquote(parts.username or "")
    password = unquote(parts.password or "")
    if bool(username) != bool(password):
        raise _bad(url, "give both a user name and a password (user:password@host), or neither")
    starttls = _starttls(url, scheme, options)
    timeout = _timeout(url, options.pop("timeout", None))
    if options:
        raise _bad(url, f"unknown option {', '.join(sorted(options))} (known: timeout, starttls)")
    return {
        "BACKEND": SMTP_BACKEND,
        "OPTIONS": {
            "host": parts.hostname,
            "port": port or default_port,
            "username": username,
            "password": password,
            "use_tls": use_tls or starttls,
            "use_ssl": use_ssl,
            "timeout": timeout,
        },
    }


def _options(url: str, query: str) -> dict[str, str]:
    pairs = parse_qsl(query, keep_blank_values=True)
    options: dict[str, str] = {}
    for name, value in pairs:
        name = name.lower()
        if name in options:
            raise _bad(url, f"the option {name} is given twice")
        options[name] = value.strip()
    return options


def _starttls(url: str, scheme: str, options: dict[str, str]) -> bool:
    given = [name for name in sorted(_STARTTLS_OPTIONS) if name in options]
    if not given:
        return False
    if len(given) > 1:
        raise _bad(url, "give starttls or tls, not both")
    name = given[0]
    raw = options.pop(name)
    if scheme != "smtp":
        raise _bad(url, f"?{name}= goes with smtp:// only ({scheme}:// decides TLS itself)")
    value = raw.lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise _bad(url, f"?{name}= is 1 or 0 (true or false), not {raw!r}")


def _timeout(url: str, raw: str | None) -> float:
    if raw is None:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise _bad(url, f"?timeout= is a number of seconds above 0, not {raw!r}")
    return seconds


def redacted(url: str) -> str:
    """`url` with its password replaced by `***`, fit for an error message or a log."""
    return re.sub(r"(//[^/?#@:]*:)[^/?#]*@", r"\1***@", url)


def _bad(url: str, reason: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"EMAIL_URL {redacted(url)!r} is not usable: {reason}.")
