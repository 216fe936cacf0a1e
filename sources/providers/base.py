"""What a provider is: a key and label, capability flags, a settings model, and the
functions that fetch or parse batches. The sync engine chooses the mode from the
flags; a provider never writes anything itself.
"""

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any, ClassVar

from pydantic import BaseModel


class Capability(enum.Flag):
    PUSH = enum.auto()
    INCREMENTAL_PULL = enum.auto()
    FULL_PULL = enum.auto()
    FILE_IMPORT = enum.auto()
    BACKFILL = enum.auto()


class Mode(enum.StrEnum):
    FILE_IMPORT = "file_import"
    FULL_PULL = "full_pull"
    INCREMENTAL_PULL = "incremental_pull"
    PUSH = "push"


@dataclass(frozen=True)
class Batch:
    """Measurements in the batch-ingest shape (metric_id, value, unit, measured_at,
    note, external_id), and where the provider is after them."""

    items: list[dict[str, Any]]
    cursor: str | None = None
    #: How far along the whole run is, when the provider can tell (done, total).
    progress: tuple[int, int | None] = (0, None)


@dataclass(frozen=True)
class Source:
    """What a provider needs of a data source: its validated settings, its secrets,
    which metric each stream feeds, and its cursor."""

    id: int
    settings: BaseModel
    secrets: dict[str, str] = field(default_factory=dict)
    streams: dict[str, int] = field(default_factory=dict)
    cursor: str | None = None


#: The capabilities that let a source be pulled from, fully or from its cursor.
PULLS = Capability.FULL_PULL | Capability.INCREMENTAL_PULL


class ProviderError(Exception):
    """A failure of the provider's side, with a message a person can act on."""


class TransientError(ProviderError):
    """Worth retrying: a timeout, a dropped connection, a 5xx, a 429."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(ProviderError):
    """Retrying will not help: bad credentials, a malformed file, a gone feed."""


class CursorRejected(ProviderError):
    """The provider no longer accepts the stored cursor: start over with a full pull."""


class Provider:
    key: ClassVar[str]
    label: ClassVar[str]
    capabilities: ClassVar[Capability]
    settings_model: ClassVar[type[BaseModel]]
    #: An interrupted import may be read again from the start: every row carries a
    #: stable external id, so rows already written are matched, not added twice.
    replays_imports: ClassVar[bool] = False

    @property
    def can_pull(self) -> bool:
        """Whether a source of this provider can be pulled ("Sync now", schedules)."""
        return bool(self.capabilities & PULLS)

    def pull(self, source: Source, *, mode: Mode) -> Iterator[Batch]:
        """Batches from the provider, after `source.cursor` for an incremental pull."""
        raise NotImplementedError

    def parse(self, source: Source, upload: IO[bytes]) -> Iterator[Batch]:
        """Batches from an uploaded file, read as a stream."""
        raise NotImplementedError
