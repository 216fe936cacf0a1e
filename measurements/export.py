"""Measurements as CSV or JSON, streamed: rows come from the database in chunks (a
server-side cursor on PostgreSQL) and leave in chunks, so an export of a million rows
holds a few thousand in memory at a time."""

import csv
import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify

from config.numbers import plain

COLUMNS = (
    "measured_at",
    "value",
    "unit",
    "entered_value",
    "entered_unit",
    "note",
    "source",
    "external_id",
)
ROWS_PER_QUERY = 2000
BYTES_PER_CHUNK = 64 * 1024
FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def export_rows(measurements: QuerySet, *, unit: str, zone: ZoneInfo) -> Iterator[dict[str, str]]:
    """Each measurement as the export shows it: times in the owner's zone with their
    offset, numbers as written (no float rounding), what was typed beside the value."""
    fields = ("measured_at", "value", "original_value", "original_unit", "note", "source")
    for row in measurements.values_list(*fields, "external_id").iterator(ROWS_PER_QUERY):
        measured_at, value, original_value, original_unit, note, source, external_id = row
        yield {
            "measured_at": measured_at.astimezone(zone).isoformat(),
            "value": plain(value),
            "unit": unit,
            "entered_value": plain(original_value),
            "entered_unit": original_unit,
            "note": note,
            "source": source,
            "external_id": external_id,
        }


def json_ready(value: Any) -> Any:
    """Python values as the export writes them: numbers as written (no float, no
    trailing zeros), dates and times in ISO 8601."""
    if isinstance(value, dict):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    if isinstance(value, Decimal):
        return plain(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def _chunked(pieces: Iterable[str]) -> Iterator[str]:
    """Join small pieces into chunks of about `BYTES_PER_CHUNK`: one write per row
    would make a million small writes to the socket."""
    buffer: list[str] = []
    size = 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= BYTES_PER_CHUNK:
            yield "".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer)


class _Line:
    """A file-like object whose `write` hands back the line `csv.writer` made."""

    def write(self, line: str) -> str:
        return line


#: What makes a spreadsheet read a cell as a formula (or, for `|` and `%`, as a DDE
#: call or a macro in some of them) when it is the cell's first character.
FORMULA_STARTS = frozenset("=+-@|%\t\r")
PLAIN_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def spreadsheet_safe(cell: str) -> str:
    """A cell a spreadsheet shows as the text it is: one that would start a formula
    gets a leading apostrophe (and its pipes escaped), as OWASP and defusedcsv do. A
    plain number, negative ones included, stays a number."""
    if not cell or cell[0] not in FORMULA_STARTS or PLAIN_NUMBER.fullmatch(cell):
        return cell
    return "'" + cell.replace("|", "\\|")


def csv_pieces(rows: Iterable[dict[str, str]]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(COLUMNS)
    for row in rows:
        yield writer.writerow([spreadsheet_safe(row[column]) for column in COLUMNS])


def json_pieces(header: dict[str, Any], rows: Iterable[dict[str, str]]) -> Iterator[str]:
    """`{...header, "measurements": [rows]}`, written as the rows arrive."""
    opening = json.dumps(json_ready({**header, "measurements": []}))
    yield opening[: -len("[]}")] + "["
    separator = ""
    for row in rows:
        yield separator + json.dumps(row)
        separator = ","
    yield "]}"


def export_response(
    fmt: str, *, name: str, header: dict[str, Any], rows: Iterable[dict[str, str]]
) -> StreamingHttpResponse:
    """The streamed download, named after what it holds and the day it was made."""
    pieces = csv_pieces(rows) if fmt == "csv" else json_pieces(header, rows)
    response = StreamingHttpResponse(_chunked(pieces), content_type=FORMATS[fmt])
    filename = f"{slugify(name) or 'export'}-{timezone.localdate().isoformat()}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
