"""One measurement inserted unless a unique index already holds it, in one statement;
and a recorded one written with its audit entry and its rollup bucket, in one
statement where the database allows it.

`INSERT ... ON CONFLICT DO NOTHING RETURNING id` answers both questions at once: was
it written, and under which id. Catching the unique violation instead needs a
savepoint around the INSERT (two more round trips on every write) so the transaction
survives it; here a conflict costs nothing until it happens."""

from django.db import connections, router
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery

from audit.models import AuditEntry

from .models import Measurement, Metric
from .rollup import rollup_add, rollup_add_from


def insert_unless_held(measurement: Measurement) -> bool:
    """Insert `measurement` and set its id; False (and nothing written) when its
    submission token or its source's external id is already taken. Other integrity
    errors (its metric gone) raise as usual."""
    db = router.db_for_write(Measurement)
    sql, params = _insert_unless_held_sql(measurement, db)
    with connections[db].cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {_quote(db, Measurement._meta.pk.column)}", params)
        row = cursor.fetchone()
    return row is not None and _saved(measurement, row[0], db)


def insert_recorded(measurement: Measurement, entry: AuditEntry) -> bool:
    """`insert_unless_held`, and when it wrote: `entry` (the measurement's audit
    entry, its subject id still unknown) saved, and the measurement added to its
    rollup bucket (`rollup_add`).

    On PostgreSQL that is one statement: the INSERT's RETURNING feeds the audit
    INSERT and the bucket upsert as data-modifying CTEs, and the upsert waits for the
    metric's key-share lock first, like `rollup_add`'s. Elsewhere, three."""
    db = router.db_for_write(Measurement)
    connection = connections[db]
    if connection.vendor != "postgresql":
        if not insert_unless_held(measurement):
            return False
        entry.subject_id = measurement.pk
        entry.save(using=db)
        rollup_add([measurement.pk], connection=connection)
        return True
    insert, insert_params = _insert_unless_held_sql(measurement, db)
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
    _saved(entry, row[1], db)
    return _saved(measurement, row[0], db)


def _insert_unless_held_sql(measurement: Measurement, db: str) -> tuple[str, list]:
    fields = [field for field in Measurement._meta.concrete_fields if not field.primary_key]
    query = InsertQuery(Measurement, on_conflict=OnConflict.IGNORE)
    query.insert_values(fields, [measurement])
    [(sql, params)] = query.get_compiler(using=db).as_sql()
    return sql, list(params)


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


def _saved(instance, pk, db: str) -> bool:
    instance.pk = type(instance)._meta.pk.to_python(pk)
    instance._state.adding = False
    instance._state.db = db
    return True


def _quote(db: str, name: str) -> str:
    return connections[db].ops.quote_name(name)
