"""Commands and results of data sources and their sync runs."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from measurements.contracts import IngestCounts


class RunContext(BaseModel):
    """What a started run knows of its source: enough for the sync engine to choose
    a mode and for the provider to read."""

    model_config = ConfigDict(frozen=True)

    run_id: int
    source_id: int
    owner_id: int
    provider: str
    settings: dict[str, Any]
    secrets: dict[str, str] = Field(default_factory=dict)
    streams: dict[str, int] = Field(default_factory=dict)
    cursor: str | None = None
    upload: str | None = None
    #: A delivery pushed to the source (its body stored as the upload).
    pushed: bool = False
    correlation_id: str = ""
    #: The source was paused after this run was queued: a pull does not go on.
    paused: bool = False
    #: Which start of the run this is (how often it had been resumed): every write
    #: of the worker carries it, and one that a resumed start has replaced is refused.
    generation: int = 0


class BatchWritten(BaseModel):
    model_config = ConfigDict(frozen=True)

    counts: IngestCounts
    cursor: str | None = None


class SourceBusy(BaseModel):
    """A start put off: another live run holds the source's lease."""

    model_config = ConfigDict(frozen=True)

    run_id: int
    held_by: int | None = None
    deferrals: int = 0


class AbandonedRun(BaseModel):
    """A running run whose heartbeat stopped: what the recovery policy decides on."""

    model_config = ConfigDict(frozen=True)

    run_id: int
    provider: str
    mode: str = ""
    resumes: int = 0
