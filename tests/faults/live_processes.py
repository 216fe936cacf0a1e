"""Helpers of the fault tests: real processes (`manage.py` commands, gunicorn) on the
test database, and the PostgreSQL side of a fault (cut connections, a database that
refuses new ones), done from a separate connection to the server's `postgres`
database so the test's own connection survives."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def process_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "SQLITE_PATH"}
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=database_url(),
        PYTHONUNBUFFERED="1",
        LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


def start(command: list[str], log: Path, **extra_env: str) -> subprocess.Popen:
    """Start `command` in the project's folder, its output going to `log`."""
    with log.open("w", encoding="utf-8") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=process_env(**extra_env), stdout=out, stderr=subprocess.STDOUT
        )


def manage(*args: str) -> list[str]:
    return [sys.executable, "manage.py", *args]


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until(condition: Callable[[], object], *, timeout: float, what: str, step=0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Waited {timeout:g} s for {what}.")
        time.sleep(step)


@contextlib.contextmanager
def server_admin():
    """A connection to the PostgreSQL server's `postgres` database (autocommit)."""
    import psycopg

    db = connection.settings_dict
    with psycopg.connect(
        dbname="postgres",
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        autocommit=True,
    ) as admin:
        yield admin


def own_backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def terminate_other_connections() -> int:
    """Cut every connection to the test database but this process's own; how many."""
    with server_admin() as admin:
        row = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> %s",
            (connection.settings_dict["NAME"], own_backend_pid()),
        ).fetchone()
    return row[0]


@contextlib.contextmanager
def refusing_connections():
    """The test database refuses new connections (as during a restart), and every
    connection but this process's own is cut; it accepts them again on leaving."""
    from psycopg import sql

    name = sql.Identifier(connection.settings_dict["NAME"])
    own_backend_pid()  # open ours first: it is the one that stays
    with server_admin() as admin:
        admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(name))
        try:
            terminate_other_connections()
            yield
        finally:
            admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(name))
