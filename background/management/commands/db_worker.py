"""`manage.py db_worker` is `run_worker` too: this project's command takes the name
from django-tasks-db's (the `background` app comes first in INSTALLED_APPS), so a
worker started by the name in django-tasks-db's documentation outlives database
restarts as well."""

from .run_worker import Command  # noqa: F401
