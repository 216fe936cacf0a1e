import pytest

from tests.factories import PASSWORD, UserFactory


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def signed_in(client, user):
    """The test client, logged in as `user`."""
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def htmx_headers():
    return {"HX-Request": "true"}
