"""EMAIL_URL: each form, its defaults, and refusals in words that keep the password out."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.email_url import (
    CONSOLE_BACKEND,
    MEMORY_BACKEND,
    SMTP_BACKEND,
    mailer_from_url,
    redacted,
)
from tests.config.test_settings import SECRET, run_manage


def smtp(**options) -> dict:
    defaults = {
        "host": "mail.example.com",
        "port": 25,
        "username": "",
        "password": "",
        "use_tls": False,
        "use_ssl": False,
        "timeout": 10.0,
    }
    return {"BACKEND": SMTP_BACKEND, "OPTIONS": {**defaults, **options}}


@pytest.mark.parametrize(
    ("url", "mailer"),
    [
        (None, {"BACKEND": CONSOLE_BACKEND}),
        ("", {"BACKEND": CONSOLE_BACKEND}),
        ("  ", {"BACKEND": CONSOLE_BACKEND}),
        ("console://", {"BACKEND": CONSOLE_BACKEND}),
        ("memory://", {"BACKEND": MEMORY_BACKEND}),
        ("smtp://mail.example.com", smtp()),
        ("smtp://mail.example.com:2525/", smtp(port=2525)),
        ("SMTP://Mail.Example.com", smtp()),
        ("smtp://mail.example.com?starttls=1", smtp(use_tls=True)),
        ("smtp://mail.example.com?tls=true", smtp(use_tls=True)),
        ("smtp://mail.example.com?starttls=off", smtp()),
        ("smtp+tls://mail.example.com", smtp(port=587, use_tls=True)),
        ("smtps://mail.example.com", smtp(port=465, use_ssl=True)),
        ("smtps://mail.example.com:8465", smtp(port=8465, use_ssl=True)),
        (
            "smtp+tls://apikey:s3cret@mail.example.com:2587",
            smtp(port=2587, use_tls=True, username="apikey", password="s3cret"),
        ),
        (
            "smtps://me%40example.com:p%40ss%2Fw%3Ard%25@mail.example.com",
            smtp(port=465, use_ssl=True, username="me@example.com", password="p@ss/w:rd%"),
        ),
        ("smtp://mail.example.com?timeout=2.5", smtp(timeout=2.5)),
        ("smtp://[::1]:1025", smtp(host="::1", port=1025)),
    ],
)
def test_each_form_becomes_a_mailer(url, mailer):
    assert mailer_from_url(url) == mailer


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("mailto://mail.example.com", "the scheme must be smtp://, smtp+tls://, smtps://"),
        ("mail.example.com", "the scheme must be"),
        ("smtp://", "it names no mail server"),
        ("smtp://:587", "it names no mail server"),
        ("smtp://mail.example.com:smtp", "it cannot be read"),
        ("smtp://mail.example.com:70000", "it cannot be read"),
        ("smtp://mail.example.com:0", "port 0"),
        ("smtp://mail.example.com/inbox", "an SMTP address has no path"),
        ("smtp://user@mail.example.com", "give both a user name and a password"),
        ("smtp://mail.example.com?timeout=0", "?timeout= is a number of seconds above 0"),
        ("smtp://mail.example.com?timeout=soon", "?timeout= is a number of seconds above 0"),
        ("smtp://mail.example.com?timeout=inf", "?timeout= is a number of seconds above 0"),
        ("smtp://mail.example.com?timeout=1&timeout=2", "the option timeout is given twice"),
        ("smtp://mail.example.com?starttls=maybe", "?starttls= is 1 or 0"),
        ("smtp://mail.example.com?tls=1&starttls=1", "give starttls or tls, not both"),
        ("smtps://mail.example.com?starttls=1", "goes with smtp:// only"),
        ("smtp+tls://mail.example.com?tls=0", "goes with smtp:// only"),
        ("smtp://mail.example.com?ssl=1", "unknown option ssl (known: timeout, starttls)"),
        ("console://localhost", "console:// takes no host, path or options"),
        ("memory://?timeout=3", "memory:// takes no host, path or options"),
    ],
)
def test_a_url_that_makes_no_sense_is_refused_in_words(url, reason):
    with pytest.raises(ImproperlyConfigured, match=r"^EMAIL_URL ") as refused:
        mailer_from_url(url)
    assert reason in str(refused.value)


@pytest.mark.parametrize(
    "url",
    [
        "smtp+tls://user:hunter2@mail.example.com?timeout=never",
        "smtp+tls://user:hunter2@mail.example.com:port",
        "smpt://user:hunter2@mail.example.com",
    ],
)
def test_the_password_never_shows_in_the_refusal(url):
    with pytest.raises(ImproperlyConfigured) as refused:
        mailer_from_url(url)
    message = str(refused.value)
    assert "hunter2" not in message
    assert "user:***@mail.example.com" in message


def test_redacted_keeps_everything_but_the_password():
    assert redacted("smtps://me%40x.org:p@ss@mail.example.com:465?timeout=3") == (
        "smtps://me%40x.org:***@mail.example.com:465?timeout=3"
    )
    assert redacted("smtp://mail.example.com:25") == "smtp://mail.example.com:25"


def test_the_app_refuses_to_start_with_a_bad_url_and_says_why():
    result = run_manage("check", SECRET_KEY=SECRET, EMAIL_URL="smtp://user:hunter2@")
    assert result.returncode != 0
    assert "EMAIL_URL 'smtp://user:***@' is not usable: it names no mail server" in result.stderr
    assert "hunter2" not in result.stderr


def test_without_email_url_mail_is_printed_and_comes_from_goaltrack():
    script = (
        "from django.conf import settings; "
        "print(settings.MAILERS['default']['BACKEND'], settings.DEFAULT_FROM_EMAIL, sep='|')"
    )
    env = {"SECRET_KEY": SECRET, "EMAIL_URL": "", "DEFAULT_FROM_EMAIL": ""}
    result = run_manage("shell", "--no-imports", "-c", script, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{CONSOLE_BACKEND}|Goaltrack <goaltrack@localhost>"


def test_the_deploy_check_asks_for_a_mail_server():
    """Without EMAIL_URL, mails (and their links) would be printed on the workers'
    output: fine on a laptop, not in production."""
    result = run_manage(
        "check", "--deploy", SECRET_KEY=SECRET, ALLOWED_HOSTS="goals.example.com", EMAIL_URL=""
    )
    assert result.returncode != 0
    assert "mail.E001" in result.stderr
