"""Who depends on a metric, without `measurements` importing them.

Apps built on metrics (goals) register a resolver at start-up; recording a measurement
asks them which of their keys it affects, so that exactly those fragments revalidate.
"""

from collections.abc import Callable, Iterable

from config.revalidation import metric_key

Resolver = Callable[[list[int]], list[str]]
_resolvers: list[Resolver] = []


def register(resolver: Resolver) -> None:
    if resolver not in _resolvers:
        _resolvers.append(resolver)


def keys_for_metrics(metric_ids: Iterable[int]) -> list[str]:
    ids = sorted(set(metric_ids))
    keys = [metric_key(metric_id) for metric_id in ids]
    for resolver in _resolvers:
        keys.extend(resolver(ids))
    return sorted(set(keys))
