"""send_email, through a real SMTP server on loopback: what arrives is what was sent,
headers untouched; a server that is not there is an error the caller sees."""

import pytest

from config.email_url import mailer_from_url
from config.mail import send_email
from tests.processes import free_port

UNSUBSCRIBE = {
    "List-Unsubscribe": "<https://goals.example.com/u/abc123>, <mailto:unsubscribe@example.com>",
    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
}


def test_a_mail_arrives_with_text_html_and_its_headers(mail_settings):
    send_email(
        to="ada@example.com",
        subject="Your week: 3 goals on track",
        text="Plain words, and a link: https://goals.example.com/",
        html="<p>Plain words, and <a href='https://goals.example.com/'>a link</a>.</p>",
        headers=UNSUBSCRIBE,
    )
    [mail] = mail_settings.wait_for(1)
    assert mail["To"] == "ada@example.com"
    assert mail["From"] == "Goaltrack <goaltrack@localhost>"
    assert mail["Subject"] == "Your week: 3 goals on track"
    for name, value in UNSUBSCRIBE.items():
        # A long header is folded after its colon (RFC 5322 allows it); Python's parser
        # keeps the space of the fold in front of the value.
        assert mail[name].lstrip() == value
    assert mail.get_body(("plain",)).get_content().strip() == (
        "Plain words, and a link: https://goals.example.com/"
    )
    assert "<a href='https://goals.example.com/'>a link</a>" in (
        mail.get_body(("html",)).get_content()
    )


def test_without_html_the_mail_is_plain_text(mail_settings):
    send_email(to="ada@example.com", subject="Hello", text="Just text. Ünïcode too.")
    [mail] = mail_settings.wait_for(1)
    assert not mail.is_multipart()
    assert mail.get_content_type() == "text/plain"
    assert mail.get_content().strip() == "Just text. Ünïcode too."


def test_a_different_sender_passes_through(mail_settings):
    send_email(
        to="ada@example.com",
        subject="Hello",
        text="Hi",
        headers={"From": "Reminders <reminders@example.com>", "Reply-To": "help@example.com"},
    )
    [mail] = mail_settings.wait_for(1)
    assert (mail["From"], mail["Reply-To"]) == (
        "Reminders <reminders@example.com>",
        "help@example.com",
    )


def test_a_server_that_is_not_there_raises(settings):
    settings.MAILERS = {"default": mailer_from_url(f"smtp://127.0.0.1:{free_port()}?timeout=2")}
    with pytest.raises(OSError):
        send_email(to="ada@example.com", subject="Hello", text="Hi")


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        ({"to": " "}, "is not an email address"),
        ({"to": "ada@"}, "'ada@' is not an email address"),
        ({"headers": {"Bcc": "eve@example.com"}}, "cannot be given: Bcc"),
        ({"headers": {"subject": "Other"}}, "cannot be given: subject"),
        ({"subject": "Two\nlines"}, "linefeed"),
    ],
)
def test_a_mail_that_cannot_be_written_is_refused(mail_settings, arguments, complaint):
    with pytest.raises(ValueError, match=complaint):
        send_email(**{"to": "ada@example.com", "subject": "Hi", "text": "Hi", **arguments})
    assert mail_settings.messages == []
