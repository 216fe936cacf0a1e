"""`manage.py api_token` prints one secret, and that secret opens the API."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("api_token", *args, stdout=out)
    return out.getvalue().strip()


def test_the_printed_secret_opens_the_api_for_that_user():
    user = UserFactory()
    secret = run(user.username, "--name", "ci")
    assert secret.startswith("gt_") and "\n" not in secret
    response = Client().get("/api/v1/metrics", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert user.api_tokens.get().name == "ci"


def test_an_unknown_user_is_refused_unless_asked_to_create_one():
    with pytest.raises(CommandError):
        run("nobody")
    assert run("somebody", "--create-user").startswith("gt_")
