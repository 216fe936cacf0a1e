"""One measurement inserted unless a unique index already holds it, in one statement.

`INSERT ... ON CONFLICT DO NOTHING RETURNING id` answers both questions at once: was
it written, and under which id. Catching the unique violation instead needs a
savepoint around the INSERT (two more round trips on every write) so the transaction
survives it; here a conflict costs nothing until it happens."""

from django.db import connections, router
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery

from .models import Measurement


def insert_unless_held(measurement: Measurement) -> bool:
    """Insert `measurement` and set its id; False (and nothing written) when its
    submission token or its source's external id is already taken. Other integrity
    errors (its metric gone) raise as usual."""
    db = router.db_for_write(Measurement)
    connection = connections[db]
    fields = [field for field in Measurement._meta.concrete_fields if not field.primary_key]
    query = InsertQuery(Measurement, on_conflict=OnConflict.IGNORE)
    query.insert_values(fields, [measurement])
    [(sql, params)] = query.get_compiler(using=db).as_sql()
    pk = Measurement._meta.pk
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} RETURNING {connection.ops.quote_name(pk.column)}", params)
        row = cursor.fetchone()
    if row is None:
        return False
    measurement.pk = pk.to_python(row[0])
    measurement._state.adding = False
    measurement._state.db = db
    return True
