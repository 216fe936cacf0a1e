"""Who depends on a metric, without `measurements` importing them.

Apps built on metrics (goals) register at start-up:
- a resolver of keys: recording a measurement asks which of their keys it affects, so
  that exactly those fragments revalidate;
- a writer of window notes: recording a measurement asks which of them it falls
  outside of (a goal that starts after it, or ended before it), so the confirmation
  can say where the value went instead of leaving the person to wonder why nothing
  moved.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from config.revalidation import metric_key

Resolver = Callable[[list[int]], list[str]]
_resolvers: list[Resolver] = []


@dataclass(frozen=True)
class Moment:
    """A measurement's place in time: its metric, when it was measured, and the
    owner's zone and present, in which dates are judged and said."""

    metric_id: int
    measured_at: dt.datetime
    zone: ZoneInfo
    now: dt.datetime


#: Sentences about the windows a measurement at this moment falls outside of, e.g.
#: "“Run 100 km in December” starts on 1 Dec".
WindowNotes = Callable[[Moment], list[str]]
_window_notes: list[WindowNotes] = []


def register(resolver: Resolver) -> None:
    if resolver not in _resolvers:
        _resolvers.append(resolver)


def register_window_notes(writer: WindowNotes) -> None:
    if writer not in _window_notes:
        _window_notes.append(writer)


def keys_for_metrics(metric_ids: Iterable[int]) -> list[str]:
    ids = sorted(set(metric_ids))
    keys = [metric_key(metric_id) for metric_id in ids]
    for resolver in _resolvers:
        keys.extend(resolver(ids))
    return sorted(set(keys))


def window_notes(moment: Moment) -> list[str]:
    """What a measurement at `moment` does not count towards, and why, in words."""
    return [note for writer in _window_notes for note in writer(moment)]
