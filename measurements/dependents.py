"""Who depends on a metric, without `measurements` importing them.

Apps built on metrics (goals) register a reaction at start-up. After a write to some
metrics' measurements, inside the writing transaction, it names the keys of what it
builds on each metric (so that exactly those fragments revalidate) and may record
events of its own (a goal whose status the write moved). Given the moment of a single
recorded measurement, it also says, from the same read, which of its windows the
moment falls outside of (a goal that starts after it, or ended before it), so the
confirmation can say where the value went instead of leaving the person to wonder why
nothing moved.

A dependent may also name what it reads of a metric (`Read`): the caller that reads
the metric for a write reads that with it, in the same statement (`with_reads`), and
passes the metric down; the reaction then finds it on the metric instead of querying.
"""

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from django.db.models import Expression, QuerySet

from config.revalidation import metric_key


@dataclass
class Dependents:
    """What is built on one metric, as a write to it concerns them."""

    #: The keys of the fragments that show something derived from the metric.
    affected: list[str] = field(default_factory=list)
    #: Sentences about the windows the recorded moment falls outside of, e.g.
    #: "“Run 100 km in December” starts on 1 Dec".
    outside: list[str] = field(default_factory=list)


#: Given the changed metrics' ids, the present, the moment of a single recorded
#: measurement (or None), and the metrics the caller read with `with_reads` (by id;
#: any may be missing), what depends on each metric, by metric id.
Reaction = Callable[
    [list[int], dt.datetime, dt.datetime | None, Mapping[int, object]], dict[int, Dependents]
]
#: What a dependent reads of a metric: the name of an annotation on a `Metric` queryset,
#: and the expression it annotates (made when the queryset is, so it may depend on the
#: database's vendor).
Read = tuple[str, Callable[[], Expression]]
_reactions: list[Reaction] = []
_reads: list[Read] = []


def register(reaction: Reaction, *, reads: Read | None = None) -> None:
    if reaction not in _reactions:
        _reactions.append(reaction)
        if reads is not None:
            _reads.append(reads)


def with_reads(metrics: QuerySet) -> QuerySet:
    """`metrics` (a `Metric` queryset) with what the dependents read of each, for a
    write whose caller passes the metric down (`after_change(known=...)`)."""
    return metrics.annotate(**{name: expression() for name, expression in _reads})


def after_change(
    metric_ids: Iterable[int],
    *,
    now: dt.datetime,
    measured_at: dt.datetime | None = None,
    known: Iterable = (),
) -> dict[int, Dependents]:
    """Inside the writing transaction, after the write: each changed metric's keys,
    its own and those of everything built on it, and, for a recorded `measured_at`,
    the windows it falls outside of. `known`: metrics the caller read `with_reads`."""
    ids = sorted(set(metric_ids))
    found = {metric_id: Dependents([metric_key(metric_id)]) for metric_id in ids}
    read = {metric.id: metric for metric in known}
    for reaction in _reactions:
        for metric_id, dependents in reaction(ids, now, measured_at, read).items():
            found[metric_id].affected.extend(dependents.affected)
            found[metric_id].outside.extend(dependents.outside)
    for dependents in found.values():
        dependents.affected = sorted(set(dependents.affected))
    return found
