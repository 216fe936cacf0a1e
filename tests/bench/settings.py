"""Settings for the benchmarks: the test settings, on the local PostgreSQL unless
`DATABASE_URL` says otherwise, with a urlconf that adds the baseline views."""

import os
import tempfile

if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/goaltrack"

from tests.settings import *  # noqa: F403

ROOT_URLCONF = "tests.bench.urls"

# Not pytest's test database: a bench must not clobber a test run in progress.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    BENCH_DATABASE = os.path.join(tempfile.gettempdir(), f"goaltrack-bench-{os.getpid()}.sqlite3")
else:
    BENCH_DATABASE = f"bench_{DATABASES['default']['NAME']}"  # noqa: F405
DATABASES["default"]["TEST"] = {"NAME": BENCH_DATABASE}  # noqa: F405
