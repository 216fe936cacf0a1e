"""Browser tests: Playwright driving Debian's Chromium against the live server."""

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in this thread; the database fixtures are
# still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    chromium = shutil.which("chromium")
    if chromium is None:
        raise RuntimeError("The browser tests need Chromium: apt-get install chromium")
    return {**browser_type_launch_args, "executable_path": chromium, "args": CHROMIUM_ARGS}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
