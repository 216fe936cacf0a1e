"""Reads of outgoing webhooks: the endpoints and delivery logs the pages and the API
show, and the one read every write makes to learn who listens (on PostgreSQL, inside
the statement that writes its events)."""

from collections.abc import Iterable

from django.db import connection
from django.db.models import Prefetch, QuerySet

from config.envelope import NotFound

from .contracts import Listener
from .models import Attempt, Delivery, Endpoint

#: How many deliveries an endpoint's log shows at once.
LOG_SIZE = 50


def listening_endpoints(*, owner_ids: Iterable[int]) -> list[Listener]:
    """The enabled endpoints of these owners: one indexed query, run inside every
    write that records events, so it reads only what routing needs."""
    rows = Endpoint.objects.filter(owner_id__in=list(owner_ids), enabled=True).values_list(
        "id", "owner_id", "event_types"
    )
    return [
        Listener(id=id, owner_id=owner_id, event_types=frozenset(types))
        for id, owner_id, types in rows
    ]


def listening_endpoints_sql() -> str:
    """`listening_endpoints` as the outbox runs it on PostgreSQL, in the statement that
    writes the events (`events.writing.Read`): the enabled endpoints of their owners."""
    table = connection.ops.quote_name(Endpoint._meta.db_table)
    return (
        f"SELECT id, owner_id, event_types FROM {table} "
        "WHERE enabled AND owner_id = ANY(%(event_owners)b::int8[])"
    )


def endpoints_for(*, owner_id: int) -> QuerySet[Endpoint]:
    return Endpoint.objects.filter(owner_id=owner_id).order_by("created", "id")


def endpoint_for_owner(*, endpoint_id: int, owner_id: int) -> Endpoint:
    """The endpoint, if it is the owner's; another user's endpoint does not exist."""
    endpoint = Endpoint.objects.filter(id=endpoint_id, owner_id=owner_id).first()
    if endpoint is None:
        raise NotFound("There is no such webhook endpoint.")
    return endpoint


def delivery_log(
    *, endpoint_id: int, before_id: int | None = None, size: int = LOG_SIZE
) -> list[Delivery]:
    """The endpoint's latest deliveries, newest first, each with its attempts."""
    deliveries = Delivery.objects.filter(endpoint_id=endpoint_id)
    if before_id is not None:
        deliveries = deliveries.filter(id__lt=before_id)
    return list(
        deliveries.order_by("-id").prefetch_related(
            Prefetch("attempt_log", queryset=Attempt.objects.order_by("at", "id"))
        )[:size]
    )


def delivery_for_owner(*, delivery_id: int, owner_id: int, endpoint_id: int | None = None):
    deliveries = Delivery.objects.filter(id=delivery_id, endpoint__owner_id=owner_id)
    if endpoint_id is not None:
        deliveries = deliveries.filter(endpoint__id=endpoint_id)
    delivery = deliveries.prefetch_related(
        Prefetch("attempt_log", queryset=Attempt.objects.order_by("at", "id"))
    ).first()
    if delivery is None:
        raise NotFound("There is no such delivery.")
    return delivery
