"""The JSON API for outgoing webhooks (`/api/v1/webhooks`): endpoints (the secret
comes back once, when made or rotated), their delivery logs, resends and test events.

Like the page's views: the same commands and orchestrators; a failed envelope raises,
and the API's error handlers answer it in the one error shape.
"""

import datetime as dt
from enum import StrEnum

from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from config.api_schemas import Strict, error_responses
from config.request_context import Phase, set_phase
from events.types import PUBLIC

from . import selectors
from .contracts import MAX_DESCRIPTION, MAX_URL, CreateEndpoint, UpdateEndpoint
from .orchestrators import (
    create_endpoint,
    delete_endpoint,
    resend_delivery,
    rotate_secret,
    send_test_event,
    update_endpoint,
)
from .tasks import enqueue_delivery

router = Router(tags=["webhooks"])

EventType = StrEnum(
    "EventType", {name.replace(".", "_").upper(): name for name in PUBLIC}, module=__name__
)
EventType.__doc__ = "An event type you can subscribe to: " + "; ".join(
    f"`{name}`: {meaning}" for name, meaning in PUBLIC.items()
)


class EndpointIn(Strict):
    url: str = Field(
        min_length=1,
        max_length=MAX_URL,
        description="Where events are POSTed: http or https, not a private or local address.",
    )
    description: str = Field(default="", max_length=MAX_DESCRIPTION)
    event_types: list[EventType] = Field(min_length=1, max_length=len(PUBLIC))


class EndpointPatch(Strict):
    url: str | None = Field(default=None, min_length=1, max_length=MAX_URL)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    event_types: list[EventType] | None = Field(default=None, min_length=1, max_length=len(PUBLIC))
    enabled: bool | None = Field(
        default=None,
        description="false stops sending (pending deliveries end as failed); true starts "
        "again and forgets past failures.",
    )


class EndpointOut(Schema):
    id: int
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str = Field(
        description="Why deliveries stopped, when they kept failing; empty otherwise."
    )
    disabled_at: dt.datetime | None
    created: dt.datetime
    failing_since: dt.datetime | None = Field(
        description="The first failed attempt since the last success; null while it succeeds."
    )
    last_success_at: dt.datetime | None


class EndpointCreatedOut(EndpointOut):
    secret: str = Field(
        description="`whsec_…`: verify deliveries with it (Standard Webhooks). Shown only now."
    )


class AttemptOut(Schema):
    at: dt.datetime
    status_code: int | None = Field(description="null when no HTTP answer came")
    duration_ms: int
    succeeded: bool
    error: str


class DeliveryOut(Schema):
    id: int
    type: str
    webhook_id: str = Field(
        validation_alias="msg_id", description="The `webhook-id` header, the same on every attempt"
    )
    status: str = Field(description="`pending`, `succeeded` or `failed`")
    next_attempt_at: dt.datetime | None
    note: str
    created: dt.datetime
    attempts: list[AttemptOut]

    @staticmethod
    def resolve_attempts(delivery) -> list:
        return list(delivery.attempt_log.all())


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    next_before: int | None = Field(description="Pass as `before` for older deliveries.")


class DeliveryFilters(Schema):
    before: int | None = Field(default=None, ge=1, description="Deliveries older than this id")
    limit: int = Field(default=50, ge=1, le=100)


def _owned(request, endpoint_id: int):
    set_phase(Phase.AUTHORIZE)
    return selectors.endpoint_for_owner(endpoint_id=endpoint_id, owner_id=request.user.id)


def _created(data) -> dict:
    return {**data.endpoint.model_dump(), "secret": data.secret}


@router.get("", response={200: list[EndpointOut], **error_responses()}, summary="Your endpoints")
def list_endpoints(request):
    return selectors.endpoints_for(owner_id=request.user.id)


@router.post(
    "",
    response={201: EndpointCreatedOut, **error_responses()},
    summary="Add an endpoint (its secret is in this answer only)",
)
def create_endpoint_api(request, payload: EndpointIn):
    command = CreateEndpoint(
        url=payload.url,
        description=payload.description,
        event_types=[event_type.value for event_type in payload.event_types],
    )
    data = create_endpoint(command, actor_id=request.user.id, now=timezone.now()).unwrap()
    return Status(201, _created(data))


@router.get(
    "/{endpoint_id}", response={200: EndpointOut, **error_responses(404)}, summary="One endpoint"
)
def get_endpoint(request, endpoint_id: int):
    return _owned(request, endpoint_id)


@router.patch(
    "/{endpoint_id}",
    response={200: EndpointOut, **error_responses(404)},
    summary="Change an endpoint, or switch it off or on",
)
def patch_endpoint(request, endpoint_id: int, payload: EndpointPatch):
    command = UpdateEndpoint(
        url=payload.url,
        description=payload.description,
        event_types=(
            None if payload.event_types is None else [t.value for t in payload.event_types]
        ),
        enabled=payload.enabled,
    )
    return update_endpoint(
        endpoint_id, command, actor_id=request.user.id, now=timezone.now()
    ).unwrap()


@router.delete(
    "/{endpoint_id}",
    response={204: None, **error_responses(404)},
    summary="Delete an endpoint and its delivery log",
)
def delete_endpoint_api(request, endpoint_id: int):
    delete_endpoint(endpoint_id, actor_id=request.user.id, now=timezone.now()).unwrap()
    return Status(204, None)


@router.post(
    "/{endpoint_id}/secret",
    response={200: EndpointCreatedOut, **error_responses(404)},
    summary="Make a new signing secret (the old one also signs for a day)",
)
def rotate_secret_api(request, endpoint_id: int):
    data = rotate_secret(endpoint_id, actor_id=request.user.id, now=timezone.now()).unwrap()
    return _created(data)


@router.get(
    "/{endpoint_id}/deliveries",
    response={200: DeliveryPage, **error_responses(404)},
    summary="The endpoint's deliveries, newest first, each with its attempts",
)
def list_deliveries(request, endpoint_id: int, filters: Query[DeliveryFilters]):
    endpoint = _owned(request, endpoint_id)
    page = selectors.delivery_log(
        endpoint_id=endpoint.id, before_id=filters.before, size=filters.limit + 1
    )
    more = len(page) > filters.limit
    page = page[: filters.limit]
    return {"items": page, "next_before": page[-1].id if more else None}


def _delivery(request, delivery_id: int, endpoint_id: int):
    return selectors.delivery_for_owner(
        delivery_id=delivery_id, owner_id=request.user.id, endpoint_id=endpoint_id
    )


@router.post(
    "/{endpoint_id}/test",
    response={202: DeliveryOut, **error_responses(404, 409)},
    summary="Send the endpoint a `webhook.test` event",
)
def send_test_event_api(request, endpoint_id: int):
    delivery_id = send_test_event(
        endpoint_id, actor_id=request.user.id, now=timezone.now(), enqueue=enqueue_delivery
    ).unwrap()
    return Status(202, _delivery(request, delivery_id, endpoint_id))


@router.post(
    "/{endpoint_id}/deliveries/{delivery_id}/resend",
    response={202: DeliveryOut, **error_responses(404, 409)},
    summary="Send a delivered or failed delivery again, with the same `webhook-id`",
)
def resend_delivery_api(request, endpoint_id: int, delivery_id: int):
    resend_delivery(
        delivery_id,
        actor_id=request.user.id,
        endpoint_id=endpoint_id,
        now=timezone.now(),
        enqueue=enqueue_delivery,
    ).unwrap()
    return Status(202, _delivery(request, delivery_id, endpoint_id))
