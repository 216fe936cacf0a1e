"""The goals over a metric, read with the metric for a write to it.

A write to a metric judges the goals built on it (`goals.standing`). The caller that
reads the metric for the write (the quick entry's page, the API) reads them in the same
statement, as one JSON value annotated on the metric (`measurements.dependents`), and
the judgement takes them from there instead of querying again. The value holds the
live goals' rows, in judging order, and the owner's time zone and first day of the
week (the goals are judged in them).

The goals are read before the write's transaction begins, not inside it: a goal
created or changed between the two is judged by its own write, as it would be by a
write to the metric committing just before it.
"""

import datetime as dt
import json
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import DecimalField
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import Profile
from measurements.models import Metric

from .models import Goal

#: The annotation's name on the metric.
NAME = "goals_read"
_FIELDS = Goal._meta.concrete_fields


def goals_read() -> RawSQL:
    """The annotation: on PostgreSQL `{"profile": [zone, week start], "goals":
    [row, ...]}` as text, each row `to_jsonb` of the goal; on SQLite the same, each
    row a `json_object` of its columns."""
    quote = connection.ops.quote_name
    metric = quote(Metric._meta.db_table)
    profile = (
        f"SELECT {{array}}(p.time_zone, p.week_start) FROM {quote(Profile._meta.db_table)} p "
        f"WHERE p.user_id = {metric}.owner_id"
    )
    goals = (
        f"FROM {quote(Goal._meta.db_table)} g "
        f"WHERE g.metric_id = {metric}.id AND g.deleted_at IS NULL"
    )
    if connection.vendor == "postgresql":
        return RawSQL(
            "json_build_object("
            f"'profile', ({profile.format(array='json_build_array')}), "
            f"'goals', (SELECT COALESCE(json_agg(to_jsonb(g) ORDER BY g.owner_id, g.id), '[]') "
            f"{goals}))::text",
            [],
        )
    columns = ", ".join(f"'{field.column}', g.{quote(field.column)}" for field in _FIELDS)
    return RawSQL(
        "json_object("
        f"'profile', ({profile.format(array='json_array')}), "
        f"'goals', (SELECT json_group_array(json(goal)) FROM "
        f"(SELECT json_object({columns}) AS goal {goals} ORDER BY g.owner_id, g.id)))",
        [],
    )


def goals_from(metric: Metric) -> list[Goal] | None:
    """The metric's live goals as read with it, each with its metric and its owner's
    profile (as `select_related("metric", "owner__profile")` gives them); None when
    the metric was not read with them."""
    read = getattr(metric, NAME, None)
    if read is None:
        return None
    found = json.loads(read, parse_float=Decimal)
    goals = [_goal(row) for row in found["goals"]]
    if any(goal.owner_id != metric.owner_id for goal in goals):
        return None
    user_model = get_user_model()
    owner = user_model(id=metric.owner_id)
    if found["profile"] is None:
        user_model.profile.related.set_cached_value(owner, None)
    else:
        time_zone, week_start = found["profile"]
        owner.profile = Profile(user=owner, time_zone=time_zone, week_start=week_start)
    for goal in goals:
        goal.metric, goal.owner = metric, owner
    return goals


def _goal(row: dict) -> Goal:
    goal = Goal(**{field.attname: _value(field, row[field.column]) for field in _FIELDS})
    goal._state.adding = False
    goal._state.db = connection.alias
    return goal


def _value(field, raw):
    """A column's JSON value as the field's database converters give it."""
    if raw is None:
        return None
    value = field.to_python(raw)
    if isinstance(field, DecimalField):
        return value.quantize(Decimal(1).scaleb(-field.decimal_places))
    if isinstance(value, dt.datetime) and timezone.is_naive(value):
        return value.replace(tzinfo=dt.UTC)
    return value
