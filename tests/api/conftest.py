import pytest
from django.test import Client
from django.utils import timezone

from accounts.contracts import CreateApiToken
from accounts.orchestrators import create_api_token
from tests.factories import UserFactory


def token_for(user) -> str:
    result = create_api_token(CreateApiToken(name="tests"), actor_id=user.id, now=timezone.now())
    return result.unwrap().secret


class ApiClient(Client):
    """The test client speaking JSON with a bearer token."""

    def __init__(self, token: str, **kwargs):
        super().__init__(headers={"Authorization": f"Bearer {token}"}, **kwargs)

    def call(self, method: str, path: str, body=None, **kwargs):
        url = path if path.startswith("/") else f"/api/v1/{path}"
        if body is None:
            return getattr(self, method)(url, **kwargs)
        return getattr(self, method)(url, body, content_type="application/json", **kwargs)


@pytest.fixture
def owner(db):
    return UserFactory()


@pytest.fixture
def api(owner):
    return ApiClient(token_for(owner))


@pytest.fixture
def stranger_api(db):
    return ApiClient(token_for(UserFactory()))
