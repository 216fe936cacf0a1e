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
from .registry import all_providers, get, register

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
    "all_providers",
    "get",
    "register",
]
