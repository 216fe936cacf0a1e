"""Values read at the precision people use, everywhere; stored and sent exactly.

The walk records "180 lb" on a kg metric (81.646627 kg stored), with goals of every
kind over it, then reads every page and fragment a person or an admin sees and finds
no number printed with more decimals than the metric shows.
"""

import datetime as dt
import io
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from config.numbers import format_value, quantity, unit_label
from measurements.models import Metric
from tests.api.conftest import ApiClient, token_for
from tests.factories import GoalFactory, MeasurementFactory, MetricFactory

HTMX = {"HX-Request": "true"}
#: A number with decimals, not part of a longer dotted run ("6.1.3") or a word.
DECIMAL_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*\.(\d+)(?![\d])")


class _VisibleText(HTMLParser):
    """The text a person reads or hears: text nodes (not scripts or styles) and the
    attributes read aloud or shown on hover. Input values, ids, classes, URLs and SVG
    coordinates are left out."""

    SPOKEN = frozenset({"aria-label", "title", "alt", "placeholder"})
    HIDDEN = frozenset({"script", "style"})

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.HIDDEN:
            self._hidden += 1
        self.parts += [value for name, value in attrs if name in self.SPOKEN and value]

    def handle_endtag(self, tag):
        if tag in self.HIDDEN:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    reader = _VisibleText()
    reader.feed(html)
    return " ".join(reader.parts)


def too_precise(html: str, places: int, verbatim: frozenset[str] = frozenset()) -> list[str]:
    """The numbers in what a person reads that show more than `places` decimals;
    `verbatim` numbers (a file's own cells) are allowed."""
    text = visible_text(html)
    return [
        match[0]
        for match in DECIMAL_NUMBER.finditer(text)
        if len(match[1]) > places and match[0] not in verbatim
    ]


def test_the_scanner_finds_six_decimals_and_ignores_markup():
    html = (
        '<p title="5.25 kg">81.646627 kg</p><circle cx="12.345"/><input value="81.646627">'
        "<style>.a{width:1.2345em}</style><span>6.1.3</span> 81.6 kg."
    )
    assert too_precise(html, 1) == ["5.25", "81.646627"]


@pytest.fixture
def weight(user):
    """A kg metric with no places of its own, a month of values converted from lb
    (six decimals stored), and a goal of each kind over it."""
    metric = MetricFactory(owner=user, name="Weight", unit="kg")
    today = timezone.localdate()
    start = today - dt.timedelta(days=20)
    for days_ago, pounds in enumerate(["181.2", "182.3", "183.1", "184.9", "181.7"]):
        MeasurementFactory(
            metric=metric,
            value=(Decimal(pounds) * Decimal("0.45359237")).quantize(Decimal("0.000001")),
            original_value=Decimal(pounds),
            original_unit="lb",
            measured_at=timezone.now() - dt.timedelta(days=days_ago * 3 + 1),
        )
    common = {"metric": metric, "start_date": start}
    GoalFactory(title="Reach", start_value=Decimal("82.190937"), target=Decimal("74"), **common)
    GoalFactory(
        title="Total",
        kind="total",
        target=Decimal("1000"),
        start_value=None,
        aggregation="sum",
        deadline=today + dt.timedelta(days=30),
        **common,
    )
    GoalFactory(
        title="Quota",
        kind="quota",
        target=Decimal("3"),
        start_value=None,
        period="week",
        comparison="at_least",
        aggregation="mean",
        deadline=None,
        **common,
    )
    GoalFactory(
        title="Range",
        kind="range",
        target=None,
        target_low=Decimal("70"),
        target_high=Decimal("90"),
        start_value=None,
        period="day",
        aggregation="mean",
        deadline=None,
        **common,
    )
    return metric


def _record_180_lb(client, metric) -> str:
    response = client.post(
        reverse("measurements:record", args=[metric.id]), {"value": "180 lb"}, headers=HTMX
    )
    assert response.status_code == 200
    return response.content.decode()


def _upload_csv(client, metric) -> str:
    upload = io.BytesIO(b"time,value\n2026-03-01 07:30,82.190937\n")
    upload.name = "weights.csv"
    response = client.post(
        reverse("sources:csv_upload"), {"csv-file": upload, "csv-metric": metric.id}
    )
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_no_page_or_fragment_shows_more_decimals_than_the_metric(signed_in, user, weight):
    confirmation = _record_180_lb(signed_in, weight)
    weight.refresh_from_db()
    assert weight.typed_places is None and weight.places == 1  # kg, nothing typed in kg
    assert "Recorded 180 lb (81.6 kg)" in confirmation
    stored = weight.measurements.get(original_value=Decimal("180"))
    assert stored.value == Decimal("81.646627")

    goals = list(weight.goals.order_by("id"))
    goal_urls = [
        reverse(name, args=[goal.id])
        for goal in goals
        for name in (
            "goals:detail",
            "goals:card",
            "goals:measurements",
            "goals:history",
            "goals:edit",
            "goals:title",
        )
    ]
    pages = {
        url: signed_in.get(url, headers=HTMX if "/card/" in url else {})
        for url in [
            reverse("goals:dashboard"),
            reverse("goals:summary"),
            reverse("goals:active"),
            *goal_urls,
            reverse("measurements:list"),
            reverse("measurements:detail", args=[weight.id]),
            reverse("measurements:measurements", args=[weight.id]),
            reverse("measurements:row", args=[stored.id]),
            reverse("measurements:edit", args=[stored.id]),
            reverse("sources:list"),
        ]
    }
    pages[reverse("measurements:edit", args=[stored.id]) + " (htmx)"] = signed_in.get(
        reverse("measurements:edit", args=[stored.id]), headers=HTMX
    )
    found = {}
    for url, response in pages.items():
        assert response.status_code == 200, url
        if wrong := too_precise(response.content.decode(), weight.places):
            found[url] = wrong
    preview = _upload_csv(signed_in, weight)
    assert "82.2 kg" in preview
    if wrong := too_precise(preview, weight.places, verbatim=frozenset({"82.190937"})):
        found["csv preview"] = wrong
    assert found == {}

    metric_page = pages[reverse("measurements:detail", args=[weight.id])].content.decode()
    assert "81.6 kg" in metric_page and "(180 lb)" in metric_page
    card = pages[reverse("goals:card", args=[goals[0].id])].content.decode()
    assert re.search(r'class="current">81\.6<', card)


@pytest.mark.django_db
def test_admin_lists_show_values_at_the_metrics_places(client, user, weight):
    signed_in = Client()
    signed_in.force_login(user)
    _record_180_lb(signed_in, weight)
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "x-long-pass")
    client.force_login(admin)
    for model in ("goals/goal", "measurements/measurement", "measurements/metric"):
        response = client.get(f"/admin/{model}/")
        assert response.status_code == 200, model
        assert too_precise(response.content.decode(), weight.places) == [], model
    listed = client.get("/admin/measurements/measurement/").content.decode()
    assert "81.6 kg (180 lb)" in listed


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("unit", "typed", "places", "shown"),
    [
        ("kg", "81.45", 2, "81.45 kg"),
        ("kg", "81.40", 1, "81.4 kg"),
        ("kg", "81.4567", 2, "81.46 kg"),
        ("workouts", "1", 0, "1 workout"),
    ],
)
def test_values_typed_set_the_places(signed_in, user, unit, typed, places, shown):
    metric = MetricFactory(owner=user, unit=unit)
    body = _record_180_lb_like(signed_in, metric, typed)
    metric.refresh_from_db()
    assert (metric.display_places, metric.places) == (None, places)
    assert f"Recorded {shown}." in body
    _record_180_lb_like(signed_in, metric, "2")
    metric.refresh_from_db()
    assert metric.places == places  # fewer decimals typed later take none away


@pytest.mark.django_db
def test_a_whole_first_value_gives_way_to_decimals_typed_later(signed_in, user):
    metric = MetricFactory(owner=user, unit="kg")
    assert "Recorded 82 kg." in _record_180_lb_like(signed_in, metric, "82")
    assert "Recorded 81.4 kg." in _record_180_lb_like(signed_in, metric, "81.4")
    assert "Recorded 176.4 lb (80 kg)." in _record_180_lb_like(signed_in, metric, "176.4 lb")
    metric.refresh_from_db()
    assert metric.places == 1


def _record_180_lb_like(client, metric, typed: str) -> str:
    response = client.post(
        reverse("measurements:record", args=[metric.id]), {"value": typed}, headers=HTMX
    )
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
def test_places_set_on_the_metric_win_and_values_stay_exact(signed_in, user):
    response = signed_in.post(
        reverse("measurements:list"), {"name": "Weight", "unit": "kg", "display_places": "0"}
    )
    metric = Metric.objects.get(owner=user, name="Weight")
    assert response.status_code == 302 and metric.display_places == 0
    body = _record_180_lb_like(signed_in, metric, "81.46")
    assert "Recorded 81 kg." in body
    metric.refresh_from_db()
    assert metric.display_places == 0
    exported = signed_in.get(reverse("measurements:export", args=[metric.id, "csv"]))
    assert "81.46" in b"".join(exported.streaming_content).decode()


@pytest.mark.django_db
def test_the_metrics_api_sets_and_reads_the_places_and_keeps_values_exact(user):
    client = ApiClient(token_for(user))
    made = client.post(
        "/api/v1/metrics",
        {"name": "Sleep", "unit": "h", "display_places": 2},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["display_places"] == 2
    metric_id = made.json()["id"]
    patched = client.patch(
        f"/api/v1/metrics/{metric_id}", {"display_places": 1}, content_type="application/json"
    )
    assert patched.status_code == 200, patched.content
    assert patched.json() | {"id": 0} == made.json() | {"id": 0, "display_places": 1}
    refused = client.patch(
        f"/api/v1/metrics/{metric_id}", {"display_places": 7}, content_type="application/json"
    )
    assert refused.status_code == 422


@pytest.mark.django_db
def test_a_metric_created_with_a_goal_takes_the_places_of_its_target(signed_in, user):
    response = signed_in.post(
        reverse("goals:create"),
        {
            "title": "Weigh less",
            "kind": "reach",
            "new_metric_name": "Weight",
            "new_metric_unit": "kg",
            "start_value": "82.5",
            "target": "74.25",
            "start_date": timezone.localdate().isoformat(),
            "deadline": (timezone.localdate() + dt.timedelta(days=60)).isoformat(),
            "aggregation": "last",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Metric.objects.get(owner=user, name="Weight").places == 2


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        ("81.646627", 1, "81.6"),
        ("81.65", 1, "81.7"),  # half up, as people round
        ("81", 2, "81"),
        ("15465", 0, "15,465"),
        ("2.571429", 0, "3"),
        ("-0.04", 1, "0"),
        ("0.000123", None, "0.00012"),
        ("81.646627", None, "81.65"),
    ],
)
def test_format_value(value, places, text):
    assert format_value(Decimal(value), places) == text


@pytest.mark.parametrize(
    ("value", "places", "unit", "text"),
    [
        ("1", 0, "workouts", "1 workout"),
        ("2", 0, "workouts", "2 workouts"),
        ("0.96", 0, "workouts", "1 workout"),  # reads 1, so says 1
        ("1.04", 1, "workouts", "1 workout"),
        ("1.2", 1, "pages", "1.2 pages"),
        ("1", 0, "coffees", "1 coffee"),
        ("1", 0, "glasses", "1 glass"),
        ("1", 0, "kg", "1 kg"),
        ("1", 0, "hours", "1 hour"),
    ],
)
def test_counting_words_agree_with_the_number_shown(value, places, unit, text):
    assert quantity(Decimal(value), unit, places) == text


def test_unit_label_leaves_words_that_are_not_plurals():
    assert [unit_label("1", unit) for unit in ("bus", "kg", "h", "glass of water")] == [
        "bus",
        "kg",
        "h",
        "glass of water",
    ]
