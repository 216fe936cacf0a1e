"""Tasks for the worker fault tests: the worker process imports them by path."""

import time

from django.db import connection
from django.tasks import task


@task
def answer(label: str) -> str:
    """One query, then done: a job that shows the worker still works."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return label


@task
def hold(seconds: float) -> str:
    """A query, a wait (when the test cuts the connection), another query."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    time.sleep(seconds)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "held"
