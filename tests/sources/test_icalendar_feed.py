"""The calendar feed provider against a real HTTP server on loopback (pytest-httpserver):
what it counts per day from tests/sources/files/gym.ics, the conditional requests its
cursor makes, and how each failure of the feed is classified. No database: the
provider is called directly, as the sync orchestrator calls it. Loopback is allowed
here (`OUTBOUND_ALLOW_NETWORKS`); tests/security/test_outbound.py shows it refused.

gym.ics, read in Europe/Berlin on 1 April 2026 with match "gym":

    02.03  "Gym" 07:00-08:00 and "gym - legs" 18:00-19:30; "Dentist" does not match
    03.03  "GYM day", all day
    04.03  "Late gym" 22:30-00:30 UTC: 23:30-01:30 in Berlin, across midnight
    06.03  "Night gym" 23:30 UTC for 45 min: 00:30 on the 7th in Berlin
    08.03  "Gym", cancelled
    10.03  "Gym class" weekly at 18:00 for 1 h, five times: the 17th is an EXDATE,
           the 24th moved to the 25th 07:00-08:30, the 31st is after the clock change,
           7 April is after "today"
    12.03  "gym" 09:00-09:30 and "Gym stretch" 10:00 for 20 min, floating times
    01.05  "Gym", in the future
"""

import datetime as dt
import json
import socket
import time
from pathlib import Path

import pytest
from django.test import override_settings
from pydantic import ValidationError
from werkzeug import Response

from measurements.orchestrators import prepare_rows
from sources.outbound import Limits, retry_after
from sources.providers import (
    Batch,
    Capability,
    CursorRejected,
    Mode,
    PermanentError,
    Source,
    TransientError,
    get,
)
from sources.providers.icalendar_feed import ICalendarFeed, ICalendarSettings

FILES = Path(__file__).parent / "files"
GYM = (FILES / "gym.ics").read_bytes()
NOW = dt.datetime(2026, 4, 1, 10, 0, tzinfo=dt.UTC)
METRIC = 7
ETAG = '"v1-abc"'
LAST_MODIFIED = "Wed, 01 Apr 2026 08:00:00 GMT"


@pytest.fixture(autouse=True)
def loopback_allowed():
    with override_settings(OUTBOUND_ALLOW_NETWORKS=["127.0.0.0/8", "::1/128"]):
        yield


@pytest.fixture
def provider():
    return ICalendarFeed(clock=lambda: NOW, limits=Limits(deadline=5.0, read_timeout=2.0))


def source(url: str, *, cursor: str | None = None, **settings) -> Source:
    values = {"url": url, "metric_id": METRIC, "match": "gym"} | settings
    return Source(id=1, settings=ICalendarSettings(**values), cursor=cursor)


def serve(httpserver, body: bytes = GYM, **headers: str) -> str:
    httpserver.expect_request("/feed.ics", method="GET").respond_with_data(
        body, content_type="text/calendar; charset=utf-8", headers=headers
    )
    return httpserver.url_for("/feed.ics")


def pull(provider, src: Source, mode: Mode = Mode.FULL_PULL) -> list[Batch]:
    return list(provider.pull(src, mode=mode))


def values(batches: list[Batch]) -> dict[str, str]:
    return {item["external_id"].removeprefix("ical-day-"): item["value"] for item in items(batches)}


def items(batches: list[Batch]) -> list[dict]:
    return [item for batch in batches for item in batch.items]


# The provider and its settings ---------------------------------------------------------


def test_is_registered_with_its_capabilities():
    provider = get("icalendar")
    assert isinstance(provider, ICalendarFeed)
    assert provider.label == "Calendar feed (iCalendar)"
    assert provider.capabilities == Capability.FULL_PULL | Capability.INCREMENTAL_PULL
    assert provider.settings_model is ICalendarSettings


def test_settings_defaults_and_clean_values():
    settings = ICalendarSettings(
        url=" https://cal.example.test/u/1/basic.ics ", metric_id=3, match=" Gym "
    )
    assert settings.url == "https://cal.example.test/u/1/basic.ics"
    assert (settings.match, settings.count, settings.time_zone) == ("Gym", "events", "UTC")


def test_settings_read_webcal_as_https():
    settings = ICalendarSettings(url="webcal://p01-caldav.example.test/published/2/x", metric_id=3)
    assert settings.url == "https://p01-caldav.example.test/published/2/x"


@pytest.mark.parametrize(
    "url",
    ["ftp://example.test/feed.ics", "file:///etc/passwd", "example.test/feed.ics", "https://", ""],
)
def test_settings_refuse_an_address_that_is_not_http(url):
    with pytest.raises(ValidationError, match="https:// or http://"):
        ICalendarSettings(url=url, metric_id=3)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("time_zone", "Mars/Olympus", "not a time zone we know"),
        ("time_zone", "../etc/passwd", "not a time zone we know"),
        ("count", "days", "'events', 'hours' or 'minutes'"),
    ],
)
def test_settings_refuse_bad_values(field, value, message):
    with pytest.raises(ValidationError, match=message):
        ICalendarSettings(url="https://example.test/feed.ics", metric_id=3, **{field: value})


# What is counted --------------------------------------------------------------------------


def test_counts_matching_events_per_day_in_the_zone(provider, httpserver):
    batches = pull(provider, source(serve(httpserver), time_zone="Europe/Berlin"))

    assert len(batches) == 1
    assert values(batches) == {
        "2026-03-02": "2",  # matching twice; the dentist does not match
        "2026-03-03": "1",  # all day
        "2026-03-04": "1",  # 23:30 in Berlin
        "2026-03-07": "1",  # 00:30 in Berlin (23:30 UTC the day before)
        "2026-03-10": "1",  # the series' first
        "2026-03-12": "2",  # floating times, read in Berlin
        "2026-03-25": "1",  # the 24th's occurrence, moved
        "2026-03-31": "1",  # after the clock change; 17th excluded, 8th cancelled
    }
    assert batches[0].progress == (8, 8)


def test_days_are_cut_in_the_settings_zone(provider, httpserver):
    batches = pull(provider, source(serve(httpserver), time_zone="UTC"))

    assert values(batches) == {
        "2026-03-02": "2",
        "2026-03-03": "1",
        "2026-03-04": "1",
        "2026-03-06": "1",  # "Night gym" starts on the 6th in UTC
        "2026-03-10": "1",
        "2026-03-12": "2",
        "2026-03-25": "1",
        "2026-03-31": "1",
    }


def test_items_are_in_the_batch_ingest_shape(provider, httpserver):
    batches = pull(provider, source(serve(httpserver), time_zone="Europe/Berlin"))
    by_day = {item["external_id"]: item for item in items(batches)}

    assert by_day["ical-day-2026-03-02"] == {
        "metric_id": METRIC,
        "value": "2",
        "unit": "",
        "measured_at": "2026-03-02T12:00:00+01:00",
        "note": "2 events matching “gym”",
        "external_id": "ical-day-2026-03-02",
    }
    assert by_day["ical-day-2026-03-31"]["measured_at"] == "2026-03-31T12:00:00+02:00"
    assert by_day["ical-day-2026-03-03"]["note"] == "1 event matching “gym”"
    rows, refused = prepare_rows(items(batches), {METRIC: "sessions"})
    assert (len(rows), refused) == (8, [])


def test_hours_per_day_split_at_local_midnight(provider, httpserver):
    batches = pull(provider, source(serve(httpserver), time_zone="Europe/Berlin", count="hours"))

    assert values(batches) == {
        "2026-03-02": "2.5",
        "2026-03-04": "0.5",  # 23:30-00:00 …
        "2026-03-05": "1.5",  # … 00:00-01:30
        "2026-03-07": "0.75",
        "2026-03-10": "1",
        "2026-03-12": "0.83",  # 50 minutes, at most 2 decimals
        "2026-03-25": "1.5",
        "2026-03-31": "1",
    }  # no all-day event: it has no duration
    notes = {item["external_id"]: item["note"] for item in items(batches)}
    assert notes["ical-day-2026-03-02"] == "2 events matching “gym”, 2.5 hours"
    assert notes["ical-day-2026-03-10"] == "1 event matching “gym”, 1 hour"


def test_minutes_per_day_in_utc(provider, httpserver):
    batches = pull(provider, source(serve(httpserver), count="minutes"))

    assert values(batches) == {
        "2026-03-02": "150",
        "2026-03-04": "90",
        "2026-03-05": "30",
        "2026-03-06": "30",
        "2026-03-07": "15",
        "2026-03-10": "60",
        "2026-03-12": "50",
        "2026-03-25": "90",
        "2026-03-31": "60",
    }


def test_match_ignores_case_and_an_empty_match_counts_every_event(provider, httpserver):
    url = serve(httpserver)
    legs = values(pull(provider, source(url, match="LEGS")))
    every = values(pull(provider, source(url, match="")))

    assert legs == {"2026-03-02": "1"}
    assert every["2026-03-02"] == "3"  # the dentist too


def calendar(*lines: str) -> bytes:
    event = "\r\n".join(["BEGIN:VEVENT", "UID:series@example.test", "SUMMARY:Gym", *lines])
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{event}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n".encode()


@pytest.mark.parametrize(
    ("lines", "days"),
    [
        (  # all day, weekly to a DATE, less one EXDATE
            [
                "DTSTART;VALUE=DATE:20260302",
                "RRULE:FREQ=WEEKLY;UNTIL=20260316",
                "EXDATE;VALUE=DATE:20260309",
            ],
            ["2026-03-02", "2026-03-16"],
        ),
        (  # floating time, UNTIL in UTC, and an RDATE
            [
                "DTSTART:20260302T100000",
                "RRULE:FREQ=DAILY;UNTIL=20260303T235959Z",
                "RDATE:20260320T100000",
            ],
            ["2026-03-02", "2026-03-03", "2026-03-20"],
        ),
        (  # a rule icalendar cannot read: the first occurrence only
            ["DTSTART:20260302T100000Z", "RRULE:FREQ=FORTNIGHTLY"],
            ["2026-03-02"],
        ),
        (  # a rule dateutil cannot read (RFC 7529): the first occurrence only
            ["DTSTART:20260302T100000Z", "RRULE:FREQ=WEEKLY;RSCALE=GREGORIAN;SKIP=FORWARD"],
            ["2026-03-02"],
        ),
        (  # unbounded: up to today only
            ["DTSTART;TZID=Europe/Berlin:20260325T070000", "RRULE:FREQ=DAILY"],
            [
                "2026-03-25",
                "2026-03-26",
                "2026-03-27",
                "2026-03-28",
                "2026-03-29",
                "2026-03-30",
                "2026-03-31",
                "2026-04-01",
            ],
        ),
    ],
)
def test_recurring_events(provider, httpserver, lines, days):
    counted = values(pull(provider, source(serve(httpserver, calendar(*lines)))))

    assert counted == dict.fromkeys(days, "1")


def test_an_override_replaces_its_occurrence_even_when_cancelled_or_renamed(provider, httpserver):
    series = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            "BEGIN:VEVENT",
            "UID:s",
            "SUMMARY:Gym",
            "DTSTART:20260302T170000Z",
            "RRULE:FREQ=DAILY;COUNT=4",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:s",
            "RECURRENCE-ID:20260303T170000Z",
            "DTSTART:20260303T170000Z",
            "SUMMARY:Gym",
            "STATUS:CANCELLED",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "UID:s",
            "RECURRENCE-ID:20260304T170000Z",
            "DTSTART:20260304T170000Z",
            "SUMMARY:Rest day",
            "END:VEVENT",
            "END:VCALENDAR",
            "",
        ]
    ).encode()

    assert values(pull(provider, source(serve(httpserver, series)))) == {
        "2026-03-02": "1",
        "2026-03-05": "1",
    }


def test_days_after_today_are_left_for_a_later_pull(httpserver):
    later = ICalendarFeed(clock=lambda: dt.datetime(2026, 5, 2, tzinfo=dt.UTC))
    days = values(pull(later, source(serve(httpserver), time_zone="Europe/Berlin")))

    assert {"2026-04-07", "2026-05-01"} <= days.keys()
    assert "2026-04-14" not in days  # the series had five occurrences


def test_a_feed_without_matches_still_moves_the_cursor(provider, httpserver):
    batches = pull(provider, source(serve(httpserver, ETag=ETAG), match="yoga"))

    assert [batch.items for batch in batches] == [[]]
    assert json.loads(batches[0].cursor) == {"etag": ETAG, "last_modified": None}


# The cursor and conditional requests -----------------------------------------------------


def test_the_cursor_holds_the_answers_validators(provider, httpserver):
    url = serve(httpserver, ETag=ETAG, **{"Last-Modified": LAST_MODIFIED})
    batches = pull(provider, source(url))

    assert json.loads(batches[-1].cursor) == {"etag": ETAG, "last_modified": LAST_MODIFIED}
    request, _ = httpserver.log[0]
    assert "If-None-Match" not in request.headers
    assert "If-Modified-Since" not in request.headers


def test_an_incremental_pull_asks_conditionally_and_304_is_a_no_op(provider, httpserver):
    httpserver.expect_request(
        "/feed.ics", headers={"If-None-Match": ETAG, "If-Modified-Since": LAST_MODIFIED}
    ).respond_with_data("", status=304)
    cursor = json.dumps({"etag": ETAG, "last_modified": LAST_MODIFIED})

    batches = pull(
        provider, source(httpserver.url_for("/feed.ics"), cursor=cursor), Mode.INCREMENTAL_PULL
    )

    assert batches == []
    httpserver.check_assertions()
    assert len(httpserver.log) == 1


def test_a_changed_feed_answers_the_conditional_request_with_everything(provider, httpserver):
    url = serve(httpserver, ETag='"v2"')
    cursor = json.dumps({"etag": ETAG, "last_modified": None})

    batches = pull(provider, source(url, cursor=cursor), Mode.INCREMENTAL_PULL)

    request, _ = httpserver.log[0]
    assert request.headers["If-None-Match"] == ETAG
    assert "If-Modified-Since" not in request.headers
    assert len(values(batches)) == 8
    assert json.loads(batches[-1].cursor) == {"etag": '"v2"', "last_modified": None}


def test_a_full_pull_ignores_the_cursor(provider, httpserver):
    url = serve(httpserver)

    batches = pull(provider, source(url, cursor="not even JSON"), Mode.FULL_PULL)

    assert len(values(batches)) == 8
    request, _ = httpserver.log[0]
    assert "If-None-Match" not in request.headers


@pytest.mark.parametrize("cursor", ["not json", "[1, 2]", '{"etag": 5}', '"etag"'])
def test_a_cursor_that_is_not_ours_is_rejected_before_any_request(provider, httpserver, cursor):
    url = serve(httpserver)

    with pytest.raises(CursorRejected, match="cursor"):
        pull(provider, source(url, cursor=cursor), Mode.INCREMENTAL_PULL)
    assert httpserver.log == []


def test_412_rejects_the_cursor(provider, httpserver):
    httpserver.expect_request("/feed.ics").respond_with_data("", status=412)
    cursor = json.dumps({"etag": ETAG, "last_modified": None})

    with pytest.raises(CursorRejected, match="412 Precondition Failed"):
        pull(
            provider, source(httpserver.url_for("/feed.ics"), cursor=cursor), Mode.INCREMENTAL_PULL
        )


# Failures --------------------------------------------------------------------------------


def test_429_is_transient_with_retry_after_in_seconds(provider, httpserver):
    httpserver.expect_request("/feed.ics").respond_with_data(
        "slow down", status=429, headers={"Retry-After": "120"}
    )

    with pytest.raises(TransientError, match=r"the server was busy \(HTTP 429\)") as raised:
        pull(provider, source(httpserver.url_for("/feed.ics")))
    assert raised.value.retry_after == 120


def test_429_with_retry_after_as_an_http_date(provider, httpserver):
    httpserver.expect_request("/feed.ics").respond_with_data(
        "", status=429, headers={"Retry-After": "Wed, 01 Apr 2026 10:01:30 GMT"}
    )

    with pytest.raises(TransientError) as raised:
        pull(provider, source(httpserver.url_for("/feed.ics")))
    assert raised.value.retry_after == 90


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("0", 0),
        (" 7 ", 7),
        ("Wed, 01 Apr 2026 09:00:00 GMT", 0),  # already past
        ("soon", None),
        ("-5", None),
        ("nan", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_values(header, seconds):
    assert retry_after(header, NOW) == seconds


def test_500_then_success(provider, httpserver):
    httpserver.expect_ordered_request("/feed.ics").respond_with_data("boom", status=500)
    httpserver.expect_ordered_request("/feed.ics").respond_with_data(GYM, headers={"ETag": ETAG})
    src = source(httpserver.url_for("/feed.ics"))

    with pytest.raises(TransientError, match=r"the server had a problem \(HTTP 500\)") as raised:
        pull(provider, src)
    assert raised.value.retry_after is None
    batches = pull(provider, src)

    assert len(values(batches)) == 8
    assert json.loads(batches[-1].cursor)["etag"] == ETAG
    httpserver.check_assertions()


def test_503_honours_retry_after(provider, httpserver):
    httpserver.expect_request("/feed.ics").respond_with_data(
        "", status=503, headers={"Retry-After": "30"}
    )

    with pytest.raises(TransientError, match=r"\(HTTP 503\)") as raised:
        pull(provider, source(httpserver.url_for("/feed.ics")))
    assert raised.value.retry_after == 30


@pytest.mark.parametrize(
    ("status", "named"),
    [
        (404, r"nothing was found there \(HTTP 404\)\. Check the address"),
        (410, r"nothing was found there \(HTTP 410\)"),
        (401, r"access was not allowed \(HTTP 401\)\. If the feed is private"),
        (403, r"access was not allowed \(HTTP 403\)"),
        (400, r"the server refused the request \(HTTP 400\)"),
    ],
)
def test_client_errors_are_permanent_and_name_the_status(provider, httpserver, status, named):
    httpserver.expect_request("/feed.ics").respond_with_data(
        "Secret internal answer", status=status
    )

    with pytest.raises(PermanentError, match=named) as raised:
        pull(provider, source(httpserver.url_for("/feed.ics")))
    message = str(raised.value)
    assert message.startswith("The calendar feed at localhost could not be fetched: ")
    assert "/feed.ics" not in message  # the host only: a path can be a secret
    assert "Secret" not in message  # nor what the server said


@pytest.mark.parametrize(
    "body",
    [
        b"<!doctype html><html><body>Sign in to see this calendar</body></html>",
        b"",
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n",  # cut off
        b"BEGIN:VEVENT\r\nDTSTART:20260302T070000Z\r\nSUMMARY:gym\r\nEND:VEVENT\r\n",
    ],
)
def test_a_payload_that_is_not_icalendar_is_permanent(provider, httpserver, body):
    with pytest.raises(PermanentError, match="not an iCalendar file") as raised:
        pull(provider, source(serve(httpserver, body)))
    assert "Sign in" not in str(raised.value)  # what the server said is not repeated


def test_a_matching_event_with_an_unreadable_start_is_permanent(provider, httpserver):
    broken = GYM.replace(b"DTSTART:20260304T223000Z", b"DTSTART:yesterday")

    with pytest.raises(PermanentError, match=r"“Late gym” \(late-0304@example\.test\)"):
        pull(provider, source(serve(httpserver, broken)))
    # One that does not match is no concern of this source.
    assert len(values(pull(provider, source(serve(httpserver, broken), match="class")))) == 3


def test_a_feed_too_large_is_permanent(httpserver):
    small = ICalendarFeed(clock=lambda: NOW, limits=Limits(max_bytes=1000))

    with pytest.raises(PermanentError, match="larger than 1,000 bytes"):
        pull(small, source(serve(httpserver)))


def test_redirects_are_followed_to_http_only(provider, httpserver):
    httpserver.expect_request("/old.ics").respond_with_data(
        "", status=301, headers={"Location": "/feed.ics"}
    )
    httpserver.expect_request("/ftp.ics").respond_with_data(
        "", status=302, headers={"Location": "ftp://example.test/feed.ics"}
    )
    serve(httpserver)

    assert len(values(pull(provider, source(httpserver.url_for("/old.ics"))))) == 8
    with pytest.raises(PermanentError, match="redirects to an address that is not http"):
        pull(provider, source(httpserver.url_for("/ftp.ics")))


def test_a_refused_connection_is_transient(provider):
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(TransientError, match="the server could not be reached"):
        pull(provider, source(f"http://127.0.0.1:{port}/feed.ics"))


def test_a_timeout_is_transient(httpserver):
    def slow(request):
        time.sleep(0.6)
        return Response(GYM, content_type="text/calendar")

    httpserver.expect_request("/feed.ics").respond_with_handler(slow)
    impatient = ICalendarFeed(clock=lambda: NOW, limits=Limits(read_timeout=0.2))

    with pytest.raises(TransientError, match=r"timed out \(no answer within 0\.2 s\)"):
        pull(impatient, source(httpserver.url_for("/feed.ics")))
