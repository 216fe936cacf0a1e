"""Settings for the test suite: the production settings, with a test secret, plain
HTTP for the test client and a fast password hasher. `DATABASE_URL` still selects
the database, so CI runs the same suite on PostgreSQL and SQLite."""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production-" + "k" * 30)
os.environ.setdefault("DJANGO_HTTPS", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The login throttle stays on; `Client.login()` (no request) passes its backend.
AUTHENTICATION_BACKENDS = [
    "tests.throttle_backend.RequestOptionalAxesBackend"
    if backend == "axes.backends.AxesStandaloneBackend"
    else backend
    for backend in AUTHENTICATION_BACKENDS  # noqa: F405
]
# The suite asks for many resets from one address; the limits' own tests set theirs.
PASSWORD_RESET_ADDRESS_LIMIT = PASSWORD_RESET_CLIENT_LIMIT = "1000/h"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not Django's shared in-memory database: the live server of the browser
    # tests answers several HTMX requests at once, each thread on its own connection.
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"goaltrack-test-{os.getpid()}.sqlite3")
    }
