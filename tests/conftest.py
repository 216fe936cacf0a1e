import os

import pytest

from tests.factories import PASSWORD, UserFactory

# A real SMTP server on loopback, and the settings that send mail to it.
pytest_plugins = ["tests.mailbox"]


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


def pytest_collection_modifyitems(config, items):
    """Memory and scale tests take a minute between them: CI (`.ci/run`) runs them, a
    quick local `make test` leaves them out unless RUN_SCALE_TESTS=1."""
    if os.environ.get("RUN_SCALE_TESTS") == "1":
        return
    later = pytest.mark.skip(reason="a scale test: RUN_SCALE_TESTS=1 runs it (CI does)")
    for item in items:
        if "scale" in item.keywords:
            item.add_marker(later)
