"""Goal kinds. The built-in ones register themselves on import; an app that adds a
kind imports its module from its `AppConfig.ready()`."""

from . import quota, reach, total, within_range  # noqa: F401  (registration)
from .base import GoalKind
from .registry import all_kinds, choices, get, register

__all__ = ["GoalKind", "all_kinds", "choices", "get", "register"]
