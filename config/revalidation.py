"""Affected keys and the `HX-Trigger` events they become.

A key names one thing a mutation changed: `goal:42`, `metric:7`, `goals:list`,
`goals:summary`. Each becomes one event (`goal-42-changed`), and every fragment that
shows something derived from it listens with `hx-trigger="goal-42-changed from:body"`.
"""

import json
from collections.abc import Iterable

from django.http import HttpResponse


def goal_key(goal_id: int) -> str:
    return f"goal:{goal_id}"


def metric_key(metric_id: int) -> str:
    return f"metric:{metric_id}"


def run_key(run_id: int) -> str:
    return f"run:{run_id}"


GOALS_LIST = "goals:list"
GOALS_SUMMARY = "goals:summary"
METRICS_LIST = "metrics:list"
API_TOKENS = "api-tokens:list"
ACCOUNT_EMAIL = "account:email"
SOURCES_LIST = "sources:list"


def event_name(key: str) -> str:
    return key.replace(":", "-").replace("_", "-") + "-changed"


def trigger_revalidation(response: HttpResponse, affected: Iterable[str]) -> HttpResponse:
    """Set `HX-Trigger` to one event per affected key, keeping any events already set."""
    events = {event_name(key): None for key in sorted(set(affected))}
    if not events:
        return response
    existing = response.headers.get("HX-Trigger")
    if existing:
        try:
            merged = json.loads(existing)
        except json.JSONDecodeError:
            merged = {name.strip(): None for name in existing.split(",")}
        events = {**merged, **events}
    response["HX-Trigger"] = json.dumps(events)
    return response
