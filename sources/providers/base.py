"""What a provider is: a key and label, capability flags, a settings model, the form
that asks a person for those settings, and the functions that fetch or parse batches.
The sync engine chooses the mode from the flags, and the Sources page is drawn from
the same declaration (its name in words, what it can do, its form): neither asks a
provider's key. A provider never writes anything itself.
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


#: What each capability means to a person, in the order a page lists them.
CAPABILITY_WORDS = {
    Capability.FULL_PULL: "checks for new data itself",
    Capability.INCREMENTAL_PULL: "checks for new data itself",
    Capability.PUSH: "receives data sent to its own address",
    Capability.FILE_IMPORT: "imports files you upload",
}


class Provider:
    #: Stored on the source; never shown to people.
    key: ClassVar[str]
    #: The provider's name in words ("Calendar feed"), wherever a page names it.
    label: ClassVar[str]
    capabilities: ClassVar[Capability]
    settings_model: ClassVar[type[BaseModel]]
    #: The form that asks a person for a new source's settings (a
    #: `sources.forms.SourceForm`); None: sources of it are not added on the page.
    form_class: ClassVar[type | None] = None
    #: How the Sources page offers it: a heading ("Follow a calendar feed"), a
    #: sentence under it, the button's words, and the last part of the address its
    #: form is posted to (/sources/<slug>/).
    add_title: ClassVar[str] = ""
    add_help: ClassVar[str] = ""
    add_button: ClassVar[str] = "Add"
    slug: ClassVar[str] = ""
    #: For a provider that is sent data: how the sender signs a delivery, shown with
    #: a new source's address and secret.
    made_help: ClassVar[str] = ""
    #: Where on the page it is offered, smallest first.
    add_order: ClassVar[int] = 100
    #: The route its form posts to instead, when adding one takes more than one step
    #: (a CSV file is previewed first); empty: the Sources page's own add route.
    add_route: ClassVar[str] = ""
    #: The size limit of its uploads (a `sources.uploads.UploadLimit`), for a
    #: provider that imports files.
    upload_limit: ClassVar[Any] = None
    #: An interrupted import may be read again from the start: every row carries a
    #: stable external id, so rows already written are matched, not added twice.
    replays_imports: ClassVar[bool] = False

    @property
    def can_pull(self) -> bool:
        """Whether a source of this provider can be pulled ("Sync now", schedules)."""
        return bool(self.capabilities & PULLS)

    @property
    def receives_pushes(self) -> bool:
        """Whether a source of it has its own address that others send data to."""
        return Capability.PUSH in self.capabilities

    @property
    def imports_files(self) -> bool:
        return Capability.FILE_IMPORT in self.capabilities

    @property
    def can_pause(self) -> bool:
        """Whether its sources bring data on their own (pulled or pushed), so that
        pausing one means something; a file import is done when it is done."""
        return self.can_pull or self.receives_pushes

    @property
    def abilities(self) -> list[str]:
        """What it can do, in words, each once."""
        return list(
            dict.fromkeys(
                words for flag, words in CAPABILITY_WORDS.items() if flag in self.capabilities
            )
        )

    def pull(self, source: Source, *, mode: Mode) -> Iterator[Batch]:
        """Batches from the provider, after `source.cursor` for an incremental pull."""
        raise NotImplementedError

    def parse(self, source: Source, upload: IO[bytes]) -> Iterator[Batch]:
        """Batches from an uploaded file, read as a stream."""
        raise NotImplementedError
