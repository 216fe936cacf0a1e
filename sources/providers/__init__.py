"""Data providers, found through a registry: adding one is a module and a `register`
call (see docs/providers.md)."""

from .base import (
    PULLS,
    Batch,
    Capability,
    CursorRejected,
    Mode,
    PermanentError,
    Provider,
    ProviderError,
    Source,
    TransientError,
)
from .registry import addable, all_providers, by_slug, get, register

__all__ = [
    "PULLS",
    "Batch",
    "Capability",
    "CursorRejected",
    "Mode",
    "PermanentError",
    "Provider",
    "ProviderError",
    "Source",
    "TransientError",
    "addable",
    "all_providers",
    "by_slug",
    "get",
    "register",
]
