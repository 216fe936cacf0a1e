"""Defects found in review of the hostile-input work, each shown by the way an
attacker would use it."""

import io
import time
import zipfile

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from sources.models import SyncRun
from sources.orchestrators import create_webhook_source
from sources.providers import PermanentError, Source, limits
from sources.providers.apple_health import AppleHealthExport, AppleHealthSettings
from tests.factories import PASSWORD, MetricFactory, UserFactory

SITE_LOGIN = "/accounts/login/"
ATTACKER = "198.51.100.7"


def _attempt(client: Client, username: str, password: str):
    return client.post(
        SITE_LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ATTACKER
    )


@pytest.mark.django_db
def test_logging_into_ones_own_account_does_not_reset_the_count_against_another():
    """An attacker with an account of their own (sign-up is open) guesses a victim's
    password just under the limit, logs into their own account, and guesses again:
    the victim's failures must still add up to the lockout."""
    victim, attacker = UserFactory(), UserFactory()
    for _round in range(2):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            response = _attempt(Client(), victim.username, "wrong-password")
            if response.status_code == 429:
                break
        own = Client()
        _attempt(own, attacker.username, PASSWORD)
    response = _attempt(Client(), victim.username, PASSWORD)
    assert response.status_code == 429


@pytest.mark.django_db
def test_an_owner_who_logs_in_after_typos_starts_afresh():
    """The account's own failures are still forgotten on its login."""
    user = UserFactory()
    for _round in range(2):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            assert _attempt(Client(), user.username, "typo").status_code == 200
        owner = Client()
        assert _attempt(owner, user.username, PASSWORD).status_code == 302
        assert "_auth_user_id" in owner.session


@pytest.mark.django_db
def test_a_webhook_signature_that_is_not_ascii_is_refused_not_a_500(settings, tmp_path):
    """`hmac.compare_digest` raises TypeError on a str with non-ASCII characters; a
    header is whatever bytes the sender wrote (read as Latin-1)."""
    settings.MEDIA_ROOT = tmp_path
    metric = MetricFactory(unit="kg")
    made = create_webhook_source(
        actor_id=metric.owner_id, name="Scale", metric_id=metric.id, now=timezone.now()
    ).unwrap()
    client = Client(raise_request_exception=False)
    response = client.post(
        f"/sources/hooks/{made['source_id']}/",
        data=b'{"measurements": []}',
        content_type="application/json",
        headers={"X-Goaltrack-Timestamp": str(int(time.time())), "X-Goaltrack-Signature": "é"},
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert not SyncRun.objects.exists()


def _zip_with_members(count: int) -> io.BytesIO:
    """A valid export.zip whose central directory lists `count` more empty members:
    zipfile keeps an object of some 400 bytes for each, so a 500 MB upload of tiny
    members would take gigabytes of the worker's memory before export.xml is read."""
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("apple_health_export/export.xml", EXPORT)
        for number in range(count):
            archive.writestr(zipfile.ZipInfo(f"{number:x}"), b"")
    packed.seek(0)
    return packed


EXPORT = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="en_US">\n'
    b'<Record type="HKQuantityTypeIdentifierBodyMass" sourceName="Scale" unit="kg" '
    b'startDate="2026-11-20 07:01:00 +0100" endDate="2026-11-20 07:01:00 +0100" '
    b'value="81.4"/>\n</HealthData>\n'
)


def _health_source() -> Source:
    settings_ = AppleHealthSettings(metrics={"body_mass": 1})
    return Source(id=1, settings=settings_, secrets={}, streams={}, cursor=None)


def test_a_zip_whose_directory_lists_too_many_members_is_refused_before_it_is_read(
    monkeypatch,
):
    monkeypatch.setattr(limits, "MAX_ZIP_DIRECTORY_BYTES", 64 * 1024, raising=False)
    with pytest.raises(PermanentError, match="members"):
        list(AppleHealthExport().parse(_health_source(), _zip_with_members(5000)))
    # An export with a few members besides export.xml is read as before.
    batches = list(AppleHealthExport().parse(_health_source(), _zip_with_members(20)))
    assert [item["value"] for batch in batches for item in batch.items] == ["81.4"]
