"""Measurements from an Apple Health export: the `export.zip` the Health app writes
(profile picture → Export All Health Data), or the `export.xml` inside it.

Which records feed which metric is the settings' `metrics`, keyed by stream name
(`STREAMS` names the HealthKit type of each). The file is read as a stream: a zip
entry is decompressed as it is read, never extracted, and the XML is fed to expat in
chunks, keeping nothing but the attributes of the records it hands on (no tree, no
text), so memory stays flat however many gigabytes the export holds.

What the provider makes of the records of a mapped type, so that a day reads as the
Health app shows it:

- Body weight: one measurement a record. value: Apple's value, as text; unit:
  Apple's unit, spelled as pint spells it where they differ (`APPLE_UNITS`): "Cal"
  is "kcal", "st" is "stone"; a count is "" (the metric's own unit); measured_at:
  startDate ("2026-11-20 07:01:00 +0100") as ISO 8601 with its offset; note: the
  sourceName (the app or device that recorded it); external_id: "ah-" + sha1 of
  type|startDate|endDate|value|sourceName, so that importing a newer export creates
  only what is new (the writer upserts by it). Apple repeats identical records at
  times; within a batch they are handed on once.
- Steps, distance and active energy (`DAILY`): one measurement a day, the day of
  each record's startDate in its own offset. An iPhone and a Watch worn together
  both count the same steps, and the Health app shows each interval from one source
  only, so by default (`devices` "one") a day's value is the sum of one device's
  records: the device with the most records that day (the one worn or carried
  longest), an Apple Watch when they tie. `devices` "all" adds every device up;
  `sources` takes only the named ones. measured_at: the day's noon in the records'
  offset, or its last record when that is earlier (a day still under way);
  external_id "ah-<stream>-<date>", so a later export with more of the day updates it.
- Sleep: one measurement a night, in hours asleep (the asleep stages, `ASLEEP`; in
  bed and awake are not counted), dated on the morning it ends: a stage belongs to
  the night that ends on the date it would have 6 hours after it starts (a night runs
  from 6 pm to 6 pm, in the record's own offset), and measured_at is the end of the
  night's last asleep stage. Stages of two devices that overlap are counted once:
  the preferred device (an Apple Watch, else the one with the most records that
  night) counts in full, and another only where no asleep or awake stage of a
  preferred one covers the time (in bed, as an iPhone writes from its bedtime,
  covers nothing). Hours are real elapsed time, so the night the clocks change is
  neither an hour short nor long. external_id "ah-sleep-night-<date>".
- A record of a daily stream whose time or value cannot be read is handed on
  alone, so that the import rejects it with its reason; a sleep record without a
  positive span is skipped.

What is summed is kept as the file streams, per day, night and device: bounded by
`apple_health_days.MAX_TALLIES` (years of exports need a few tens of thousands).

Only records directly under <HealthData> are read: Apple repeats the records of a
correlation (blood pressure, food) at the top level.

Safety and Apple's quirks:

- Entity declarations are refused ("The file declares XML entities; refused for
  safety."): nothing legitimate in an export needs them, and they are how a
  billion-laughs bomb or an external entity reaches a parser. The parser refuses
  them too (as defusedxml does), and never loads an external DTD.
- Bounded work whatever the file: the export.xml may unpack to at most
  `UPLOAD_MAX_UNPACKED_BYTES`, and, past its first `RATIO_GRACE_BYTES`, to at most
  `UPLOAD_MAX_COMPRESSION_RATIO` times the compressed bytes read (counted as it
  unpacks); zips compressed other than as Apple does (deflate, or stored) are
  refused, since the others unpack without bound in one read. No token (a tag with
  its attributes, a run of text, a comment) may pass `MAX_TOKEN_BYTES`: expat
  rescans an unfinished token each time it is fed, so one huge token costs time in
  the square of its length; elements nest at most `MAX_DEPTH` deep, and a file uses
  at most `MAX_NAMES` names, since the parser keeps every open element and every
  name it has seen. Each refusal fails the import with a plain reason.
- Apple's export starts with an internal DTD subset (ELEMENT and ATTLIST
  declarations only). Exports of HealthKit export version 12 (iOS 16) wrote it
  broken (an ATTLIST left open), which no conforming parser accepts; nothing here
  needs it, so the subset is blanked out before parsing (keeping line numbers).
- Some exports hold control characters (U+000B and others) that XML 1.0 forbids;
  they are dropped from UTF-8 input as it is read.
"""

import datetime as dt
import hashlib
import re
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import IO, Any, Literal
from xml.parsers import expat

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..forms import AppleHealthForm
from ..uploads import HEALTH_IMPORT
from .apple_health_days import Tallies, Total, moment, number
from .base import Batch, Capability, PermanentError, Provider, Source
from .common import upload_size
from .limits import (
    check_zip_directory,
    max_compression_ratio,
    max_unpacked_bytes,
    size_in_words,
)
from .registry import register

#: Items per batch (the ingest limit is `measurements.contracts.MAX_BATCH`).
BATCH_SIZE = 2000

#: Stream name → the HealthKit type whose records feed it.
STREAMS: dict[str, str] = {
    "body_mass": "HKQuantityTypeIdentifierBodyMass",
    "steps": "HKQuantityTypeIdentifierStepCount",
    "walking_running_distance": "HKQuantityTypeIdentifierDistanceWalkingRunning",
    "active_energy": "HKQuantityTypeIdentifierActiveEnergyBurned",
    "sleep": "HKCategoryTypeIdentifierSleepAnalysis",
}
SLEEP = STREAMS["sleep"]
#: Sleep values that count as asleep ("…Asleep" before iOS 16; the stages since).
ASLEEP = frozenset(
    f"HKCategoryValueSleepAnalysis{stage}"
    for stage in ("Asleep", "AsleepCore", "AsleepDeep", "AsleepREM", "AsleepUnspecified")
)
IN_BED = "HKCategoryValueSleepAnalysisInBed"
#: Streams whose records are summed into one value a day.
DAILY = ("steps", "walking_running_distance", "active_energy")

#: Apple's unit names → the names `measurements.units` (pint) knows; "" is the
#: metric's own unit. Units not listed (kg, lb, km, mi, m, kcal, kJ…) pass as they are.
APPLE_UNITS: dict[str, str] = {"count": "", "Cal": "kcal", "st": "stone", "hr": "h"}

ENTITIES = "The file declares XML entities; refused for safety."
NOT_AN_EXPORT = (
    "The file is neither an Apple Health export (export.zip) nor the export.xml "
    "inside one. In the Health app, tap your picture → Export All Health Data, and "
    "upload the zip it makes."
)

_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_UTF8_BOM = b"\xef\xbb\xbf"
#: How much of the start of the XML is read to find (and neutralize) the DOCTYPE.
#: Apple's DTD is about 10 KB.
_PROLOG_LIMIT = 1 << 20
_READ_SIZE = 64 * 1024
#: The longest a token may be (a tag with its attributes, a run of text, a comment):
#: more than this fed to the parser since the start of the last thing it reported is
#: refused, checked after each chunk of `_READ_SIZE`. Apple's longest tags hold a few
#: hundred bytes.
MAX_TOKEN_BYTES = 64 * 1024
#: The longest the parser reads without handing on a batch: then it hands on an empty
#: one, which the sync engine writes as the run's heartbeat (a long stretch of records
#: that feed no metric must not look like a dead worker to the reaper).
KEEPALIVE_SECONDS = 5.0
#: How deep elements may nest (Apple's go four deep).
MAX_DEPTH = 32
#: How many different element and attribute names a file may use: the parser keeps
#: each for the whole file (Apple's exports use fewer than a hundred).
MAX_NAMES = 10_000
#: What an archive member may unpack to before its compression ratio counts: a small
#: file compresses better than a large export does.
RATIO_GRACE_BYTES = 8 << 20
#: The compression methods Apple's zips use, which unpack a read at a time.
_READ_AS_IT_UNPACKS = (zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED)
TOKEN_TOO_LONG = (
    f"The export holds a value longer than {size_in_words(MAX_TOKEN_BYTES)}; it is not an "
    "Apple Health export we can read."
)
#: C0 control characters XML 1.0 forbids (all but tab, line feed, carriage return).
#: In UTF-8 these bytes only ever stand for themselves, so deleting them is safe.
_FORBIDDEN_CONTROLS = bytes(b for b in range(0x20) if b not in b"\t\n\r")
_DOCTYPE = re.compile(rb"<!DOCTYPE\b")
_SUBSET_END = re.compile(rb"\]\s*>")
_ELEMENT = re.compile(rb"<[A-Za-z_:]")
_APPLE_TIME = re.compile(r"(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) ?([+-]\d\d):?(\d\d)")


class AppleHealthSettings(BaseModel):
    """Which metric each stream of the export feeds, and optionally which of the
    apps and devices that recorded them to take."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Stream name (a key of `STREAMS`) → metric id.
    metrics: dict[str, int] = Field(min_length=1)
    #: Only records from these sources (Apple's sourceName, such as "Anna's Apple
    #: Watch"); empty: all.
    sources: list[str] = Field(default_factory=list)
    #: How the devices of a day (or night) combine: "one" takes one device a day
    #: per stream (see the module's docstring), since an iPhone and a Watch worn
    #: together both count the same steps; "all" adds them up.
    devices: Literal["one", "all"] = "one"

    @field_validator("metrics")
    @classmethod
    def known_streams(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(value) - set(STREAMS))
        if unknown:
            names = ", ".join(f"“{name}”" for name in unknown)
            known = ", ".join(STREAMS)
            raise ValueError(
                f"{names} {'is not a stream' if len(unknown) == 1 else 'are not streams'} "
                f"of an Apple Health export; the streams are: {known}."
            )
        return value

    @property
    def metric_ids(self) -> list[int]:
        """Every metric the import writes to (each must be the importer's)."""
        return sorted(set(self.metrics.values()))


# Times and values ---------------------------------------------------------------------


def iso_time(text: str | None) -> str | None:
    """Apple's "2026-11-20 07:01:00 +0100" as "2026-11-20T07:01:00+01:00"; an ISO
    time with an offset as it is; anything else (no offset, not a time) None."""
    if not text:
        return None
    match = _APPLE_TIME.fullmatch(text)
    if match:
        return f"{match[1]}T{match[2]}{match[3]}:{match[4]}"
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.isoformat() if moment.tzinfo is not None else None


def stable_id(kind: str, start: str, end: str, value: str, source_name: str) -> str:
    """The external id of a record: the same record in a later export gives the same
    id, so importing it again changes nothing."""
    key = f"{kind}|{start}|{end}|{value}|{source_name}".encode()
    return "ah-" + hashlib.sha1(key, usedforsecurity=False).hexdigest()[:20]


# The bytes ----------------------------------------------------------------------------


def _tell(upload: IO[bytes]) -> int | None:
    try:
        return upload.tell()
    except (AttributeError, OSError, ValueError):
        return None


def _sniff(upload: IO[bytes]) -> str:
    """ "zip" or "xml", from the first bytes; the upload is put back where it was."""
    start = _tell(upload)
    head = upload.read(64)
    if start is None:
        raise PermanentError("The upload cannot be reread; it must be a seekable file.")
    upload.seek(start)
    if head.startswith((_ZIP_MAGIC, _EMPTY_ZIP_MAGIC)):
        return "zip"
    text = head.removeprefix(_UTF8_BOM).lstrip(b" \t\r\n")
    if text.startswith(b"<") or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "xml"
    raise PermanentError(NOT_AN_EXPORT)


def _export_entry(archive: zipfile.ZipFile) -> zipfile.ZipInfo:
    """The export.xml of an export zip: apple_health_export/export.xml, or another
    export.xml; failing that (the Health app names it in the phone's language, as
    exportar.xml), the largest XML file in the top folder that is not the clinical
    (…_cda.xml) one."""
    entries = [
        entry
        for entry in archive.infolist()
        if not entry.is_dir() and not entry.filename.startswith("__MACOSX/")
    ]
    named = [e for e in entries if e.filename.rsplit("/", 1)[-1].casefold() == "export.xml"]
    if named:
        return min(
            named,
            key=lambda e: (
                e.filename != "apple_health_export/export.xml",
                e.filename.count("/"),
                e.filename,
            ),
        )
    others = [
        e
        for e in entries
        if e.filename.casefold().endswith(".xml")
        and not e.filename.casefold().endswith("_cda.xml")
        and e.filename.count("/") <= 1
    ]
    if others:
        return max(others, key=lambda e: e.file_size)
    raise PermanentError(
        "The zip holds no export.xml: it is not an Apple Health export. In the Health "
        "app, tap your picture → Export All Health Data, and upload the zip it makes."
    )


class _Unpacked:
    """The export.xml as it is read, refused once larger than the operator allows,
    or, given `packed` (the compressed bytes read so far, or None when it cannot
    tell), once more than the allowed multiple of them past `RATIO_GRACE_BYTES`."""

    def __init__(self, stream: IO[bytes], packed: Callable[[], int | None] | None = None):
        self._stream = stream
        self._packed = packed
        self._most = max_unpacked_bytes()
        self._ratio = max_compression_ratio()
        self.size = 0

    def read(self, size: int) -> bytes:
        data = self._stream.read(size)
        self.size += len(data)
        if self.size > self._most:
            raise PermanentError(_too_large(self._most))
        if self._packed is not None and self.size > RATIO_GRACE_BYTES:
            packed = self._packed()
            if packed is not None and self.size > self._ratio * max(packed, 1):
                raise PermanentError(
                    f"The zip unpacks to more than {self._ratio} times its size, which no "
                    "Apple Health export does; it is not one we can read."
                )
        return data


def _too_large(most: int) -> str:
    return f"The export.xml is larger than {size_in_words(most)}, the most an import reads."


class _Feed:
    """The XML as the parser reads it: the prolog's DOCTYPE internal subset blanked
    out (after refusing entity declarations in it), and control characters that XML
    forbids dropped. Counts the bytes it has taken from `raw`."""

    def __init__(self, raw: IO[bytes]):
        self._raw = raw
        self.taken = 0
        head = self._take(_READ_SIZE)
        while len(head) < _PROLOG_LIMIT and not _prolog_done(head):
            more = self._take(_READ_SIZE)
            if not more:
                break
            head += more
        # UTF-16 or UTF-32 (never Apple's): left to the parser as it is.
        self._filter = b"\x00" not in head[:_READ_SIZE]
        self._head = _neutralize_doctype(head) if self._filter else head

    def _take(self, size: int) -> bytes:
        try:
            data = self._raw.read(size)
        except zipfile.BadZipFile as exc:
            raise PermanentError(f"The zip is damaged ({exc}); export again.") from exc
        except (zlib.error, EOFError) as exc:
            raise PermanentError("The zip is damaged or cut short; export again.") from exc
        self.taken += len(data)
        return data

    def read(self, size: int = -1) -> bytes:
        if self._head:
            data, self._head = self._head, b""
        else:
            data = self._take(size if size and size > 0 else _READ_SIZE)
        return data.translate(None, _FORBIDDEN_CONTROLS) if self._filter else data


def _find_doctype(head: bytes) -> re.Match[bytes] | None:
    """The DOCTYPE of the prolog in `head`: one before the first element."""
    doctype = _DOCTYPE.search(head)
    element = _ELEMENT.search(head)
    if doctype is None or (element is not None and element.start() < doctype.start()):
        return None
    return doctype


def _prolog_done(head: bytes) -> bool:
    """Whether `head` reaches past the DOCTYPE (or shows there is none)."""
    doctype = _find_doctype(head)
    if doctype is None:
        # An element start: no DOCTYPE can come any more.
        return _ELEMENT.search(head) is not None
    return _doctype_end(head, doctype.start()) is not None


def _doctype_end(head: bytes, start: int) -> int | None:
    """Where the DOCTYPE that starts at `start` ends (after its ">"), if in `head`."""
    close = head.find(b">", start)
    bracket = head.find(b"[", start)
    if bracket == -1 or (close != -1 and close < bracket):
        return close + 1 if close != -1 else None
    end = _SUBSET_END.search(head, bracket)
    return end.end() if end else None


def _neutralize_doctype(head: bytes) -> bytes:
    """`head` without the DOCTYPE's internal subset, which Apple sometimes writes
    broken and nothing here needs; entity declarations in it are refused. The
    subset's lines stay as blank lines, so the parser's line numbers stay true."""
    doctype = _find_doctype(head)
    if doctype is None:
        return head
    end = _doctype_end(head, doctype.start())
    if end is None:
        # Longer than any export's: the parser (which refuses entities) reads it.
        return head
    declaration = head[doctype.start() : end]
    if b"<!ENTITY" in declaration:
        raise PermanentError(ENTITIES)
    name = re.match(rb"<!DOCTYPE\s+([^\s\[>]+)", declaration)
    replacement = b"<!DOCTYPE " + name[1] + b">" if name else b""
    blank = b"\n" * declaration.count(b"\n")
    return head[: doctype.start()] + replacement + blank + head[end:]


# Records ------------------------------------------------------------------------------


def _records(feed: _Feed) -> Iterator[dict[str, str]]:
    """The attributes of each Record directly under <HealthData>, parsed a chunk at a
    time."""
    reader = _RecordReader()
    try:
        while chunk := feed.read(_READ_SIZE):
            reader.feed(chunk)
            yield from reader.taken()
        reader.finish()
        yield from reader.taken()
    except expat.ExpatError as exc:
        raise PermanentError(
            f"The export's XML is broken at line {exc.lineno}, column {exc.offset} "
            f"({expat.ErrorString(exc.code)}). The file may be cut short or damaged; "
            "export again from the Health app."
        ) from exc


class _RecordReader:
    """Expat with handlers for element starts and ends only (text is never kept), and
    for the declarations a DTD holds, so that `feed` can tell how far the parser has
    come: past `MAX_TOKEN_BYTES` since the start of the last thing it reported, a
    token is too long. Entity declarations and external entities are refused, as
    defusedxml does."""

    def __init__(self):
        parser = expat.ParserCreate()
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        for reported in (
            "XmlDeclHandler",
            "StartDoctypeDeclHandler",
            "EndDoctypeDeclHandler",
            "ElementDeclHandler",
            "AttlistDeclHandler",
            "CommentHandler",
            "ProcessingInstructionHandler",
        ):
            setattr(parser, reported, self._reached)
        for refused in (
            "EntityDeclHandler",
            "UnparsedEntityDeclHandler",
            "ExternalEntityRefHandler",
        ):
            setattr(parser, refused, self._entity)
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self._parser = parser
        self._fed = 0
        self._reached_at = 0
        self._depth = 0
        self._names: set[str] = set()
        self._records: list[dict[str, str]] = []

    def feed(self, chunk: bytes) -> None:
        self._parser.Parse(chunk, False)
        self._fed += len(chunk)
        if self._fed - self._reached_at > MAX_TOKEN_BYTES:
            raise PermanentError(TOKEN_TOO_LONG)

    def finish(self) -> None:
        self._parser.Parse(b"", True)

    def taken(self) -> list[dict[str, str]]:
        """The records read since the last call."""
        records, self._records = self._records, []
        return records

    def _reached(self, *_) -> None:
        self._reached_at = self._parser.CurrentByteIndex

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        self._reached_at = self._parser.CurrentByteIndex
        self._depth += 1
        self._names.add(name)
        self._names.update(attributes)
        if len(self._names) > MAX_NAMES:
            raise PermanentError(
                f"The export uses more than {MAX_NAMES:,} different names of elements and "
                "attributes; it is not an Apple Health export we can read."
            )
        if self._depth == 2:
            if name == "Record":
                self._records.append(attributes)
        elif self._depth == 1:
            if name != "HealthData":
                raise PermanentError(
                    f"The XML file is not an Apple Health export: its root element "
                    f"is <{name}>, not <HealthData>."
                )
        elif self._depth > MAX_DEPTH:
            raise PermanentError(
                f"The export nests elements more than {MAX_DEPTH} deep; it is not an "
                "Apple Health export we can read."
            )

    def _end(self, name: str) -> None:
        self._reached_at = self._parser.CurrentByteIndex
        self._depth -= 1

    def _entity(self, *_) -> None:
        raise PermanentError(ENTITIES)


class _Items:
    """Turns the attributes of a record into an item in the batch-ingest shape, or
    adds it to the day or night it counts for (see the module's docstring); None for
    a record that feeds no metric. `totals` are the days and nights, once all is read."""

    def __init__(self, settings: AppleHealthSettings):
        self.metric_of = {STREAMS[stream]: metric for stream, metric in settings.metrics.items()}
        self.stream_of = {kind: stream for stream, kind in STREAMS.items()}
        self.sources = frozenset(_name_key(name) for name in settings.sources)
        self.tallies = Tallies(all_devices=settings.devices == "all")

    def item(self, record: dict[str, str]) -> dict[str, Any] | None:
        kind = record.get("type")
        if kind not in self.metric_of:
            return None
        if self.sources and _name_key(record.get("sourceName", "")) not in self.sources:
            return None
        if kind == SLEEP:
            self._add_to_night(record)
            return None
        if self.stream_of[kind] in DAILY:
            return self._add_to_day(record)
        return self._one(record)

    def totals(self) -> Iterator[dict[str, Any]]:
        """An item per day of each daily stream and per night of sleep."""
        named: set[tuple[str, dt.date]] = set()
        for total in self.tallies.days():
            external_id = f"ah-{total.key}-{total.day.isoformat()}"
            if (total.key, total.day) in named:  # a second unit the same day
                external_id += f"-{total.unit or 'count'}"
            named.add((total.key, total.day))
            yield self._total(total, STREAMS[total.key], external_id)
        for total in self.tallies.nights():
            yield self._total(total, SLEEP, f"ah-sleep-night-{total.day.isoformat()}")

    def _add_to_night(self, record: dict[str, str]) -> None:
        """Stages without a positive span are skipped."""
        start = moment(iso_time(record.get("startDate")))
        end = moment(iso_time(record.get("endDate")))
        if start is None or end is None or end <= start:
            return
        value = record.get("value")
        self.tallies.add_to_night(
            record, start, end, asleep=value in ASLEEP, in_bed=value == IN_BED
        )

    def _add_to_day(self, record: dict[str, str]) -> dict[str, Any] | None:
        """None once counted; the record alone when its time or value cannot be
        read, for the import to reject with its reason."""
        start = moment(iso_time(record.get("startDate")))
        value = number(record.get("value"))
        if start is None or value is None:
            return self._one(record)
        stream = self.stream_of[record["type"]]
        self.tallies.add_to_day(record, stream, _unit(record), start, value)
        return None

    def _one(self, record: dict[str, str]) -> dict[str, Any]:
        kind, source_name = record["type"], record.get("sourceName", "")
        start, end = record.get("startDate", ""), record.get("endDate", "")
        raw_value = record.get("value", "")
        return {
            "metric_id": self.metric_of[kind],
            "value": raw_value,
            "unit": _unit(record),
            "measured_at": iso_time(start),
            "note": source_name[:500],
            "external_id": stable_id(kind, start, end, raw_value, source_name),
        }

    def _total(self, total: Total, kind: str, external_id: str) -> dict[str, Any]:
        return {
            "metric_id": self.metric_of[kind],
            "value": format(total.value.normalize(), "f"),
            "unit": total.unit,
            "measured_at": total.measured_at.isoformat(),
            "note": ", ".join(total.sources)[:500],
            "external_id": external_id,
        }


def _name_key(name: str) -> str:
    """A device's name as compared with a typed one: the Health app writes a curly
    apostrophe (U+2019), a keyboard often a straight one."""
    return " ".join(name.replace("\u2019", "'").replace("\u2018", "'").casefold().split())


def _unit(record: dict[str, str]) -> str:
    apple_unit = record.get("unit", "")
    return APPLE_UNITS.get(apple_unit, apple_unit)


# The provider -------------------------------------------------------------------------


@register
class AppleHealthExport(Provider):
    key = "apple_health"
    label = "Apple Health export"
    capabilities = Capability.FILE_IMPORT
    replays_imports = True
    settings_model = AppleHealthSettings
    form_class = AppleHealthForm
    slug = "apple-health"
    upload_limit = HEALTH_IMPORT
    add_order = 30
    add_title = "Import an Apple Health export"
    add_help = (
        "Read as it streams, however large; records already imported from an older "
        "export are not added twice. What is read: body weight as each weighing; steps, "
        "distance and active energy as one value a day, from one device (an iPhone and a "
        "Watch worn together are not added up); sleep as one value a night, the hours "
        "asleep, dated on the morning you woke. Importing a newer export updates the "
        "days and nights it adds to."
    )
    add_button = "Import"

    def parse(self, source: Source, upload: IO[bytes]) -> Iterator[Batch]:
        """Batches of up to `BATCH_SIZE` items, read as the file streams in. Progress
        is (bytes read, bytes in all) of the file (for a zip, of its export.xml's
        compressed data) when the size is known, else (records read, None)."""
        settings: AppleHealthSettings = source.settings  # type: ignore[assignment]
        if _sniff(upload) == "xml":
            yield from self._batches(settings, _Unpacked(upload), _XmlProgress(upload))
            return
        check_zip_directory(upload)
        try:
            archive = zipfile.ZipFile(upload)
        except (zipfile.BadZipFile, EOFError) as exc:
            raise PermanentError("The zip is damaged or cut short; export again.") from exc
        with archive:
            entry = _export_entry(archive)
            if entry.compress_type not in _READ_AS_IT_UNPACKS:
                raise PermanentError(
                    "The zip is compressed in a way that cannot be read safely; upload "
                    "the export.zip as the Health app made it."
                )
            if entry.file_size > max_unpacked_bytes():
                raise PermanentError(_too_large(max_unpacked_bytes()))
            try:
                stream = archive.open(entry)
            except zipfile.BadZipFile as exc:
                raise PermanentError(f"The zip is damaged ({exc}); export again.") from exc
            except RuntimeError as exc:  # encrypted
                raise PermanentError("The zip is encrypted; upload the export as it is.") from exc
            except NotImplementedError as exc:  # a compression method zipfile lacks
                raise PermanentError(
                    f"The zip is compressed in a way that cannot be read ({exc}); upload "
                    "the export.zip as the Health app made it."
                ) from exc
            with stream:
                unpacked = _Unpacked(stream, packed=_packed_so_far(upload, entry))
                yield from self._batches(settings, unpacked, _ZipProgress(upload, entry))

    def _batches(
        self, settings: AppleHealthSettings, raw: IO[bytes], progress: "_XmlProgress"
    ) -> Iterator[Batch]:
        feed = _Feed(raw)
        progress.feed = feed
        reader = _Items(settings)
        convert = reader.item
        items: list[dict[str, Any]] = []
        seen: set[str] = set()
        beat_due = time.monotonic() + KEEPALIVE_SECONDS
        for record in _records(feed):
            if time.monotonic() >= beat_due:
                # Nothing handed on for a while: an empty batch is the run's heartbeat.
                yield Batch(items=[], progress=progress.now())
                beat_due = time.monotonic() + KEEPALIVE_SECONDS
            progress.records += 1
            item = convert(record)
            if item is None or item["external_id"] in seen:
                continue
            seen.add(item["external_id"])
            items.append(item)
            if len(items) == BATCH_SIZE:
                yield Batch(items=items, progress=progress.now())
                items, seen = [], set()
        for item in reader.totals():
            items.append(item)
            if len(items) == BATCH_SIZE:
                yield Batch(items=items, progress=progress.now())
                items = []
        if items:
            yield Batch(items=items, progress=progress.now(finished=True))


def _packed_so_far(upload: IO[bytes], entry: zipfile.ZipInfo) -> Callable[[], int | None]:
    """How many compressed bytes of `entry` have been read: the zip file's own
    position, which moves as the entry is decompressed, past the entry's start."""

    def packed() -> int | None:
        here = _tell(upload)
        return None if here is None else here - entry.header_offset

    return packed


class _XmlProgress:
    """(bytes of the file read, its size), or (records read, None)."""

    def __init__(self, upload: IO[bytes]):
        self.records = 0
        self.feed: _Feed | None = None
        self.size = upload_size(upload)
        start = _tell(upload)
        self.total = self.size - start if self.size is not None and start is not None else None

    def now(self, *, finished: bool = False) -> tuple[int, int | None]:
        if self.total is None or self.feed is None:
            return (self.records, None)
        return (self.total if finished else min(self.feed.taken, self.total), self.total)


class _ZipProgress(_XmlProgress):
    """(compressed bytes of export.xml read, its compressed size): the zip file's own
    position, which moves as the entry is decompressed, past the entry's start."""

    def __init__(self, upload: IO[bytes], entry: zipfile.ZipInfo):
        self.records = 0
        self.feed = None
        self.upload = upload
        self.start = entry.header_offset
        self.total = entry.compress_size or None

    def now(self, *, finished: bool = False) -> tuple[int, int | None]:
        here = _tell(self.upload)
        if self.total is None or here is None:
            return (self.records, None)
        done = self.total if finished else max(0, min(here - self.start, self.total))
        return (done, self.total)
