"""Personal API tokens, made and revoked on the API tokens page: the secret is shown
once and stored only as its SHA-256 digest, a revoked token answers 401 at once,
`last_used` follows use, and another user's token cannot be revoked."""

import datetime as dt
import hashlib
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken
from tests.api.conftest import ApiClient, token_for
from tests.factories import PASSWORD, MetricFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]

SECRET = re.compile(r"gt_[A-Za-z0-9_-]{43}")
PAGE = reverse("accounts:api_tokens")


@pytest.fixture
def web(owner):
    client = Client()
    assert client.login(username=owner.username, password=PASSWORD)
    return client


def revoke_url(token_id: int) -> str:
    return reverse("accounts:api_token_revoke", args=[token_id])


def make_token(web, name="Phone shortcut") -> tuple[str, object]:
    """Create a token and follow the redirect to the page that shows its secret."""
    made = web.post(PAGE, {"name": name})
    assert made.status_code == 302 and made["Location"] == PAGE, made.content
    response = web.get(PAGE)
    secrets = SECRET.findall(response.content.decode())
    assert len(set(secrets)) == 1, secrets
    return secrets[0], response


def test_the_page_needs_a_sign_in(db):
    response = Client().get(PAGE)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_a_new_user_has_no_tokens(web):
    response = web.get(PAGE)
    assert response.status_code == 200
    assert "No tokens yet" in response.content.decode()


def test_creating_a_token_shows_its_secret_once(web, owner):
    secret, response = make_token(web)
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=owner)
    assert token.name == "Phone shortcut"
    assert token.prefix == secret[:10] and secret.startswith(token.prefix)
    assert token.revoked is None and token.last_used is None

    listed = web.get(PAGE)
    page = listed.content.decode()
    assert secret not in page
    assert not SECRET.search(page)
    assert f"{token.prefix}…" in page and "Phone shortcut" in page


def test_the_database_holds_only_the_digest(web, owner):
    secret, _ = make_token(web)
    token = ApiToken.objects.get(user=owner)
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    row = ApiToken.objects.filter(id=token.id).values().get()
    stored = " ".join(str(value) for value in row.values())
    assert secret not in stored
    assert secret[10:] not in stored  # nothing beyond the shown prefix


def test_a_new_token_opens_the_api_as_its_owner(web, owner):
    mine = MetricFactory(owner=owner)
    MetricFactory(owner=UserFactory())
    secret, _ = make_token(web)
    response = ApiClient(secret).call("get", "metrics")
    assert response.status_code == 200, response.content
    assert [metric["id"] for metric in response.json()] == [mine.id]


def test_each_token_has_its_own_secret(web, owner):
    first, _ = make_token(web, "one")
    second, _ = make_token(web, "two")
    assert first != second
    assert ApiToken.objects.filter(user=owner).count() == 2


def test_a_token_needs_a_name(web, owner):
    response = web.post(PAGE, {"name": "   "})
    assert response.status_code == 200
    assert not SECRET.search(response.content.decode())
    assert not ApiToken.objects.exists()


def test_creating_a_token_needs_the_csrf_token(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    assert client.post(PAGE, {"name": "Sneaky"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_revoking_makes_the_token_answer_401_at_once(web, owner):
    secret, _ = make_token(web)
    api = ApiClient(secret)
    assert api.call("get", "metrics").status_code == 200
    token = ApiToken.objects.get(user=owner)

    response = web.post(revoke_url(token.id))
    assert response.status_code == 302 and response["Location"] == PAGE
    refused = api.call("get", "metrics")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthenticated"
    token.refresh_from_db()
    assert token.revoked is not None
    assert revoke_url(token.id) not in web.get(PAGE).content.decode()


def test_revoking_one_token_leaves_the_others(web, owner):
    first, _ = make_token(web, "one")
    second, _ = make_token(web, "two")
    web.post(revoke_url(ApiToken.objects.get(name="one").id))
    assert ApiClient(first).call("get", "metrics").status_code == 401
    assert ApiClient(second).call("get", "metrics").status_code == 200


def test_revoking_twice_is_a_404(web, owner):
    make_token(web)
    token = ApiToken.objects.get(user=owner)
    assert web.post(revoke_url(token.id)).status_code == 302
    assert web.post(revoke_url(token.id)).status_code == 404


def test_revoke_takes_only_a_post(web, owner):
    make_token(web)
    token = ApiToken.objects.get(user=owner)
    assert web.get(revoke_url(token.id)).status_code == 405
    token.refresh_from_db()
    assert token.revoked is None


def test_another_users_token_cannot_be_revoked(web):
    stranger = UserFactory()
    secret = token_for(stranger)
    theirs = ApiToken.objects.get(user=stranger)

    response = web.post(revoke_url(theirs.id))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked is None
    assert ApiClient(secret).call("get", "metrics").status_code == 200


def test_another_users_tokens_are_not_listed(web):
    stranger = UserFactory()
    token_for(stranger)
    theirs = ApiToken.objects.get(user=stranger)
    page = web.get(PAGE).content.decode()
    assert theirs.prefix not in page
    assert revoke_url(theirs.id) not in page


def test_an_unknown_token_id_is_a_404(web):
    assert web.post(revoke_url(987654)).status_code == 404


def test_last_used_is_set_on_use(web, owner):
    secret, _ = make_token(web)
    token = ApiToken.objects.get(user=owner)
    assert token.last_used is None
    before = timezone.now()
    assert ApiClient(secret).call("get", "metrics").status_code == 200
    token.refresh_from_db()
    assert token.last_used is not None
    assert before <= token.last_used <= timezone.now()
    page = web.get(PAGE).content.decode()
    assert "never" not in page


def test_last_used_is_set_by_a_refused_request_too(owner):
    """The token was used, even if the operation then said 404."""
    secret = token_for(owner)
    assert ApiClient(secret).call("get", "metrics/987654").status_code == 404
    assert ApiToken.objects.get(user=owner).last_used is not None


def test_last_used_is_written_at_most_once_a_minute(owner):
    secret = token_for(owner)
    api = ApiClient(secret)
    recent = timezone.now() - dt.timedelta(seconds=30)
    ApiToken.objects.filter(user=owner).update(last_used=recent)
    api.call("get", "metrics")
    assert ApiToken.objects.get(user=owner).last_used == recent

    stale = timezone.now() - dt.timedelta(minutes=5)
    ApiToken.objects.filter(user=owner).update(last_used=stale)
    api.call("get", "metrics")
    assert ApiToken.objects.get(user=owner).last_used > stale + dt.timedelta(minutes=4)


def test_a_revoked_token_is_not_marked_used(owner):
    secret = token_for(owner)
    ApiToken.objects.filter(user=owner).update(revoked=timezone.now())
    assert ApiClient(secret).call("get", "metrics").status_code == 401
    assert ApiToken.objects.get(user=owner).last_used is None


def test_a_token_of_a_deleted_user_is_gone(owner):
    secret = token_for(owner)
    owner.delete()
    assert ApiClient(secret).call("get", "metrics").status_code == 401
