"""The CSV file provider: real files in tests/sources/files, read as streams into
batches in the batch-ingest shape; the rows a person would see in the preview; and
memory that stays flat however long the file is.

Measured parse throughput (this machine, Python 3.12, 200,000 rows "date,value,note"
with naive times in Europe/Berlin and derived ids): 210,000-240,000 rows/s without
tracemalloc, about 48,000 rows/s under it; tracemalloc peak about 2.2 MB. Run
`pytest tests/sources/test_csv_provider.py -k throughput -s` to see it again.
"""

import datetime as dt
import io
import re
import time
import tracemalloc
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from pydantic import ValidationError

from measurements.contracts import IngestItem
from measurements.models import Measurement
from measurements.orchestrators import prepare_rows
from sources.models import DataSource, RunStatus, SyncRun
from sources.orchestrators import sync
from sources.providers import Capability, PermanentError, Source, get
from sources.providers.csv_file import (
    BATCH_SIZE,
    MAX_COLUMNS,
    NOT_TEXT,
    PREVIEW_MAX_CHARS,
    CsvFile,
    CsvSettings,
    guess_columns,
    preview,
    read_time,
)
from tests.factories import MetricFactory

FILES = Path(__file__).parent / "files"
BERLIN = "Europe/Berlin"


def settings(**fields) -> CsvSettings:
    return CsvSettings(**{"metric_id": 1, **fields})


def batches(name: str | Path, **fields):
    path = name if isinstance(name, Path) else FILES / name
    with path.open("rb") as upload:
        return list(CsvFile().parse(Source(id=1, settings=settings(**fields)), upload))


def items(name: str | Path, **fields) -> list[dict]:
    return [item for batch in batches(name, **fields) for item in batch.items]


def derived(item: dict) -> bool:
    return re.fullmatch(r"csv:[0-9a-f]{40}", item["external_id"]) is not None


# The provider -------------------------------------------------------------------------


def test_it_is_registered_as_a_file_importer():
    provider = get("csv")
    assert isinstance(provider, CsvFile)
    assert provider.label == "CSV file"
    assert provider.capabilities == Capability.FILE_IMPORT
    assert provider.settings_model is CsvSettings


# Files ----------------------------------------------------------------------------------


def test_a_comma_file_with_every_column():
    read = items(
        "comma.csv",
        value_column="weight",
        time_column="date",
        unit_column="unit",
        note_column="note",
        external_id_column="id",
        unit="kg",
    )
    assert read == [
        {
            "metric_id": 1,
            "value": "81.4",
            "unit": "kg",
            "measured_at": "2026-03-01T07:30:00+01:00",
            "note": "after run",
            "external_id": "a1",
        },
        {
            "metric_id": 1,
            "value": "180",
            "unit": "lb",
            "measured_at": "2026-03-02T07:35:00+01:00",
            "note": "",
            "external_id": "a2",
        },
        {
            "metric_id": 1,
            "value": "80.9",
            # An empty unit cell falls back to the settings' unit.
            "unit": "kg",
            "measured_at": "2026-03-03T07:20:00+01:00",
            "note": "fasted, tired",
            "external_id": "a3",
        },
    ]
    for item in read:
        IngestItem.model_validate(item)


def test_a_semicolon_file_with_decimal_commas_and_dotted_dates():
    read = items(
        "semicolon.csv",
        value_column="Gewicht",
        time_column="Datum",
        note_column="Notiz",
        time_zone=BERLIN,
    )
    assert [(i["value"], i["measured_at"], i["note"]) for i in read] == [
        ("81.4", "2026-03-01T07:30:00+01:00", "nach dem Lauf"),
        ("81.0", "2026-03-02T00:00:00+01:00", ""),
        ("80.95", "2026-03-03T07:20:15+01:00", ""),
    ]
    assert all(derived(item) and item["unit"] == "" for item in read)


@pytest.mark.parametrize("delimiter", ["", "\t", "tab"])
def test_a_tab_separated_file(delimiter):
    read = items(
        "tab.tsv",
        value_column="steps",
        time_column="when",
        note_column="comment",
        unit="steps",
        delimiter=delimiter,
    )
    assert [(i["value"], i["unit"], i["measured_at"], i["note"]) for i in read] == [
        ("10234", "steps", "2026-03-01T00:00:00+00:00", "walk"),
        ("8001", "steps", "2026-03-02T00:00:00+00:00", ""),
    ]


def test_a_byte_order_mark_is_not_part_of_the_first_column():
    read = items("bom.csv", value_column="value", time_column="date")
    assert [(i["value"], i["measured_at"]) for i in read] == [
        ("81.4", "2026-03-01T00:00:00+00:00"),
        ("81.2", "2026-03-02T00:00:00+00:00"),
    ]


def test_times_with_an_offset_keep_it_whatever_the_zone():
    read = items(
        "offsets.csv", value_column="value", time_column="timestamp", time_zone="Asia/Tokyo"
    )
    assert [i["measured_at"] for i in read] == [
        "2026-03-01T06:30:00+00:00",
        "2026-03-01T08:30:00+02:00",
        "2026-03-01T01:30:00-05:00",
    ]
    # Three ways of writing the same instant.
    instants = {dt.datetime.fromisoformat(i["measured_at"]) for i in read}
    assert len(instants) == 1


def test_times_without_an_offset_are_in_the_settings_zone_across_a_clock_change():
    read = items("naive.csv", value_column="value", time_column="time", time_zone=BERLIN)
    assert [i["measured_at"] for i in read] == [
        "2026-03-28T12:00:00+01:00",
        "2026-03-29T12:00:00+02:00",
        "2026-03-29T00:00:00+01:00",
    ]


@pytest.mark.parametrize(
    ("day_first", "expected"),
    [
        (False, ["2026-03-04T00:00:00+00:00", "2026-12-31T19:30:00+00:00"]),
        # 31 is no month: day first, the second row cannot be read.
        (True, ["2026-04-03T00:00:00+00:00", None]),
    ],
)
def test_slashed_dates_are_month_first_unless_day_first(day_first, expected):
    read = items("us_dates.csv", value_column="value", time_column="date", day_first=day_first)
    assert [i["measured_at"] for i in read] == expected


def test_column_names_match_regardless_of_case_and_spaces():
    read = items("semicolon.csv", value_column=" gewicht ", time_column="DATUM")
    assert len(read) == 3


def test_blank_lines_are_skipped_before_the_header_and_between_rows():
    read = items("blank_lines.csv", value_column="value", time_column="date")
    assert [i["value"] for i in read] == ["81.4", "81.2"]


def test_a_file_with_only_a_header_gives_no_batches():
    assert batches("header_only.csv", value_column="value", time_column="date") == []


def test_an_empty_file_is_refused():
    with pytest.raises(PermanentError, match=r"^The file is empty\.$"):
        batches("empty.csv", value_column="value", time_column="date")


# Bad rows and bad files --------------------------------------------------------------


def test_bad_rows_are_handed_on_and_rejected_one_by_one_with_their_field():
    read = items("bad_rows.csv", value_column="value", time_column="date")
    assert len(read) == 9
    # Unreadable times are None, never the raw text: pydantic would read "1712345678"
    # as seconds since 1970.
    assert [i["measured_at"] is None for i in read] == [
        False, False, True, True, True, True, False, False, False,
    ]  # fmt: skip
    rows, rejections = prepare_rows(read, {1: "kg"})
    assert [row.index for row in rows] == [8]
    assert [(r.index, [(f.field, f.message) for f in r.fields]) for r in rejections] == [
        (0, [("value", "Input should be a finite number")]),
        (1, [("value", "Input should be a valid decimal")]),
        (2, [("measured_at", "Input should be a valid datetime")]),
        (3, [("measured_at", "Input should be a valid datetime")]),
        (4, [("measured_at", "Input should be a valid datetime")]),
        (5, [("measured_at", "Input should be a valid datetime")]),
        (6, [("value", "Input should be a valid decimal")]),
        (7, [("measured_at", "Times before 1900 are not taken; check the year.")]),
    ]


@pytest.mark.parametrize(
    ("columns", "missing"),
    [
        ({"value_column": "kg", "time_column": "date"}, ["“kg” (the value column)"]),
        (
            {"value_column": "weight", "time_column": "when", "note_column": "remark"},
            ["“when” (the time column)", "“remark” (the note column)"],
        ),
    ],
)
def test_a_missing_column_is_named_with_the_columns_the_file_has(columns, missing):
    with pytest.raises(PermanentError) as raised:
        batches("comma.csv", **columns)
    message = str(raised.value)
    for name in missing:
        assert name in message
    assert message.endswith("Its columns are: “date”, “weight”, “unit”, “note”, “id”.")


@pytest.mark.parametrize("name", ["spreadsheet.xlsx", "utf16.csv", "latin1.csv"])
def test_a_file_that_is_not_utf8_text_is_refused(name):
    with pytest.raises(PermanentError) as raised:
        batches(name, value_column="value", time_column="date")
    assert str(raised.value) == NOT_TEXT


def test_bytes_that_are_not_utf8_far_into_the_file_name_the_line_before(tmp_path):
    path = tmp_path / "late.csv"
    good = "".join(f"2026-03-01T{i % 24:02}:00Z,{i}\n" for i in range(5000))
    path.write_bytes(b"date,value\n" + good.encode() + "2026-03-02,caf\xe9\n".encode("latin-1"))
    with pytest.raises(PermanentError, match=r"not UTF-8 text after line \d+"):
        batches(path, value_column="value", time_column="date")


@pytest.mark.parametrize(
    ("runaway", "line"),
    [
        ("9" * 200_000 + "\n", 3),
        # An open quote: the reader would take every line after it into one cell.
        ("9\n" * 40_000, 32_765),
    ],
)
def test_a_record_past_the_limit_is_refused_with_its_line(tmp_path, runaway, line):
    path = tmp_path / "runaway.csv"
    path.write_text('date,value\n2026-03-01,81.4\n2026-03-02,"' + runaway + "2026-03-03,1\n")
    with pytest.raises(PermanentError) as raised:
        batches(path, value_column="value", time_column="date")
    assert str(raised.value) == (
        f"Line {line} of the file is longer than 65,536 characters: it is not a table of "
        "measurements we can read."
    )


# Ids --------------------------------------------------------------------------------------


def test_derived_ids_are_stable_and_distinct():
    fields = {"value_column": "Gewicht", "time_column": "Datum", "time_zone": BERLIN}
    first = [i["external_id"] for i in items("semicolon.csv", **fields)]
    second = [i["external_id"] for i in items("semicolon.csv", **fields)]
    assert first == second
    assert len(set(first)) == 3
    other_metric = [i["external_id"] for i in items("semicolon.csv", metric_id=2, **fields)]
    assert not set(first) & set(other_metric)


def test_a_derived_id_depends_on_the_instant_and_value_not_on_how_they_are_written():
    fields = {"value_column": "value", "time_column": "time", "time_zone": BERLIN}
    one = io.BytesIO(b"time,value\n2026-03-01 07:30,81.4\n")
    two = io.BytesIO(b"time;value\n01.03.2026 07:30:00;81,4\n")
    parsed = [
        next(iter(CsvFile().parse(Source(id=1, settings=settings(**fields)), upload))).items[0]
        for upload in (one, two)
    ]
    assert parsed[0]["external_id"] == parsed[1]["external_id"]


# Batches and progress -------------------------------------------------------------------


def long_file(path: Path, rows: int) -> Path:
    start = dt.datetime(2020, 1, 1)
    with path.open("w", encoding="utf-8") as out:
        out.write("date,value,note\n")
        for i in range(rows):
            when = (start + dt.timedelta(minutes=i)).isoformat(sep=" ")
            out.write(f"{when},{80 + i % 100 / 10},row {i}\n")
    return path


def test_batches_hold_batch_size_items_and_progress_counts_bytes(tmp_path):
    path = long_file(tmp_path / "long.csv", 4500)
    read = batches(path, value_column="value", time_column="date")
    assert [len(batch.items) for batch in read] == [BATCH_SIZE, BATCH_SIZE, 500]
    size = path.stat().st_size
    done = [batch.progress[0] for batch in read]
    assert all(batch.progress[1] == size for batch in read)
    assert done == sorted(done) and 0 < done[0] < size and done[-1] == size
    assert all(batch.cursor is None for batch in read)


class Unsized(io.RawIOBase):
    """A stream that cannot tell its size or position (a pipe, a network body)."""

    def __init__(self, data: bytes):
        self.data = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, buffer):
        chunk = self.data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_progress_counts_rows_when_the_size_is_unknown(tmp_path):
    path = long_file(tmp_path / "long.csv", 4500)
    upload = io.BufferedReader(Unsized(path.read_bytes()))
    source = Source(id=1, settings=settings(value_column="value", time_column="date"))
    read = list(CsvFile().parse(source, upload))
    assert [batch.progress for batch in read] == [(2000, None), (4000, None), (4500, None)]


def test_the_upload_stays_open_for_its_owner_even_when_reading_stops_early(tmp_path):
    path = long_file(tmp_path / "long.csv", 4500)
    source = Source(id=1, settings=settings(value_column="value", time_column="date"))
    with path.open("rb") as upload:
        stream = CsvFile().parse(source, upload)
        next(stream)
        stream.close()
        assert not upload.closed
        upload.seek(0)
        assert upload.readline() == b"date,value,note\n"


@pytest.mark.scale
def test_memory_stays_flat_over_200000_rows(tmp_path):
    path = long_file(tmp_path / "big.csv", 200_000)
    source = Source(id=1, settings=settings(value_column="value", time_column="date"))
    tracemalloc.start()
    try:
        with path.open("rb") as upload:
            count = sum(len(batch.items) for batch in CsvFile().parse(source, upload))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 200_000
    assert peak < 10 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_throughput(tmp_path):
    """Not a benchmark: a note of the speed (see the module docstring), and a floor far
    below it that only a pathological slowdown breaks."""
    path = long_file(tmp_path / "big.csv", 100_000)
    source = Source(
        id=1, settings=settings(value_column="value", time_column="date", time_zone=BERLIN)
    )
    started = time.perf_counter()
    with path.open("rb") as upload:
        count = sum(len(batch.items) for batch in CsvFile().parse(source, upload))
    rate = count / (time.perf_counter() - started)
    print(f"CSV parse: {rate:,.0f} rows/s")
    assert rate > 10_000


# Times ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        ("2026-03-04", False, "2026-03-04T00:00:00+01:00"),
        ("20260304", False, "2026-03-04T00:00:00+01:00"),
        ("2026-03-04 07:30", False, "2026-03-04T07:30:00+01:00"),
        ("2026-03-04T07:30:15", False, "2026-03-04T07:30:15+01:00"),
        ("2026-03-04T07:30:15.5Z", False, "2026-03-04T07:30:15.500000+00:00"),
        ("2026-03-04T07:30+05:30", False, "2026-03-04T07:30:00+05:30"),
        (" 04.03.2026 ", False, "2026-03-04T00:00:00+01:00"),
        ("4.3.2026 7:30", True, "2026-03-04T07:30:00+01:00"),
        ("04.03.2026 07:30:15", False, "2026-03-04T07:30:15+01:00"),
        ("03/04/2026", False, "2026-03-04T00:00:00+01:00"),
        ("03/04/2026", True, "2026-04-03T00:00:00+02:00"),
        ("3/4/2026 12:05 AM", False, "2026-03-04T00:05:00+01:00"),
        ("3/4/2026 12:05 p.m.", False, "2026-03-04T12:05:00+01:00"),
        ("2026-10-25 02:30", False, "2026-10-25T02:30:00+02:00"),  # the first 02:30
    ],
)
def test_read_time(text, day_first, expected):
    moment = read_time(text, ZoneInfo(BERLIN), day_first=day_first)
    assert moment.isoformat() == expected


@pytest.mark.parametrize(
    "text",
    ["", "  ", "tomorrow", "1712345678", "2026-02-31", "31.02.2026", "13/13/2026", "12:30",
     "3/4/2026 13:00 PM", "04-03-2026"],
)  # fmt: skip
def test_read_time_refuses(text):
    assert read_time(text, dt.UTC) is None


# Settings -----------------------------------------------------------------------------


def test_settings_check_the_time_zone():
    with pytest.raises(ValidationError, match="not a time zone we know"):
        settings(value_column="v", time_column="t", time_zone="Mars/Olympus")
    assert settings(value_column="v", time_column="t", time_zone=" Europe/Berlin ").time_zone == (
        BERLIN
    )


@pytest.mark.parametrize(("given", "kept"), [("", ""), (";", ";"), ("tab", "\t"), ("\t", "\t")])
def test_settings_delimiters(given, kept):
    assert settings(value_column="v", time_column="t", delimiter=given).delimiter == kept


@pytest.mark.parametrize(
    "fields",
    [
        {"value_column": "v", "time_column": "t", "delimiter": ",;"},
        {"value_column": "v", "time_column": "t", "delimiter": '"'},
        {"value_column": "  ", "time_column": "t"},
        {"value_column": "v"},
        {"value_column": "v", "time_column": "t", "sheet": "1"},
    ],
)
def test_settings_refuse(fields):
    with pytest.raises(ValidationError):
        settings(**fields)


# Guessing columns -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            ["date", "weight", "unit", "note", "id"],
            {
                "value_column": "weight",
                "time_column": "date",
                "unit_column": "unit",
                "note_column": "note",
                "external_id_column": "id",
            },
        ),
        (
            ["Timestamp", "Weight (kg)", "Comment"],
            {"value_column": "Weight (kg)", "time_column": "Timestamp", "note_column": "Comment"},
        ),
        (["When", "Steps"], {"value_column": "Steps", "time_column": "When"}),
        (
            ["uuid", "Start Time", "Distance", "Distance unit"],
            {
                "value_column": "Distance",
                "time_column": "Start Time",
                "unit_column": "Distance unit",
                "external_id_column": "uuid",
            },
        ),
        (["a", "b"], {}),
    ],
)
def test_guess_columns(header, expected):
    assert guess_columns(header) == expected


# Preview ------------------------------------------------------------------------------------


def test_a_preview_without_settings_suggests_the_columns_and_reads_the_rows_with_them():
    with (FILES / "comma.csv").open("rb") as upload:
        shown = preview(upload, None, "kg")
        assert upload.read() == (FILES / "comma.csv").read_bytes()  # put back for saving
    assert shown.columns == ["date", "weight", "unit", "note", "id"]
    assert shown.delimiter == ","
    assert shown.suggested == guess_columns(shown.columns)
    assert shown.settings.value_column == "weight"
    assert [(row.line, row.value, row.errors) for row in shown.rows] == [
        (2, Decimal("81.4"), []),
        (3, Decimal("81.646627"), []),  # 180 lb
        (4, Decimal("80.9"), []),
    ]
    assert shown.rows[2].cells == ["2026-03-03T07:20:00+01:00", " 80.9 ", "", "fasted, tired", "a3"]


def test_a_preview_shows_why_rows_would_be_rejected():
    fields = {"value_column": "value", "time_column": "date"}
    with (FILES / "bad_rows.csv").open("rb") as upload:
        shown = preview(upload, settings(**fields), "kg", rows=20)
    errors = [[(e.field, e.message) for e in row.errors] for row in shown.rows]
    # In words, quoting the cell: never pydantic's own text.
    assert errors[0] == [("value", "The value “NaN” is not a number.")]
    assert errors[1] == [("value", "The value “heavy” is not a number.")]
    assert errors[2] == [
        (
            "measured_at",
            "“2026-02-31” is not a time we can read; use YYYY-MM-DD [HH:MM[:SS]] (ISO 8601), "
            "DD.MM.YYYY, MM/DD/YYYY or DD/MM/YYYY.",
        )
    ]
    assert errors[4][0][1].startswith("“1712345678” is not a time we can read")
    assert errors[5] == [("measured_at", "There is no time in this row.")]
    assert errors[6] == [("value", "The row has no value.")]
    assert errors[7] == [("measured_at", "Times before 1900 are not taken; check the year.")]
    assert errors[8] == [] and shown.rows[8].value == Decimal("81.0")
    assert [row.line for row in shown.rows] == list(range(2, 11))


def test_a_preview_flags_units_the_metric_cannot_take():
    fields = {"value_column": "weight", "time_column": "date", "unit_column": "unit"}
    with (FILES / "comma.csv").open("rb") as upload:
        shown = preview(upload, settings(**fields), "km")
    assert [[(e.field, e.message) for e in row.errors] for row in shown.rows] == [
        [("unit", "kg cannot be converted to km.")],
        [("unit", "lb cannot be converted to km.")],
        [],
    ]


def test_a_preview_puts_a_negative_weight_under_its_value():
    upload = io.BytesIO(b"date,weight,unit\n2026-03-01,-81.5,kg\n2026-03-02,180,lb\n")
    fields = {"value_column": "weight", "time_column": "date", "unit_column": "unit"}
    shown = preview(upload, settings(**fields), "kg")
    assert [[(e.field, e.message) for e in row.errors] for row in shown.rows] == [
        [("value", "A weight cannot be negative.")],
        [],
    ]
    _taken, rejections = prepare_rows([row.item for row in shown.rows], {1: "kg"})
    assert [[f.field for f in r.fields] for r in rejections] == [["value"]]


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("bad_rows.csv", {"value_column": "value", "time_column": "date"}),
        ("comma.csv", {"value_column": "weight", "time_column": "date", "unit_column": "unit"}),
    ],
)
def test_a_preview_rejects_exactly_the_rows_the_import_rejects(name, fields):
    read = items(name, **fields)
    with (FILES / name).open("rb") as upload:
        shown = preview(upload, settings(**fields), "lb", rows=100)
    rows, rejections = prepare_rows(read, {1: "lb"})
    expected = {r.index: sorted(f.field for f in r.fields) for r in rejections}
    assert {
        index: sorted(e.field for e in row.errors)
        for index, row in enumerate(shown.rows)
        if row.errors
    } == expected
    assert [row.values.value for row in rows] == [row.value for row in shown.rows if row.value]


def test_a_preview_without_a_complete_guess_shows_the_cells_only():
    shown = preview(io.BytesIO(b"a;b\n1;2\n3\n"), None, "kg")
    assert shown.settings is None and shown.suggested == {}
    assert [(row.cells, row.item, row.errors) for row in shown.rows] == [
        (["1", "2"], None, []),
        (["3", ""], None, []),
    ]


def test_a_preview_reads_only_the_first_rows(tmp_path):
    path = tmp_path / "late.csv"
    good = "".join(f"2026-03-01T{i % 24:02}:00Z,{i}\n" for i in range(20_000))
    path.write_bytes(b"date,value\n" + good.encode() + b"\xff\xfe broken\n")
    fields = {"value_column": "value", "time_column": "date"}
    with path.open("rb") as upload:
        shown = preview(upload, settings(**fields), "kg", rows=3)
    assert [row.value for row in shown.rows] == [0, 1, 2]
    with pytest.raises(PermanentError):
        batches(path, **fields)


class CountingUpload(io.BytesIO):
    def __init__(self, data: bytes):
        super().__init__(data)
        self.taken = 0

    def read(self, size=-1):
        data = super().read(size)
        self.taken += len(data)
        return data

    def read1(self, size=-1):
        data = super().read1(size)
        self.taken += len(data)
        return data


def test_a_preview_reads_at_most_its_budget_of_the_file():
    """Rows that are all blank cells are skipped, so without a budget a preview
    would read on through all of them."""
    blank_rows = b" , \n" * (2 * PREVIEW_MAX_CHARS // 4)
    upload = CountingUpload(b"date,value\n" + blank_rows + b"2026-03-01,81.4\n")
    shown = preview(upload, settings(value_column="value", time_column="date"), "kg")
    assert shown.columns == ["date", "value"] and shown.rows == []
    assert upload.taken < PREVIEW_MAX_CHARS + 64 * 1024
    blank_lines = CountingUpload(b"\n" * (2 * PREVIEW_MAX_CHARS) + b"date,value\n")
    with pytest.raises(
        PermanentError, match=r"^The first 1,048,576 characters of the file are blank"
    ):
        preview(blank_lines, None, "kg")


def test_a_row_with_more_cells_than_columns_allow_is_refused(tmp_path):
    path = tmp_path / "wide.csv"
    path.write_text("date,value\n2026-03-01,81.4\n2026-03-02,1" + ",x" * MAX_COLUMNS + "\n")
    with pytest.raises(PermanentError) as raised:
        batches(path, value_column="value", time_column="date")
    assert str(raised.value) == (
        f"Line 3 of the file has {MAX_COLUMNS + 2} cells; a file may have at most "
        f"{MAX_COLUMNS} columns."
    )


def test_a_preview_refuses_what_the_import_refuses():
    with (FILES / "comma.csv").open("rb") as upload, pytest.raises(PermanentError, match="“kg”"):
        preview(upload, settings(value_column="kg", time_column="date"), "kg")
    with (FILES / "spreadsheet.xlsx").open("rb") as upload, pytest.raises(PermanentError):
        preview(upload, None, "kg")


# Through the sync orchestrator, against the database --------------------------------


@pytest.mark.django_db
def test_importing_the_same_file_twice_creates_nothing_the_second_time():
    metric = MetricFactory(unit="kg")
    source = DataSource.objects.create(
        owner=metric.owner,
        provider="csv",
        name="Scale export",
        settings={
            "metric_id": metric.id,
            "value_column": "Gewicht",
            "time_column": "Datum",
            "note_column": "Notiz",
            "time_zone": BERLIN,
        },
        created=timezone.now(),
    )

    def run():
        run = SyncRun.objects.create(source=source, created=timezone.now(), upload="x.csv")
        result = sync(run.id, open_upload=lambda name: (FILES / "semicolon.csv").open("rb"))
        assert result.ok, result.error
        return SyncRun.objects.get(id=run.id)

    first = run()
    assert (first.status, first.created_count, first.rejected_count) == (RunStatus.SUCCEEDED, 3, 0)
    assert first.progress_done == first.progress_total == (FILES / "semicolon.csv").stat().st_size
    second = run()
    assert (second.created_count, second.updated_count, second.unchanged_count) == (0, 0, 3)
    assert Measurement.objects.count() == 3
    stored = Measurement.objects.order_by("measured_at").first()
    assert stored.value == Decimal("81.4")
    assert stored.measured_at == dt.datetime(2026, 3, 1, 6, 30, tzinfo=dt.UTC)
    assert stored.note == "nach dem Lauf"
