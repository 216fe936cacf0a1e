"""Commands and results of outgoing webhooks: what the pages and the API ask for, and
what the layers hand each other while a delivery is sent."""

import datetime as dt
import urllib.parse

from pydantic import BaseModel, ConfigDict, Field, field_validator

from events.types import PUBLIC
from sources import outbound

MAX_DESCRIPTION = 200
MAX_URL = 2000


def web_address(value: str) -> str:
    """An http(s) address with a host, no spaces and no credentials, and not plainly
    internal (a literal private address or `localhost`, unless the operator allows
    that network). The resolved addresses are checked again at every send."""
    value = value.strip()
    parts = urllib.parse.urlsplit(value)
    scheme = parts.scheme.casefold()
    try:
        has_host = bool(parts.hostname) and (parts.port or 1) > 0
    except ValueError:
        has_host = False
    if scheme not in {"http", "https"} or not has_host:
        raise ValueError("Enter the receiver's web address, starting with https:// or http://.")
    if any(character.isspace() or ord(character) < 32 for character in value):
        raise ValueError("A web address has no spaces in it.")
    if parts.username is not None or parts.password is not None:
        raise ValueError("Leave the user name and password out of the address.")
    if outbound.plainly_internal(parts.hostname):
        raise ValueError(
            "That address points to a private or local network, which webhooks are not sent to."
        )
    return urllib.parse.urlunsplit(parts._replace(scheme=scheme))


def subscribable(values: list[str]) -> list[str]:
    unknown = [value for value in values if value not in PUBLIC]
    if unknown:
        raise ValueError(f"Not an event type you can subscribe to: {', '.join(unknown)}.")
    if not values:
        raise ValueError("Choose at least one event type.")
    return sorted(set(values))


class CreateEndpoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    url: str = Field(max_length=MAX_URL)
    description: str = Field(default="", max_length=MAX_DESCRIPTION)
    event_types: list[str]

    _url = field_validator("url")(web_address)
    _types = field_validator("event_types")(subscribable)

    @field_validator("description")
    @classmethod
    def stripped(cls, value: str) -> str:
        return value.strip()


class UpdateEndpoint(BaseModel):
    """What to change; None leaves a field as it is."""

    model_config = ConfigDict(frozen=True)

    url: str | None = Field(default=None, max_length=MAX_URL)
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION)
    event_types: list[str] | None = None
    enabled: bool | None = None

    @field_validator("url")
    @classmethod
    def checked_url(cls, value: str | None) -> str | None:
        return None if value is None else web_address(value)

    @field_validator("event_types")
    @classmethod
    def checked_types(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else subscribable(value)

    @field_validator("description")
    @classmethod
    def stripped(cls, value: str | None) -> str | None:
        return None if value is None else value.strip()


class EndpointData(BaseModel):
    """An endpoint as the API shows it (never its secret)."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str
    disabled_at: dt.datetime | None
    created: dt.datetime
    failing_since: dt.datetime | None
    last_success_at: dt.datetime | None


class EndpointCreated(BaseModel):
    model_config = ConfigDict(frozen=True)

    endpoint: EndpointData
    #: Shown once, to its owner, as it is made (or rotated).
    secret: str


class Listener(BaseModel):
    """An enabled endpoint as the routing policy sees it."""

    model_config = ConfigDict(frozen=True)

    id: int
    owner_id: int
    event_types: frozenset[str]


class PlannedDelivery(BaseModel):
    model_config = ConfigDict(frozen=True)

    endpoint_id: int
    event_id: int | None
    type: str
    msg_id: str
    body: str


class DeliveryJob(BaseModel):
    """A delivery claimed by a worker: what it needs to send it once."""

    model_config = ConfigDict(frozen=True)

    delivery_id: int
    endpoint_id: int
    url: str
    #: The secrets that sign it: the endpoint's, and the one it replaced while that
    #: is still honoured.
    secrets: list[str]
    msg_id: str
    body: str
    #: Attempts made in this round before this one.
    tries: int


class Sent(BaseModel):
    """What one attempt came to. `error` is in words and repeats nothing of the
    receiver's answer but its status code."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    status_code: int | None = None
    duration_ms: int = 0
    error: str = ""
    #: Seconds the receiver asked us to wait (Retry-After on 429 and 503).
    retry_after: float | None = None


class AttemptRecorded(BaseModel):
    """After an attempt: where the delivery and its endpoint stand, for the policy."""

    model_config = ConfigDict(frozen=True)

    delivery_id: int
    endpoint_id: int
    status: str
    tries: int
    first_attempt_at: dt.datetime | None
    retry_at: dt.datetime | None
    endpoint_enabled: bool
    endpoint_failing_since: dt.datetime | None
    #: False when another worker had taken the delivery over meanwhile: the attempt
    #: is in the log, the delivery's state is the other worker's.
    applied: bool = True
