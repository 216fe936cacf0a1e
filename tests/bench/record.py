"""Recording a measurement from the quick-entry form (an HTMX POST to
`measurements:record`) next to a bare view that only inserts the row."""

import uuid

from django.test import Client
from django.urls import reverse

from .seed import seed_account
from .timing import Path, Timing, interleaved, shorten, table

VALUE = "81.4"
HTMX = {"HX-Request": "true"}


def _body() -> dict[str, str]:
    """The form as the page posts it, with a fresh one-time `submission_token` each
    time, so that no request is taken for a replay of an earlier one (a form that does
    not know the field ignores it)."""
    return {"value": VALUE, "submission_token": uuid.uuid4().hex}


def _recorded(response) -> None:
    if response.status_code != 200 or b"Recorded" not in response.content:
        raise AssertionError(
            f"record: expected 200 with “Recorded”, got {response.status_code}: "
            f"{response.content[:300]!r}"
        )


def _no_content(response) -> None:
    if response.status_code != 204:
        raise AssertionError(f"bare insert: expected 204, got {response.status_code}")


def run(*, runs: int, warmup: int) -> str:
    account = seed_account()
    client = Client()
    client.force_login(account.user)
    record_url = reverse("measurements:record", args=[account.metric_id])
    insert_url = reverse("bench-insert", args=[account.metric_id])
    record, insert = interleaved(
        [
            Path(
                f"`POST {record_url}` (HTMX, measurements:record)",
                lambda: client.post(record_url, _body(), headers=HTMX),
                _recorded,
            ),
            Path(
                f"`POST {insert_url}` (bare insert, 204)",
                lambda: client.post(insert_url, _body(), headers=HTMX),
                _no_content,
            ),
        ],
        runs=runs,
        warmup=warmup,
    )
    return _section(account, record, insert)


def _section(account, record: Timing, insert: Timing) -> str:
    rows = [
        [t.label, f"{t.median_ms:.2f}", f"{t.p95_ms:.2f}", str(len(t.queries))]
        for t in (record, insert)
    ]
    ratio = record.median_ms / insert.median_ms
    statements = "\n".join(f"{i}. `{shorten(sql)}`" for i, sql in enumerate(record.queries, 1))
    return "\n\n".join(
        [
            "## Record a measurement",
            f"Logged in as a user whose metric (weight, kg) has {account.goals_on_metric} goals "
            f"(reach, range, quota) and {account.history:,} measurements; the user has two "
            "more metrics with a goal each. Both paths go through `django.test.Client` and "
            "the full middleware stack with the same body "
            f"(`value={VALUE}`, a fresh `submission_token`).",
            table(["path", "median ms", "p95 ms", "queries"], rows),
            f"Ratio of medians, record / bare insert: **{ratio:.2f}**",
            "### SQL of one record round trip",
            statements,
        ]
    )
