"""Statements whose parameters the server binds: for set-based writes on PostgreSQL.

Django writes parameters into the statement's text on the client. A batch written as
typed arrays (`unnest(%(values)b::int8[], ...)`) is better bound by the server: the
text stays the same whatever the batch's size, and psycopg dumps the arrays in C."""

import psycopg
from django.db import connection as default_connection


def server_bound_cursor(connection=None):
    """A cursor on the connection's open transaction that binds parameters on the
    server, wrapped like Django's cursors so that query logging and counting see it.
    Elsewhere the connection's own cursor: SQLite binds parameters itself."""
    connection = connection or default_connection
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    return connection._prepare_cursor(psycopg.Cursor(connection.connection))
