"""One measurement inserted unless a unique index already holds it (its submission
token, its source's external id), in one statement (`config.inserts`); and a recorded
one written with its audit entry and its rollup bucket, in one statement where the
database allows it."""

from django.db import connections, router

from audit.models import AuditEntry
from config.inserts import insert_unless_taken, insert_unless_taken_sql, saved

from .models import Measurement, Metric
from .rollup import rollup_add, rollup_add_from


def insert_recorded(measurement: Measurement, entry: AuditEntry) -> bool:
    """`measurement` inserted unless its submission token or its source's external id
    is taken (`insert_unless_taken`), and when it wrote: `entry` (the measurement's audit
    entry, its subject id still unknown) saved, and the measurement added to its
    rollup bucket (`rollup_add`).

    On PostgreSQL that is one statement: the INSERT's RETURNING feeds the audit
    INSERT and the bucket upsert as data-modifying CTEs, and the upsert waits for the
    metric's key-share lock first, like `rollup_add`'s. Elsewhere, three."""
    db = router.db_for_write(Measurement)
    connection = connections[db]
    if connection.vendor != "postgresql":
        if not insert_unless_taken(measurement):
            return False
        entry.subject_id = measurement.pk
        entry.save(using=db)
        rollup_add([measurement.pk], connection=connection)
        return True
    insert, insert_params = insert_unless_taken_sql(measurement, db)
    audit, audit_params = _insert_select(
        entry, source="inserted", computed={"subject_id": "inserted.id"}, connection=connection
    )
    added = rollup_add_from("inserted", gate="EXISTS (SELECT 1 FROM held)", connection=connection)
    metric = _quote(db, Metric._meta.db_table)
    sql = (
        f"WITH held AS (SELECT id FROM {metric} WHERE id = %s FOR KEY SHARE), "
        f"inserted AS ({insert} RETURNING id, metric_id, value, measured_at), "
        f"audited AS ({audit} RETURNING id), "
        f"added AS ({added}) "
        "SELECT inserted.id, audited.id FROM inserted, audited"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [measurement.metric_id, *insert_params, *audit_params])
        row = cursor.fetchone()
    if row is None:
        return False
    entry.subject_id = row[0]
    saved(entry, row[1], db)
    return saved(measurement, row[0], db)


def _insert_select(instance, *, source: str, computed: dict[str, str], connection):
    """`INSERT INTO <its table> (...) SELECT ... FROM source` of an unsaved instance:
    its fields as parameters, those named in `computed` (by column) as SQL over
    `source`."""
    meta = type(instance)._meta
    quote = connection.ops.quote_name
    columns, values, params = [], [], []
    for field in meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(quote(field.column))
        if field.column in computed:
            values.append(computed[field.column])
            continue
        values.append("%s")
        params.append(field.get_db_prep_save(field.pre_save(instance, add=True), connection))
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM {source}"
    )
    return sql, params


def _quote(db: str, name: str) -> str:
    return connections[db].ops.quote_name(name)
