"""Numbers out of bounds, through every channel that takes one: the quick entry and
edit forms, the API (one measurement, a change, a batch), goals (form and API), and
the imports run by the worker (CSV file, Apple Health export, webhook delivery).

Too large or too small a magnitude (1e9999999, -1e1000000, 1e-999) is a field error or
a rejected row with its reason: never a 500, never a failed run, never a silent 0,
and nothing of it is written."""

import json
import time
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from goals.models import Goal
from measurements.contracts import TOO_LARGE, TOO_SMALL, UnstorableNumber, storable
from measurements.models import Measurement
from sources.models import RunStatus, SyncRun
from sources.orchestrators import create_webhook_source, import_file
from sources.tasks import run_sync
from sources.webhooks import signature
from tests.api.conftest import ApiClient, token_for
from tests.factories import MeasurementFactory, MetricFactory
from tests.processes import run_queued

WHEN = "2026-11-20T07:00:00+00:00"
HUGE = ["1e9999999", "-1e1000000", "1E+13", "1000000000000"]
TINY = ["1e-999", "-1e-999", "0.0000001", "5e-7"]
LARGE_WORDS = "too large to store"
SMALL_WORDS = "too small to store: values are kept to 6 decimal places"


# The one check every channel shares


@pytest.mark.parametrize("text", HUGE)
def test_a_huge_magnitude_is_refused_before_any_arithmetic(text):
    with pytest.raises(UnstorableNumber, match=TOO_LARGE):
        storable(Decimal(text))


@pytest.mark.parametrize("text", TINY)
def test_a_tiny_non_zero_magnitude_is_refused_not_rounded_to_zero(text):
    with pytest.raises(UnstorableNumber, match=TOO_SMALL):
        storable(Decimal(text))


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("0", "0"),
        ("0E-999", "0"),
        ("0E+999", "0"),
        ("-3.5", "-3.5"),
        ("0.0000006", "0.000001"),
        ("81.4000004", "81.400000"),
        ("999999999999", "999999999999"),
        ("-999999999999.000000", "-999999999999.000000"),
        ("1." + "0" * 10_000 + "1", "1.000000"),
    ],
)
def test_a_storable_number_is_kept_to_six_places(text, kept):
    assert str(storable(Decimal(text))) == kept


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_what_is_not_a_finite_number_is_refused(text):
    with pytest.raises(UnstorableNumber, match="Enter a number"):
        storable(Decimal(text))


# The browser forms


@pytest.fixture
def metric(user):
    return MetricFactory(owner=user, name="Weight", unit="kg")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ("1" + "0" * 50, LARGE_WORDS),
        ("1" + "0" * 50 + " lb", LARGE_WORDS),
        ("9" * 13 + " g", LARGE_WORDS),
        ("900000000000 lb", None),  # stored: 408,233,133,000 kg fits
        ("5000000000000000 mg", LARGE_WORDS),
        ("0.0000001", SMALL_WORDS),
        ("0.0000001 lb", SMALL_WORDS),
        ("0.000001 g", SMALL_WORDS),
        ("1e9999999", "is not a unit we know"),
    ],
)
def test_the_quick_entry_form_refuses_with_a_field_error(signed_in, metric, entry, words):
    response = signed_in.post(
        reverse("measurements:record", args=[metric.id]),
        {"value": entry},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    if words is None:
        assert Measurement.objects.filter(metric=metric).count() == 1
        return
    assert words in response.content.decode()
    assert not Measurement.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("entry", "words"), [("1" + "0" * 20, LARGE_WORDS), ("0.0000001", SMALL_WORDS)]
)
def test_the_edit_form_refuses_and_keeps_the_stored_value(signed_in, metric, entry, words):
    stored = MeasurementFactory(metric=metric, value=Decimal("81.4"))
    response = signed_in.post(
        reverse("measurements:edit", args=[stored.id]),
        {"value": entry, "measured_at": "2026-11-20T08:00", "note": ""},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert words in response.content.decode()
    stored.refresh_from_db()
    assert stored.value == Decimal("81.4")


# The API


@pytest.fixture
def api(user):
    return ApiClient(token_for(user))


def post_raw(api, path: str, body: str):
    """A JSON body as written: `json.dumps` cannot write 1e9999999 as a number."""
    return api.post(f"/api/v1/{path}", body, content_type="application/json")


def assert_refused(response, words: str) -> None:
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert error["phase"] and error["correlation_id"]
    messages = {field["field"]: field["message"] for field in error["fields"]}
    assert words in messages["value"], messages


@pytest.mark.django_db
@pytest.mark.parametrize("number", [*HUGE, *TINY])
@pytest.mark.parametrize("quoted", [False, True], ids=["json-number", "json-string"])
@pytest.mark.parametrize("unit", ["", "lb"])
def test_one_measurement_through_the_api_is_refused(api, metric, number, quoted, unit):
    value = f'"{number}"' if quoted else number
    body = (
        f'{{"metric_id": {metric.id}, "value": {value}, "unit": "{unit}", "measured_at": "{WHEN}"}}'
    )
    response = post_raw(api, "measurements", body)
    assert_refused(response, LARGE_WORDS if number in HUGE else SMALL_WORDS)
    assert not Measurement.objects.exists()


@pytest.mark.django_db
def test_a_change_through_the_api_is_refused_and_keeps_the_stored_value(api, metric):
    stored = MeasurementFactory(metric=metric, value=Decimal("81.4"))
    for number, words in (("1e9999999", LARGE_WORDS), ("1e-999", SMALL_WORDS)):
        response = api.patch(
            f"/api/v1/measurements/{stored.id}",
            f'{{"value": {number}}}',
            content_type="application/json",
        )
        assert_refused(response, words)
    stored.refresh_from_db()
    assert stored.value == Decimal("81.4")


@pytest.mark.django_db
def test_a_batch_writes_the_good_items_and_rejects_each_bad_one(api, metric):
    """10,000 items, the most a batch takes; the bad ones are rejections, not a 500."""
    bad = {
        17: "1e9999999",
        4_000: '"-1e1000000"',
        5_000: "9" * 5_000,
        6_000: "1e-999",
        9_999: '"1e-999"',
    }
    items = [
        f'{{"metric_id": {metric.id}, "value": {bad.get(index, index % 90 + 1)}, '
        f'"measured_at": "{WHEN}", "external_id": "b-{index}"}}'
        for index in range(10_000)
    ]
    response = post_raw(api, "measurements/batch", f'{{"items": [{",".join(items)}]}}')
    assert response.status_code == 200, response.content[:500]
    body = response.json()
    assert (body["created"], body["rejected"]) == (10_000 - len(bad), len(bad))
    reasons = {r["index"]: r["fields"] for r in body["rejections"]}
    assert set(reasons) == set(bad)
    for index, fields in reasons.items():
        assert [field["field"] for field in fields] == ["value"]
        words = SMALL_WORDS if "-999" in bad[index] else LARGE_WORDS
        assert words in fields[0]["message"]
    assert Measurement.objects.count() == 10_000 - len(bad)
    assert not Measurement.objects.filter(value=0).exists()


# Goals


def goal_form(**overrides):
    return {
        "title": "Weigh 75 kg",
        "kind": "reach",
        "metric": "",
        "new_metric_name": "Weight",
        "new_metric_unit": "kg",
        "start_date": "2026-11-01",
        "start_value": "82",
        "target": "75",
        "deadline": "2027-03-01",
        "aggregation": "last",
        **overrides,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "number", "words"),
    [
        ("target", "1e9999999", LARGE_WORDS),
        ("start_value", "-1e1000000", LARGE_WORDS),
        ("target", "1e-999", SMALL_WORDS),
    ],
)
def test_the_goal_form_refuses_with_a_field_error(signed_in, field, number, words):
    response = signed_in.post(reverse("goals:create"), goal_form(**{field: number}))
    assert response.status_code == 200
    assert words in response.content.decode()
    assert not Goal.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "number", "words"),
    [
        ("target", "1e9999999", LARGE_WORDS),
        ("start_value", '"-1e1000000"', LARGE_WORDS),
        ("target", "1e-999", SMALL_WORDS),
        ("target", '"1e-999"', SMALL_WORDS),
    ],
)
def test_the_goals_api_refuses_with_a_field_error(api, field, number, words):
    fields = {"start_value": "82", "target": "75", field: None}
    numbers = ", ".join(
        f'"{name}": {number if value is None else json.dumps(value)}'
        for name, value in fields.items()
    )
    body = (
        '{"title": "Weigh 75 kg", "kind": "reach", "start_date": "2026-01-01", '
        f'"deadline": "2026-12-31", "new_metric": {{"name": "Weight", "unit": "kg"}}, {numbers}}}'
    )
    response = post_raw(api, "goals", body)
    assert response.status_code == 422, response.content
    messages = {f["field"]: f["message"] for f in response.json()["error"]["fields"]}
    assert any(name.endswith(field) and words in text for name, text in messages.items()), messages
    assert not Goal.objects.exists()


# Imports, run by the worker process


CSV_FILE = (
    "date,weight,unit\n"
    "2026-11-20 07:00,81.4,\n"
    "2026-11-21 07:00,1e9999999,\n"
    "2026-11-22 07:00,-1e1000000,\n"
    "2026-11-23 07:00,1e-999,\n"
    "2026-11-24 07:00,1e11,t\n"
    "2026-11-25 07:00,0.0000001,lb\n"
    "2026-11-26 07:00,81.2,\n"
)

APPLE_RECORD = (
    '<Record type="HKQuantityTypeIdentifierBodyMass" sourceName="Scale" unit="kg" '
    'startDate="2026-11-{day} 07:00:00 +0100" endDate="2026-11-{day} 07:00:00 +0100" '
    'value="{value}"/>'
)
APPLE_VALUES = ["81.4", "1e9999999", "-1e1000000", "1e-999", "81.2"]
APPLE_FILE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<HealthData locale="en_US">\n'
    + "\n".join(
        APPLE_RECORD.format(day=10 + index, value=value) for index, value in enumerate(APPLE_VALUES)
    )
    + "\n</HealthData>\n"
)

#: Numbers as JSON numbers and as strings; `json.dumps` cannot write 1e9999999.
#: A JSON integer past 4,300 digits is one Python's json module will not read.
WEBHOOK_VALUES = ["81.4", "1e9999999", '"-1e1000000"', "1e-999", '"1e-999"', "9" * 5_000, "81.2"]
WEBHOOK_BODY = (
    '{"measurements": ['
    + ",".join(
        f'{{"id": "w-{index}", "value": {value}, "measured_at": "2026-11-2{index}T07:00:00Z"}}'
        for index, value in enumerate(WEBHOOK_VALUES)
    )
    + "]}"
).encode()


def reasons(run: SyncRun) -> list[str]:
    return [field["message"] for rejection in run.rejections for field in rejection["fields"]]


@pytest.mark.django_db(transaction=True)
def test_imports_reject_the_bad_rows_and_finish(client, tmp_path):
    """A CSV file, an Apple Health export and a webhook delivery, each with huge and
    tiny values among good ones, run by the worker: each run succeeds, writes its good
    rows and rejects each bad one with its reason."""
    metric = MetricFactory(unit="kg")
    owner = metric.owner_id
    with override_settings(MEDIA_ROOT=tmp_path):
        csv_run = import_file(
            actor_id=owner,
            provider_key="csv",
            name="weights.csv",
            settings={
                "metric_id": metric.id,
                "value_column": "weight",
                "time_column": "date",
                "unit_column": "unit",
            },
            upload=ContentFile(CSV_FILE.encode(), name="weights.csv"),
            now=timezone.now(),
            enqueue=run_sync.enqueue,
        ).unwrap()
        apple_run = import_file(
            actor_id=owner,
            provider_key="apple_health",
            name="export.xml",
            settings={"metrics": {"body_mass": metric.id}},
            upload=ContentFile(APPLE_FILE.encode(), name="export.xml"),
            now=timezone.now(),
            enqueue=run_sync.enqueue,
        ).unwrap()
        hook = create_webhook_source(
            actor_id=owner, name="Scale", metric_id=metric.id, now=timezone.now()
        ).unwrap()
        stamp = str(int(time.time()))
        delivered = client.post(
            f"/sources/hooks/{hook['source_id']}/",
            WEBHOOK_BODY,
            content_type="application/json",
            headers={
                "X-Goaltrack-Timestamp": stamp,
                "X-Goaltrack-Signature": signature(hook["secret"], stamp, WEBHOOK_BODY),
            },
        )
    assert delivered.status_code in {200, 202}, delivered.content

    log = run_queued(media_root=tmp_path).stderr

    csv = SyncRun.objects.get(id=csv_run)
    assert csv.status == RunStatus.SUCCEEDED, csv.error_message
    assert (csv.created_count, csv.rejected_count) == (2, 5)
    assert sorted(reasons(csv)) == sorted(
        [TOO_LARGE, TOO_LARGE, TOO_SMALL, TOO_LARGE, TOO_SMALL]
    ), csv.rejections

    apple = SyncRun.objects.get(id=apple_run)
    assert apple.status == RunStatus.SUCCEEDED, apple.error_message
    assert (apple.created_count, apple.rejected_count) == (2, 3)
    assert sorted(reasons(apple)) == sorted([TOO_LARGE, TOO_LARGE, TOO_SMALL])

    pushed = SyncRun.objects.get(source_id=hook["source_id"])
    assert pushed.status == RunStatus.SUCCEEDED, (pushed.error_message, log[-3000:])
    assert (pushed.created_count, pushed.rejected_count) == (2, 5)
    assert sorted(reasons(pushed)) == sorted(
        [TOO_LARGE, TOO_LARGE, TOO_SMALL, TOO_SMALL, TOO_LARGE]
    )

    values = sorted(Measurement.objects.filter(metric=metric).values_list("value", flat=True))
    assert values == [Decimal("81.2")] * 3 + [Decimal("81.4")] * 3
