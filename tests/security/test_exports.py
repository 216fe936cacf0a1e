"""Spreadsheet formulas in exports: notes and external ids sent through the API come
out of the metric's and the goal's CSV export as text a spreadsheet shows, never as a
formula it runs; numbers, negative ones too, stay numbers."""

import csv
import io
import json

import pytest
from django.urls import reverse

from measurements.export import spreadsheet_safe
from measurements.models import Measurement
from tests.api.conftest import ApiClient, token_for
from tests.factories import GoalFactory, MetricFactory

WHEN = "2026-03-10T08:00:00+00:00"

#: (what was sent, what a spreadsheet must be given).
HOSTILE = [
    ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
    ("+cmd|' /C calc'!A0", "'+cmd\\|' /C calc'!A0"),
    ("@SUM(1)", "'@SUM(1)"),
    ("-2+3", "'-2+3"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("%0A=1", "'%0A=1"),
    ("|calc", "'\\|calc"),
]


@pytest.fixture
def metric(user):
    return MetricFactory(owner=user, name="Balance", unit="EUR")


@pytest.fixture
def recorded(user, metric):
    """One measurement per hostile text (as its note and its external id), and a
    negative value with a harmless note, all through the batch API."""
    items = [
        {
            "metric_id": metric.id,
            "value": str(index + 1),
            "measured_at": f"2026-03-10T08:{index:02d}:00+00:00",
            "note": text,
            "external_id": text,
        }
        for index, (text, _) in enumerate(HOSTILE)
    ]
    items.append(
        {"metric_id": metric.id, "value": "-3.5", "measured_at": WHEN, "note": "below zero"}
    )
    api = ApiClient(token_for(user))
    response = api.call("post", "measurements/batch", {"items": items})
    assert response.status_code == 200, response.content
    assert response.json()["created"] == len(items)
    assert set(Measurement.objects.values_list("note", flat=True)) >= {t for t, _ in HOSTILE}
    return items


def exported(client, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(text, newline="")))


def assert_defused(rows: list[dict[str, str]]) -> None:
    by_value = {row["value"]: row for row in rows}
    for index, (_, expected) in enumerate(HOSTILE):
        row = by_value[str(index + 1)]
        assert row["note"] == expected
        assert row["external_id"] == expected
    negative = by_value["-3.5"]
    assert negative["note"] == "below zero"
    for row in rows:
        for cell in row.values():
            assert not cell or cell[0] not in "=+@|%\t\r" or cell[0] == "'", row
            assert not cell.startswith("-") or cell == "-3.5", row


@pytest.mark.django_db
def test_a_metric_export_neutralises_formulas_and_keeps_numbers(signed_in, metric, recorded):
    rows = exported(signed_in, reverse("measurements:export", args=[metric.id, "csv"]))
    assert len(rows) == len(recorded)
    assert_defused(rows)


@pytest.mark.django_db
def test_a_goal_export_neutralises_formulas_and_keeps_numbers(signed_in, user, metric, recorded):
    goal = GoalFactory(metric=metric, owner=user, start_date="2026-03-01", deadline="2026-04-01")
    rows = exported(signed_in, reverse("goals:export", args=[goal.id, "csv"]))
    assert len(rows) == len(recorded)
    assert_defused(rows)


@pytest.mark.django_db
def test_the_json_export_keeps_the_text_as_it_was(signed_in, metric, recorded):
    """JSON is not read by a spreadsheet: nothing to neutralise there."""
    response = signed_in.get(reverse("measurements:export", args=[metric.id, "json"]))
    body = json.loads(b"".join(response.streaming_content))
    assert {row["note"] for row in body["measurements"]} >= {text for text, _ in HOSTILE}


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("81.4", "81.4"),
        ("-3.5", "-3.5"),
        ("-12", "-12"),
        ("", ""),
        ("plain words", "plain words"),
        ("2026-03-10T08:00:00+01:00", "2026-03-10T08:00:00+01:00"),
        ("-", "'-"),
        ("-1e5", "'-1e5"),
        ("=1", "'=1"),
        ("a=1", "a=1"),
    ],
)
def test_which_cells_are_neutralised(cell, safe):
    assert spreadsheet_safe(cell) == safe
