"""Who depends on a metric, without `measurements` importing them.

Apps built on metrics (goals) register at start-up:
- a reaction to changed data: after a write to some metrics' measurements, inside the
  writing transaction, it names the keys of what it builds on them (so that exactly
  those fragments revalidate) and may record events of its own (a goal whose status
  the write moved);
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

#: Given the changed metrics' ids and the moment, the keys of what depends on each
#: metric, by metric id.
Reaction = Callable[[list[int], dt.datetime], dict[int, list[str]]]
_reactions: list[Reaction] = []


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


def register(reaction: Reaction) -> None:
    if reaction not in _reactions:
        _reactions.append(reaction)


def register_window_notes(writer: WindowNotes) -> None:
    if writer not in _window_notes:
        _window_notes.append(writer)


def after_change(metric_ids: Iterable[int], *, now: dt.datetime) -> dict[int, list[str]]:
    """Inside the writing transaction, after the write: each changed metric's keys,
    its own and those of everything built on it."""
    ids = sorted(set(metric_ids))
    keys = {metric_id: [metric_key(metric_id)] for metric_id in ids}
    for reaction in _reactions:
        for metric_id, dependent in reaction(ids, now).items():
            keys[metric_id].extend(dependent)
    return {metric_id: sorted(set(found)) for metric_id, found in keys.items()}


def window_notes(moment: Moment) -> list[str]:
    """What a measurement at `moment` does not count towards, and why, in words."""
    return [note for writer in _window_notes for note in writer(moment)]
