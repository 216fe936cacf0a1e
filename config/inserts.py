"""An INSERT that a unique index may turn down without an error.

`INSERT ... ON CONFLICT DO NOTHING RETURNING id` answers both questions at once: was
the row written, and under which id. Catching the unique violation instead needs a
savepoint around the INSERT (a transaction of its own in autocommit): two more round
trips on every write, where here a conflict costs nothing until it happens. Other
integrity errors (a foreign key gone) raise as usual."""

from django.db import connections, router
from django.db.models import Model
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery


def insert_unless_taken(instance: Model) -> bool:
    """Insert `instance` and set its id; False (and nothing written) when a unique
    index already holds its values."""
    db = router.db_for_write(type(instance))
    sql, params = insert_unless_taken_sql(instance, db)
    pk = connections[db].ops.quote_name(instance._meta.pk.column)
    with connections[db].cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {pk}", params)
        row = cursor.fetchone()
    return row is not None and saved(instance, row[0], db)


def insert_unless_taken_sql(instance: Model, db: str) -> tuple[str, list]:
    """The INSERT of `insert_unless_taken`, without its RETURNING, for a statement
    that goes on with the row it wrote."""
    meta = instance._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    query = InsertQuery(type(instance), on_conflict=OnConflict.IGNORE)
    query.insert_values(fields, [instance])
    [(sql, params)] = query.get_compiler(using=db).as_sql()
    return sql, list(params)


def saved(instance: Model, pk, db: str) -> bool:
    """Mark `instance` as the stored row `pk`, as `save()` would."""
    instance.pk = instance._meta.pk.to_python(pk)
    instance._state.adding = False
    instance._state.db = db
    return True
