"""The registry of goal kinds. Adding a kind is one module plus `register(...)`."""

from .base import GoalKind

_kinds: dict[str, GoalKind] = {}


def register(kind_class: type[GoalKind]) -> type[GoalKind]:
    """Class decorator: make a kind available to the form and the mapper."""
    if kind_class.key in _kinds:
        raise ValueError(f"A goal kind {kind_class.key!r} is already registered.")
    _kinds[kind_class.key] = kind_class()
    return kind_class


def get(key: str) -> GoalKind | None:
    return _kinds.get(key)


def all_kinds() -> list[GoalKind]:
    return list(_kinds.values())


def choices() -> list[tuple[str, str]]:
    return [(kind.key, kind.label) for kind in _kinds.values()]
