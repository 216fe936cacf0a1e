"""POST /api/v1/measurements/batch: upserts by external id, counts what it did
(created, updated, unchanged, rejected), rejects bad items by index with their field
errors while writing the good ones, audits with channel "api", and takes 10,000 items
in one request (not 10,001)."""

import datetime as dt
import json
from decimal import Decimal

import pytest

from audit.models import AuditEntry
from measurements.contracts import MAX_BATCH
from measurements.models import Measurement
from tests.factories import MeasurementFactory, MetricFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]

BATCH = "measurements/batch"
WHEN = "2026-01-05T07:00:00Z"


@pytest.fixture
def metric(owner):
    return MetricFactory(owner=owner, unit="kg")


def item(metric, value=80, **extra) -> dict:
    return {"metric_id": metric.id, "value": value, "measured_at": WHEN, **extra}


def send(api, items):
    response = api.call("post", BATCH, {"items": items})
    assert response.status_code == 200, response.content
    return response.json()


def counts(body) -> tuple[int, int, int, int]:
    return body["created"], body["updated"], body["unchanged"], body["rejected"]


def rejected_fields(body) -> dict[int, set[str]]:
    return {r["index"]: {f["field"] for f in r["fields"]} for r in body["rejections"]}


def measurement_audits():
    return AuditEntry.objects.filter(subject_type="measurement")


def test_new_external_ids_create(api, metric):
    body = send(api, [item(metric, 80, external_id="a"), item(metric, 81, external_id="b")])
    assert counts(body) == (2, 0, 0, 0)
    assert body["rejections"] == []
    stored = {m.external_id: m for m in Measurement.objects.all()}
    assert set(stored) == {"a", "b"}
    assert stored["a"].value == Decimal(80) and stored["b"].value == Decimal(81)
    assert {m.source for m in stored.values()} == {"api"}


def test_the_same_id_with_the_same_data_is_unchanged_and_writes_nothing(api, metric):
    items = [
        item(metric, "80.5", external_id="a", note="after run"),
        item(metric, 180, unit="lb", external_id="b"),
    ]
    send(api, items)
    stored_before = {m.external_id: m.updated for m in Measurement.objects.all()}
    audits_before = measurement_audits().count()

    body = send(api, items)
    assert counts(body) == (0, 0, 2, 0)
    assert {m.external_id: m.updated for m in Measurement.objects.all()} == stored_before
    assert measurement_audits().count() == audits_before


def test_the_same_instant_in_another_offset_is_unchanged(api, metric):
    """08:00+01:00 is the moment 07:00Z was: re-sending it changes nothing."""
    send(api, [item(metric, 80, external_id="a", measured_at="2026-01-05T07:00:00Z")])
    audits_before = measurement_audits().count()
    body = send(api, [item(metric, 80, external_id="a", measured_at="2026-01-05T08:00:00+01:00")])
    assert counts(body) == (0, 0, 1, 0)
    assert measurement_audits().count() == audits_before


def test_the_same_value_written_otherwise_is_unchanged(api, metric):
    send(api, [item(metric, 80, external_id="a")])
    body = send(api, [item(metric, "80.000", external_id="a")])
    assert counts(body) == (0, 0, 1, 0)


def test_the_same_id_with_new_data_updates(api, metric):
    send(api, [item(metric, 80, external_id="a"), item(metric, 70, external_id="b")])
    original = Measurement.objects.get(external_id="a")
    audits_before = measurement_audits().count()

    body = send(
        api,
        [
            item(metric, 79, external_id="a", note="corrected"),
            item(metric, 70, external_id="b"),
        ],
    )
    assert counts(body) == (0, 1, 1, 0)
    updated = Measurement.objects.get(external_id="a")
    assert updated.id == original.id
    assert updated.value == Decimal(79) and updated.note == "corrected"
    assert updated.updated > original.updated
    assert Measurement.objects.get(external_id="b").updated == original.updated
    assert Measurement.objects.count() == 2
    entry = measurement_audits().exclude(action="created").get()
    assert measurement_audits().count() == audits_before + 1
    assert (entry.action, entry.subject_id, entry.channel) == ("updated", original.id, "api")
    assert entry.changes["value"] == ["80", "79"]
    assert entry.changes["note"] == ["", "corrected"]


def test_a_new_time_is_an_update(api, metric):
    send(api, [item(metric, 80, external_id="a")])
    body = send(api, [item(metric, 80, external_id="a", measured_at="2026-01-05T09:00:00Z")])
    assert counts(body) == (0, 1, 0, 0)
    assert Measurement.objects.get().measured_at == dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)


def test_items_without_an_external_id_always_create(api, metric):
    items = [item(metric, 80), item(metric, 80)]
    assert counts(send(api, items)) == (2, 0, 0, 0)
    assert counts(send(api, items)) == (2, 0, 0, 0)
    assert Measurement.objects.count() == 4


def test_the_same_external_id_twice_in_a_batch_rejects_the_second(api, metric):
    body = send(
        api,
        [
            item(metric, 80, external_id="a"),
            item(metric, 81, external_id="b"),
            item(metric, 82, external_id="a"),
        ],
    )
    assert counts(body) == (2, 0, 0, 1)
    assert rejected_fields(body) == {2: {"external_id"}}
    assert Measurement.objects.get(external_id="a").value == Decimal(80)


def test_the_same_external_id_on_two_metrics_is_two_measurements(api, owner, metric):
    other = MetricFactory(owner=owner, unit="km")
    body = send(api, [item(metric, 80, external_id="a"), item(other, 5, external_id="a")])
    assert counts(body) == (2, 0, 0, 0)


def test_an_external_id_recorded_by_hand_is_not_touched(api, metric):
    """Upserts match the API's own measurements; a manual one with the same external
    id is another source's."""
    manual = MeasurementFactory(metric=metric, external_id="a", source="manual")
    body = send(api, [item(metric, 70, external_id="a")])
    assert counts(body) == (1, 0, 0, 0)
    manual.refresh_from_db()
    assert manual.value == Decimal(80)


def test_invalid_items_are_rejected_by_index_while_the_valid_ones_are_written(api, metric):
    theirs = MetricFactory(owner=UserFactory(), unit="kg")
    items = [
        item(metric, 80, external_id="ok-1"),  # 0
        {**item(metric), "metric_id": 987654},  # 1 unknown metric
        item(theirs, 80),  # 2 another user's metric
        item(metric, 5, unit="km"),  # 3 not convertible
        item(metric, 80, measured_at="2026-01-05T07:00:00"),  # 4 naive time
        item(metric, "NaN"),  # 5 not a number
        {"metric_id": metric.id, "measured_at": WHEN},  # 6 no value
        item(metric, 80, colour="blue"),  # 7 unknown field
        item(metric, 81),  # 8
        item(metric, 80, measured_at="2999-01-01T00:00:00Z"),  # 9 the future
        item(metric, "1e15"),  # 10 too large
        item(metric, 80, unit="parsecs"),  # 11 unknown unit
        item(metric, 80, external_id="x" * 201),  # 12 external id too long
        item(metric, 82, external_id="ok-2"),  # 13
    ]
    body = send(api, items)
    assert counts(body) == (3, 0, 0, 11)
    assert rejected_fields(body) == {
        1: {"metric_id"},
        2: {"metric_id"},
        3: {"unit"},
        4: {"measured_at"},
        5: {"value"},
        6: {"value"},
        7: {"colour"},
        9: {"measured_at"},
        10: {"value"},
        11: {"unit"},
        12: {"external_id"},
    }
    assert [r["index"] for r in body["rejections"]] == sorted(rejected_fields(body))
    for rejection in body["rejections"]:
        assert rejection["fields"] and all(f["message"] for f in rejection["fields"])
    assert sorted(Measurement.objects.values_list("value", flat=True)) == [80, 81, 82]
    assert not Measurement.objects.filter(metric=theirs).exists()


def test_an_item_that_is_not_an_object_is_rejected_alone(api, metric):
    body = send(api, [item(metric), "not an object", item(metric)])
    assert counts(body) == (2, 0, 0, 1)
    assert [rejection["index"] for rejection in body["rejections"]] == [1]
    assert Measurement.objects.count() == 2


def test_a_batch_of_only_bad_items_writes_nothing(api, metric):
    body = send(api, [item(metric, "NaN"), item(metric, 5, unit="km")])
    assert counts(body) == (0, 0, 0, 2)
    assert not Measurement.objects.exists()
    assert not measurement_audits().exists()


def test_an_empty_batch_is_fine(api):
    assert counts(send(api, [])) == (0, 0, 0, 0)


def test_a_batch_without_items_is_a_422(api):
    response = api.call("post", BATCH, {})
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "items"


def test_a_batch_with_an_unknown_top_level_field_is_a_422(api, metric):
    response = api.call("post", BATCH, {"items": [item(metric)], "dry_run": True})
    assert response.status_code == 422
    assert not Measurement.objects.exists()


def test_created_and_updated_rows_are_audited_with_channel_api(api, metric):
    send(api, [item(metric, 80, external_id="a"), item(metric, 81)])
    created = measurement_audits().filter(action="created")
    assert created.count() == 2
    assert set(created.values_list("subject_id", flat=True)) == set(
        Measurement.objects.values_list("id", flat=True)
    )
    assert set(created.values_list("channel", flat=True)) == {"api"}
    assert all(entry.correlation_id for entry in created)
    assert set(created.values_list("metric_id", flat=True)) == {metric.id}

    response = api.call("post", BATCH, {"items": [item(metric, 79, external_id="a")]})
    updated = measurement_audits().get(action="updated")
    assert updated.channel == "api"
    assert updated.subject_id == Measurement.objects.get(external_id="a").id
    assert updated.correlation_id == response["X-Request-ID"]


def test_ten_thousand_items_in_one_request(api, metric):
    items = [
        {
            "metric_id": metric.id,
            "value": f"{70 + (n % 100) / 10}",
            "measured_at": (
                dt.datetime(2025, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=n)
            ).isoformat(),
            **({"external_id": f"ext-{n}"} if n % 2 else {}),
        }
        for n in range(MAX_BATCH)
    ]
    body = send(api, items)
    assert counts(body) == (MAX_BATCH, 0, 0, 0)
    assert Measurement.objects.filter(metric=metric).count() == MAX_BATCH
    assert measurement_audits().filter(action="created").count() == MAX_BATCH

    again = send(api, [row for row in items if "external_id" in row])
    assert counts(again) == (0, 0, MAX_BATCH // 2, 0)


def test_ten_thousand_and_one_items_is_a_422(api, metric):
    items = [item(metric, 80)] * (MAX_BATCH + 1)
    payload = json.dumps({"items": items})
    response = api.generic("POST", f"/api/v1/{BATCH}", payload, content_type="application/json")
    assert response.status_code == 422, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert [field["field"] for field in error["fields"]] == ["items"]
    assert error["correlation_id"] == response["X-Request-ID"]
    assert not Measurement.objects.exists()


def test_a_batch_without_a_token_is_a_401(client, metric):
    response = client.post(
        f"/api/v1/{BATCH}", {"items": [item(metric)]}, content_type="application/json"
    )
    assert response.status_code == 401
    assert not Measurement.objects.exists()


# Each item's outcome, in order


def outcomes(body) -> list[tuple[int, str]]:
    return [(entry["index"], entry["outcome"]) for entry in body["items"]]


def test_each_item_answers_its_id_and_outcome_in_the_order_sent(api, owner, metric):
    first = send(api, [item(metric, 80, external_id="same"), item(metric, 70, external_id="new")])
    stored = {m.external_id: m.id for m in Measurement.objects.all()}
    assert [(e["index"], e["outcome"], e["id"]) for e in first["items"]] == [
        (0, "created", stored["same"]),
        (1, "created", stored["new"]),
    ]

    body = send(
        api,
        [
            item(metric, 80, external_id="same"),  # 0 unchanged
            item(metric, "NaN"),  # 1 rejected before writing
            item(metric, 71, external_id="new"),  # 2 updated
            item(metric, 90),  # 3 created
            item(metric, 91, external_id="same"),  # 4 rejected: twice in the batch
            {**item(metric), "metric_id": 987654},  # 5 rejected: no such metric
            item(metric, 92, external_id="fresh"),  # 6 created
        ],
    )
    assert counts(body) == (2, 1, 1, 3)
    assert outcomes(body) == [
        (0, "unchanged"),
        (1, "rejected"),
        (2, "updated"),
        (3, "created"),
        (4, "rejected"),
        (5, "rejected"),
        (6, "created"),
    ]
    ids = [entry["id"] for entry in body["items"]]
    assert ids[0] == stored["same"] and ids[2] == stored["new"]
    assert ids[1] is ids[4] is ids[5] is None
    assert Measurement.objects.get(id=ids[3]).value == Decimal(90)
    assert Measurement.objects.get(id=ids[6]).external_id == "fresh"
    fields = {entry["index"]: [f["field"] for f in entry["fields"]] for entry in body["items"]}
    assert fields == {
        0: [],
        1: ["value"],
        2: [],
        3: [],
        4: ["external_id"],
        5: ["metric_id"],
        6: [],
    }
    assert [r["index"] for r in body["rejections"]] == [1, 4, 5]


def test_ids_of_created_items_match_what_was_stored_on_a_large_batch(api, metric):
    items = [item(metric, n, external_id=f"e{n}" if n % 3 else "") for n in range(1500)]
    body = send(api, items)
    by_id = dict(Measurement.objects.values_list("id", "value"))
    assert [entry["index"] for entry in body["items"]] == list(range(1500))
    assert all(entry["outcome"] == "created" for entry in body["items"])
    assert [by_id[entry["id"]] for entry in body["items"]] == [Decimal(n) for n in range(1500)]


def _queries_for(api, items) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        send(api, items)
    return len(queries)


def test_per_item_outcomes_cost_no_query_per_item(api, metric):
    """The same number of queries for 5 items as for 500 (new, then known ones)."""
    send(api, [item(metric, 1)])  # first writes (the token's use, the metric) are once
    small = [item(metric, n, external_id=f"s{n}") for n in range(5)]
    large = [item(metric, n, external_id=f"l{n}") for n in range(500)]
    assert _queries_for(api, small) == _queries_for(api, large)
    assert _queries_for(api, small) == _queries_for(api, large)
