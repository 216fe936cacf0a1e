"""The PostgreSQL side of a fault (cut connections, a database that refuses new
ones), done from a separate connection to the server's `postgres` database so the
test's own connection survives. The processes the faults are done to are started
with `tests.processes`."""

import contextlib

from django.db import connection


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


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
