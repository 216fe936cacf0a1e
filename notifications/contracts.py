"""The shapes that cross the layers of notifications."""

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

from .choices import ChannelChoice, NoticeKind

MAX_LABEL = 200


class PlannedNotice(BaseModel):
    """A notice to write (if its key is new) and send at `due_at`."""

    model_config = ConfigDict(frozen=True)

    owner_id: int
    kind: NoticeKind
    key: str
    day: dt.date
    title: str
    body: str
    goal_id: int | None = None
    link: str = ""
    detail: dict[str, Any] = Field(default_factory=dict)
    due_at: dt.datetime
    expires_at: dt.datetime
    #: Written as not sent, with this reason, instead of waiting to be sent.
    skip: str = ""


class NoticeJob(BaseModel):
    """A claimed notice, with what sending it needs."""

    model_config = ConfigDict(frozen=True)

    id: int
    owner_id: int
    kind: NoticeKind
    goal_id: int | None
    title: str
    body: str
    link: str
    detail: dict[str, Any]
    day: dt.date
    expires_at: dt.datetime
    claim: str
    #: Earlier rounds that reached nobody (each is retried a few times).
    rounds: int


class Tried(BaseModel):
    """One channel tried for a notice."""

    model_config = ConfigDict(frozen=True)

    channel: str
    ok: bool
    detail: str = ""
    #: Push subscriptions the push service said are gone (to delete).
    gone: list[int] = Field(default_factory=list)
    #: Push subscriptions that took the message.
    reached: list[int] = Field(default_factory=list)


class NotificationPreferences(BaseModel):
    """The settings form's command."""

    model_config = ConfigDict(frozen=True)

    reminder_time: dt.time
    quiet_start: dt.time | None = None
    quiet_end: dt.time | None = None
    channels: dict[NoticeKind, ChannelChoice]


class Subscribe(BaseModel):
    """A browser's push subscription (`PushSubscription.toJSON()` and a label)."""

    model_config = ConfigDict(frozen=True)

    endpoint: HttpUrl
    p256dh: str = Field(min_length=20, max_length=200, pattern=r"^[A-Za-z0-9_\-=]+$")
    auth: str = Field(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9_\-=]+$")
    label: str = Field(default="", max_length=MAX_LABEL)

    @field_validator("label")
    @classmethod
    def printable(cls, value: str) -> str:
        return "".join(char for char in value if char.isprintable()).strip()

    @field_validator("endpoint")
    @classmethod
    def short_enough(cls, value: HttpUrl) -> HttpUrl:
        if len(str(value)) > 2000:
            raise ValueError("The push endpoint is too long.")
        return value


class SnoozeGoal(BaseModel):
    model_config = ConfigDict(frozen=True)

    goal_id: int
    #: The last local day reminders stay quiet; None wakes them.
    until: dt.date | None


class NoticeData(BaseModel):
    """A notice as the `notification.sent` event (and so a webhook) shows it."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    kind: str
    goal_id: int | None
    title: str
    body: str
    link: str
    day: dt.date
