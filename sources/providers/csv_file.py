"""Measurements from a CSV file: one metric per file, a value column and a time column,
optionally a unit, a note and an id column.

The file is read as a stream (UTF-8, with or without a byte order mark), a few KB at a
time, and handed on in batches of `BATCH_SIZE` items in the batch-ingest shape; nothing
here checks a value or writes anything. `measurements.contracts.IngestItem` (called by
the sync engine through `prepare_rows`) rejects what is wrong row by row, so a
bad row never stops the import: it comes back as a rejection with its index, which
counts the data rows that are not blank, from 0.

What the provider does to a row before that:

- value: the cell, stripped; a decimal comma ("81,4") becomes a point when the file
  is not comma-separated. It stays text: `IngestItem` reads the Decimal and refuses
  NaN, infinities and words.
- unit: the unit column's cell, or `unit` from the settings when there is no unit
  column or its cell is empty.
- measured_at: the time read by `read_time` (ISO 8601, DD.MM.YYYY, MM/DD/YYYY or
  DD/MM/YYYY), as an ISO string with its offset; a time without one is taken in the
  settings' `time_zone`. A time that cannot be read becomes None, which `IngestItem`
  refuses with "Input should be a valid datetime". The raw text is never passed on:
  pydantic would read a number such as "1712345678" as seconds since 1970.
- external_id: the id column's cell; without an id column (or with an empty cell) it
  is derived from the row, "csv:" + sha1 of "metric_id|measured_at|value", so that
  importing the same file twice creates nothing the second time (the writer upserts
  by external id). Two rows with the same metric, time and value therefore count as
  one measurement; within one batch the second is rejected as a duplicate id.

Whole-file problems stop the import with a `PermanentError` (the sync engine then
undoes what the run wrote): a mapped column the header lacks (named, with the
header's columns), a file that is not UTF-8 text, a line the CSV reader cannot take,
an empty file. A file with a header and no rows imports nothing.

Limits, checked as the lines are read, before a row is built from them: a record
(one line, or the lines of a row whose quoted cell holds line breaks) holds at most
`MAX_RECORD_CHARS` characters, and the header and every row at most `MAX_COLUMNS`
cells. A file past either is refused, so neither a preview nor an import ever builds
a huge row, whatever the file.

`preview` reads only the first rows (and no more than `PREVIEW_MAX_CHARS` of the
file) and shows, per row, what the import would make of it or the field errors that
would reject it (the same checks as `prepare_rows`, with plainer words for a time
that cannot be read).
"""

import csv
import datetime as dt
import hashlib
import io
import itertools
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from config.envelope import FieldError, field_errors
from measurements.contracts import IngestItem, MeasurementValues
from measurements.units import UnitError, convert

from ..forms import CsvUploadForm
from ..uploads import CSV_IMPORT
from ..wording import rejection_reason
from .base import Batch, Capability, PermanentError, Provider, Source
from .common import known_time_zone, upload_size
from .registry import register

#: Items per batch (the ingest limit is `measurements.contracts.MAX_BATCH`).
BATCH_SIZE = 2000
#: The delimiters tried on the first line when none is set, best first on a tie.
SNIFFED = (",", ";", "\t")
#: The most cells the header or a row may have.
MAX_COLUMNS = 200
#: The most characters one record (the line or lines of one row) may hold.
MAX_RECORD_CHARS = 64 * 1024
#: How much of the file a preview reads at most: its rows end there.
PREVIEW_MAX_CHARS = 1 << 20

NOT_TEXT = (
    "The file is not UTF-8 text: it may be a spreadsheet, another binary file, or text "
    "in another encoding. Save it as “CSV UTF-8” and upload that."
)


_COLUMN_FIELDS = (
    "value_column",
    "time_column",
    "unit_column",
    "note_column",
    "external_id_column",
)


class CsvSettings(BaseModel):
    """Which columns hold what, and how to read the times and numbers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: The metric every row goes to.
    metric_id: int
    value_column: str
    time_column: str
    unit_column: str = ""
    note_column: str = ""
    external_id_column: str = ""
    #: The unit of every value when there is no unit column ("lb"); empty: the metric's.
    unit: str = Field(default="", max_length=24)
    #: The zone of times written without an offset.
    time_zone: str = "UTC"
    #: Empty: sniffed from the first line among comma, semicolon and tab.
    delimiter: str = ""
    #: Read 03/04/2026 as 3 April rather than 4 March.
    day_first: bool = False

    @field_validator(*_COLUMN_FIELDS, "unit", "time_zone")
    @classmethod
    def stripped(cls, value: str) -> str:
        return value.strip()

    _known_zone = field_validator("time_zone")(known_time_zone)

    @field_validator("value_column", "time_column")
    @classmethod
    def required(cls, value: str) -> str:
        if not value:
            raise ValueError("Choose a column.")
        return value

    @field_validator("delimiter")
    @classmethod
    def one_character(cls, value: str) -> str:
        if value == "\t" or value.strip().casefold() in {"tab", "\\t"}:
            return "\t"
        value = value.strip()
        if len(value) > 1 or value == '"':
            raise ValueError("The delimiter is one character, such as a comma, a semicolon or tab.")
        return value


# Times ------------------------------------------------------------------------------

_LOCAL = re.compile(
    r"""^(?P<a>\d{1,2})(?P<sep>[./])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4})
    (?:[\sT,]+(?P<hour>\d{1,2}):(?P<minute>\d{2})
       (?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,6}))?)?
       \s*(?P<half>[AaPp]\.?[Mm]\.?)?)?$""",
    re.VERBOSE,
)

TIME_FORMATS = "YYYY-MM-DD [HH:MM[:SS]] (ISO 8601), DD.MM.YYYY, MM/DD/YYYY or DD/MM/YYYY"


def read_time(text: str, zone: dt.tzinfo, *, day_first: bool = False) -> dt.datetime | None:
    """The moment `text` names, aware (in `zone` when it has no offset), or None.

    ISO 8601 with or without a time or offset ("2026-03-04", "2026-03-04 07:30",
    "2026-03-04T07:30:00+01:00", "…Z"); "04.03.2026 [07:30[:00]]"; "03/04/2026
    [7:30 PM]" as month first, or day first with `day_first`. A local time that a
    clock change makes ambiguous is its first occurrence."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        moment = _local_time(text, day_first)
        if moment is None:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment


def _local_time(text: str, day_first: bool) -> dt.datetime | None:
    match = _LOCAL.match(text)
    if match is None:
        return None
    first, second = int(match["a"]), int(match["b"])
    day, month = (first, second) if match["sep"] == "." or day_first else (second, first)
    hour = int(match["hour"] or 0)
    if match["half"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match["half"][0] in "Pp" else 0)
    try:
        return dt.datetime(
            int(match["year"]),
            month,
            day,
            hour,
            int(match["minute"] or 0),
            int(match["second"] or 0),
            int((match["fraction"] or "0").ljust(6, "0")),
        )
    except ValueError:
        return None


# Reading the file --------------------------------------------------------------------


def _sniff(line: str) -> str:
    """The delimiter of a header line: the candidate seen most outside quotes."""
    bare = re.sub(r'"[^"]*"', "", line)
    counts = [(bare.count(candidate), -rank) for rank, candidate in enumerate(SNIFFED)]
    best = max(range(len(SNIFFED)), key=lambda i: counts[i])
    return SNIFFED[best] if counts[best][0] else ","


class _Lines:
    """The text's lines as the CSV reader takes them, each record (the lines read
    since `record_done`) refused once it passes `MAX_RECORD_CHARS`, so the reader
    never builds a row from more. With a `budget`, no record starts after that many
    characters: the lines end there."""

    def __init__(self, text: io.TextIOBase, budget: int | None = None):
        self._text = text
        self._budget = budget
        self._record = 0
        #: Characters and lines read so far.
        self.read = 0
        self.number = 0

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        if self.spent:
            raise StopIteration
        line = self._text.readline(MAX_RECORD_CHARS + 1)
        if not line:
            raise StopIteration
        self.number += 1
        self.read += len(line)
        self._record += len(line)
        if self._record > MAX_RECORD_CHARS:
            raise PermanentError(
                f"Line {self.number} of the file is longer than {MAX_RECORD_CHARS:,} "
                "characters: it is not a table of measurements we can read."
            )
        return line

    @property
    def spent(self) -> bool:
        """Whether the budget is used up, between records."""
        return self._budget is not None and self._record == 0 and self.read >= self._budget

    def record_done(self) -> None:
        self._record = 0


def _width_checked(row: list[str], line: int) -> list[str]:
    if len(row) > MAX_COLUMNS:
        raise PermanentError(
            f"Line {line} of the file has {len(row):,} cells; a file may have at most "
            f"{MAX_COLUMNS} columns."
        )
    return row


@dataclass
class _Table:
    header: list[str]
    delimiter: str
    reader: Any
    lines: _Lines
    #: Blank lines skipped before the header (for line numbers).
    skipped: int

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """(line number in the file, cells) of each row that is not blank."""
        rows = iter(self.reader)
        while True:
            try:
                row = next(rows)
                self.lines.record_done()
            except StopIteration:
                return
            except UnicodeDecodeError as exc:
                after = self.reader.line_num + self.skipped
                raise PermanentError(
                    f"The file is not UTF-8 text after line {after}. Save it as “CSV UTF-8” "
                    "and upload that."
                ) from exc
            except csv.Error as exc:
                line = self.reader.line_num + self.skipped
                raise PermanentError(f"Line {line} of the file cannot be read: {exc}.") from exc
            line = self.reader.line_num + self.skipped
            if any(cell.strip() for cell in _width_checked(row, line)):
                yield line, row


@contextmanager
def _opened(upload: IO[bytes], delimiter: str, budget: int | None = None) -> Iterator[_Table]:
    """The upload as CSV rows, decoded as it is read (at most `budget` characters of
    it, when given). The upload is left open (the text layer is detached from it at
    the end), so its owner can still close or reread it."""
    text = io.TextIOWrapper(upload, encoding="utf-8-sig", newline="")
    try:
        lines = _Lines(text, budget)
        skipped = 0
        try:
            first = next(lines, "")
            while first and not first.strip():
                skipped += 1
                lines.record_done()
                first = next(lines, "")
        except UnicodeDecodeError as exc:
            raise PermanentError(NOT_TEXT) from exc
        if not first:
            if lines.spent:
                raise PermanentError(
                    f"The first {lines.read:,} characters of the file are blank lines: "
                    "remove them and upload it again."
                )
            raise PermanentError("The file is empty.")
        if "\x00" in first:
            raise PermanentError(NOT_TEXT)
        delimiter = delimiter or _sniff(first)
        reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter)
        try:
            header = [cell.strip() for cell in _width_checked(next(reader), skipped + 1)]
        except UnicodeDecodeError as exc:
            raise PermanentError(NOT_TEXT) from exc
        except csv.Error as exc:
            raise PermanentError(f"The first line of the file cannot be read: {exc}.") from exc
        lines.record_done()
        yield _Table(
            header=header, delimiter=delimiter, reader=reader, lines=lines, skipped=skipped
        )
    finally:
        with suppress(ValueError):  # already closed by its owner
            text.detach()


def _position(upload: IO[bytes]) -> int | None:
    try:
        return upload.tell()
    except (AttributeError, OSError, ValueError):
        return None


# Rows into items --------------------------------------------------------------------


def _column(header: list[str], name: str) -> int | None:
    if name in header:
        return header.index(name)
    folded = name.casefold()
    for index, column in enumerate(header):
        if column.casefold() == folded:
            return index
    return None


_ROLES = {
    "value_column": "the value column",
    "time_column": "the time column",
    "unit_column": "the unit column",
    "note_column": "the note column",
    "external_id_column": "the id column",
}


class _Converter:
    """Turns the cells of one row into an item in the batch-ingest shape."""

    def __init__(self, settings: CsvSettings, header: list[str], delimiter: str):
        indexes, missing = {}, []
        for name in _ROLES:
            column = getattr(settings, name)
            if not column:
                indexes[name] = None
                continue
            indexes[name] = _column(header, column)
            if indexes[name] is None:
                missing.append(f"“{column}” ({_ROLES[name]})")
        if missing:
            columns = ", ".join(f"“{column}”" for column in header)
            raise PermanentError(
                f"The file has no column {' and no column '.join(missing)}. "
                f"Its columns are: {columns}."
            )
        self.value = indexes["value_column"]
        self.time = indexes["time_column"]
        self.unit = indexes["unit_column"]
        self.note = indexes["note_column"]
        self.external_id = indexes["external_id_column"]
        self.metric_id = settings.metric_id
        self.default_unit = settings.unit
        self.zone = ZoneInfo(settings.time_zone)
        self.day_first = settings.day_first
        self.decimal_comma = delimiter != ","

    @staticmethod
    def _cell(row: list[str], index: int | None) -> str:
        if index is None or index >= len(row):
            return ""
        return row[index].strip()

    def time_text(self, row: list[str]) -> str:
        return self._cell(row, self.time)

    def item(self, row: list[str]) -> dict[str, Any]:
        cell = self._cell
        value = cell(row, self.value)
        if self.decimal_comma and "," in value and "." not in value:
            value = value.replace(",", ".")
        moment = read_time(cell(row, self.time), self.zone, day_first=self.day_first)
        measured_at = moment.isoformat() if moment is not None else None
        external_id = cell(row, self.external_id) or stable_id(
            self.metric_id, measured_at or cell(row, self.time), value
        )
        return {
            "metric_id": self.metric_id,
            "value": value,
            "unit": cell(row, self.unit) or self.default_unit,
            "measured_at": measured_at,
            "note": cell(row, self.note),
            "external_id": external_id,
        }


def stable_id(metric_id: int, measured_at: str, value: str) -> str:
    """The external id of a row without one: the same row gives the same id, so a
    second import of a file updates nothing and creates nothing."""
    digest = hashlib.sha1(f"{metric_id}|{measured_at}|{value}".encode(), usedforsecurity=False)
    return "csv:" + digest.hexdigest()


# Guessing the columns ----------------------------------------------------------------

_NAMES = {
    "unit_column": ("unit", "units", "uom"),
    "external_id_column": ("external_id", "id", "uuid", "guid", "uid", "key"),
    "time_column": (
        "measured_at",
        "timestamp",
        "datetime",
        "date_time",
        "date",
        "time",
        "when",
        "day",
        "recorded_at",
        "created_at",
        "start",
    ),
    "note_column": ("note", "notes", "comment", "comments", "remark", "remarks", "description"),
    "value_column": (
        "value",
        "weight",
        "amount",
        "distance",
        "steps",
        "quantity",
        "count",
        "measurement",
        "reading",
        "duration",
        "total",
    ),
}


def _words(column: str) -> list[str]:
    return [word for word in re.split(r"[^0-9a-z]+", column.casefold()) if word]


def guess_columns(header: list[str]) -> dict[str, str]:
    """The columns that probably hold the value, time, unit, note and id, by their
    names ("Weight (kg)", "Date", "Comment"), keyed like `CsvSettings`' fields; a role
    no column fits is left out. A column serves one role at most."""
    normalized = ["_".join(_words(column)) for column in header]
    words = [set(_words(column)) for column in header]
    chosen: dict[str, str] = {}
    taken: set[int] = set()
    # Whole names first ("date" over "date of birth"), then single words of a name.
    for matches in (
        lambda index, name: normalized[index] == name,
        lambda index, name: name in words[index],
    ):
        for role, names in _NAMES.items():
            if role in chosen:
                continue
            for name in names:
                found = next(
                    (i for i in range(len(header)) if i not in taken and matches(i, name)), None
                )
                if found is not None:
                    chosen[role] = header[found]
                    taken.add(found)
                    break
    return {role: chosen[role] for role in _ROLES if role in chosen}


# The provider -------------------------------------------------------------------------


@register
class CsvFile(Provider):
    key = "csv"
    label = "CSV file"
    capabilities = Capability.FILE_IMPORT
    settings_model = CsvSettings
    replays_imports = True
    form_class = CsvUploadForm
    slug = "csv"
    add_route = "sources:csv_upload"
    upload_limit = CSV_IMPORT
    add_order = 10
    add_title = "Import a CSV file"
    add_help = (
        "Next you check which column is which and see the first rows as they will be "
        "read. Importing the same file again adds nothing twice."
    )
    add_button = "Preview"

    def parse(self, source: Source, upload: IO[bytes]) -> Iterator[Batch]:
        """Batches of `BATCH_SIZE` items, read as the file streams in. Progress is
        (bytes read, file size) when the size is known, else (rows read, None)."""
        settings = CsvSettings.model_validate(source.settings)
        size = upload_size(upload)
        start = _position(upload) if size is not None else None
        by_bytes = start is not None and size > start
        with _opened(upload, settings.delimiter) as table:
            convert_row = _Converter(settings, table.header, table.delimiter).item
            items: list[dict[str, Any]] = []
            rows = 0
            for _, row in table.records():
                items.append(convert_row(row))
                rows += 1
                if len(items) == BATCH_SIZE:
                    if by_bytes:
                        done = min((_position(upload) or start) - start, size - start)
                        progress = (done, size - start)
                    else:
                        progress = (rows, None)
                    yield Batch(items=items, progress=progress)
                    items = []
            if items:
                progress = (size - start, size - start) if by_bytes else (rows, None)
                yield Batch(items=items, progress=progress)


# Preview --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewRow:
    #: The line of the file the row starts on (the header is line 1).
    line: int
    #: The row's cells, in the order of `Preview.columns`.
    cells: list[str]
    #: What the import would hand on for it (None without a complete mapping).
    item: dict[str, Any] | None = None
    #: The value in the metric's unit, when the row would be taken.
    value: Decimal | None = None
    #: The moment the row's time was read as (aware), when it could be read.
    moment: dt.datetime | None = None
    #: Why the import would reject the row (empty: it would be taken).
    errors: list[FieldError] = field(default_factory=list)


@dataclass(frozen=True)
class Preview:
    #: The header, as read.
    columns: list[str]
    delimiter: str
    #: `guess_columns(columns)`.
    suggested: dict[str, str]
    #: The mapping the rows were read with: the settings given, or, without them, the
    #: suggestion when it names a value and a time column (metric_id 0); else None.
    settings: CsvSettings | None
    rows: list[PreviewRow]


def _check(
    item: dict[str, Any], time_text: str, metric_unit: str
) -> tuple[Decimal | None, list[FieldError]]:
    """The value an item would be stored with, or the errors that would reject it:
    the checks of `measurements.orchestrators.prepare_rows`, with plainer words on a
    time that cannot be read."""
    errors: list[FieldError] = []
    if item["measured_at"] is None:
        message = (
            f"“{time_text}” is not a time we can read; use {TIME_FORMATS}."
            if time_text
            else "There is no time in this row."
        )
        errors.append(FieldError(field="measured_at", message=message, code="time_format"))
    try:
        checked = IngestItem.model_validate(item)
    except ValidationError as exc:
        ours = {error.field for error in errors}
        return None, errors + [e for e in field_errors(exc) if e.field not in ours]
    try:
        reading = convert(checked.value, checked.unit, metric_unit)
        MeasurementValues(
            value=reading.value,
            original_value=reading.original_value,
            original_unit=reading.original_unit,
            measured_at=checked.measured_at,
            note=checked.note,
        )
    except UnitError as exc:
        return None, [FieldError(field=exc.field, message=str(exc))]
    except ValidationError as exc:
        return None, field_errors(exc)
    return reading.value, []


def _in_words(error: FieldError, item: dict[str, Any]) -> FieldError:
    """The error as a sentence, quoting the row's own cell where that helps."""
    said = rejection_reason(error.field, error.message, error.code, item.get(error.field))
    return error.model_copy(update={"message": said})


def preview(
    upload: IO[bytes],
    settings: CsvSettings | None,
    metric_unit: str,
    rows: int = 10,
    *,
    time_zone: str = "UTC",
) -> Preview:
    """The header, the suggested mapping, and the first `rows` rows with what the
    import would make of each (in `metric_unit`) or why it would reject it. Reads only
    those rows, and no more than `PREVIEW_MAX_CHARS` of the file; without `settings`,
    the suggested columns are read with times in `time_zone`. A seekable upload is
    put back where it was, to be saved or parsed.
    An unreadable file, or a mapped column the header lacks, raises `PermanentError`."""
    start = _position(upload)
    try:
        delimiter = settings.delimiter if settings else ""
        with _opened(upload, delimiter, PREVIEW_MAX_CHARS) as table:
            width = len(table.header)
            suggested = guess_columns(table.header)
            if settings is None and {"value_column", "time_column"} <= suggested.keys():
                settings = CsvSettings(metric_id=0, time_zone=time_zone, **suggested)
            converter = _Converter(settings, table.header, table.delimiter) if settings else None
            shown = []
            for line, row in itertools.islice(table.records(), rows):
                cells = [*row[:width], *[""] * (width - len(row))]
                if converter is None:
                    shown.append(PreviewRow(line=line, cells=cells))
                    continue
                item = converter.item(row)
                value, errors = _check(item, converter.time_text(row), metric_unit)
                moment = item["measured_at"] and dt.datetime.fromisoformat(item["measured_at"])
                shown.append(
                    PreviewRow(
                        line=line,
                        cells=cells,
                        item=item,
                        value=value,
                        moment=moment or None,
                        errors=[_in_words(error, item) for error in errors],
                    )
                )
            return Preview(
                columns=table.header,
                delimiter=table.delimiter,
                suggested=suggested,
                settings=settings,
                rows=shown,
            )
    finally:
        if start is not None:
            with suppress(AttributeError, OSError, ValueError):
                upload.seek(start)
