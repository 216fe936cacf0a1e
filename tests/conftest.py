import os

import pytest
from django.core.cache import cache

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
def empty_cache(db):
    """The cache emptied before and after the test: rate-limit windows live there, and
    emptying the database between tests keeps the cache table's rows."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def htmx_headers():
    return {"HX-Request": "true"}


#: Marks of the tests a quick local `make test` leaves out, each with the variable that
#: runs them and what they are. CI (`.ci/run`) sets the variables.
LEFT_OUT_LOCALLY = {
    "scale": ("RUN_SCALE_TESTS", "a memory or scale test"),
    "audit": ("RUN_PAGE_AUDIT", "the audit of every page and every form"),
}


def pytest_collection_modifyitems(config, items):
    """The memory and scale tests, and the every-page audit, take minutes between
    them: a local run leaves them out unless their variable is 1."""
    for mark, (variable, what) in LEFT_OUT_LOCALLY.items():
        if os.environ.get(variable) == "1":
            continue
        later = pytest.mark.skip(reason=f"{what}: {variable}=1 runs it (CI does)")
        for item in items:
            # The mark itself: `item.keywords` also holds the names of the item's
            # folders and modules, and `tests/audit/` is not the every-page audit.
            if item.get_closest_marker(mark):
                item.add_marker(later)
