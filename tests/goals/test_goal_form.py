"""The new-goal form: the start screen and its templates, sensible defaults, every
error in one round, and the focus on the first field that needs another look."""

import calendar
import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from goals.models import Goal
from goals.presets import PRESETS
from tests.factories import MetricFactory

NEW = reverse("goals:create")


def _today(user) -> dt.date:
    return timezone.localdate(timezone=ZoneInfo(user.profile.time_zone))


def _input(body: str, name: str) -> str:
    """The HTML of the control named `name`."""
    found = re.search(rf'<(?:input|select)[^>]*name="{name}"[^>]*>', body)
    assert found, name
    return found.group(0)


def _selected(body: str, name: str) -> str:
    select = re.search(rf'<select[^>]*name="{name}".*?</select>', body, re.S).group(0)
    chosen = re.search(r'<option value="([^"]*)"[^>]*selected', select)
    return chosen.group(1) if chosen else re.search(r'<option value="([^"]*)"', select).group(1)


def _form_data(body: str) -> dict[str, str]:
    """What the browser would post for the goal form as shown."""
    form = re.search(r'<form method="post" class="goal-form".*?</form>', body, re.S).group(0)
    data = {}
    for control in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', control)
        value = re.search(r'value="([^"]*)"', control)
        if name:
            data[name.group(1)] = value.group(1) if value else ""
    for name in re.findall(r'<select[^>]*name="([^"]+)"', form):
        data[name] = _selected(form, name)
    return data


@pytest.mark.django_db
def test_the_start_screen_offers_each_template_as_a_link_and_a_blank_form(signed_in):
    body = signed_in.get(NEW).content.decode()
    for preset in PRESETS.values():
        assert f'href="{NEW}?template={preset.key}"' in body
        assert preset.label in body
    labels = [preset.label for preset in PRESETS.values()]
    assert labels == [
        "Lose weight by a date",
        "Run a distance this month",
        "Workouts a week",
        "Sleep within a range",
        "At most N a day",
    ]
    assert f'href="{NEW}?blank=1"' in body
    assert 'name="title"' not in body


@pytest.mark.django_db
def test_a_template_fills_the_form_and_focuses_the_first_number_to_give(signed_in, user):
    body = signed_in.get(NEW, {"template": "lose-weight"}).content.decode()
    today = _today(user)
    assert _selected(body, "kind") == "reach"
    assert 'value="Lose weight"' in _input(body, "title")
    assert 'value="Weight"' in _input(body, "new_metric_name")
    assert 'value="kg"' in _input(body, "new_metric_unit")
    assert f'value="{today.isoformat()}"' in _input(body, "start_date")
    deadline = today + dt.timedelta(weeks=12)
    assert f'value="{deadline.isoformat()}"' in _input(body, "deadline")
    # The person's own weight is what is missing: the focus goes there.
    assert "autofocus" in _input(body, "start_value")
    assert "autofocus" not in _input(body, "title")


@pytest.mark.django_db
def test_a_template_uses_the_persons_metric_of_that_name(signed_in, user):
    running = MetricFactory(owner=user, name="running distance", unit="km")
    body = signed_in.get(NEW, {"template": "run-distance"}).content.decode()
    assert _selected(body, "kind") == "total"
    assert _selected(body, "metric") == str(running.id)
    assert 'value="Running distance"' not in body
    today = _today(user)
    last = today.replace(day=calendar.monthrange(today.year, today.month)[1])
    assert f'value="{today.replace(day=1).isoformat()}"' in _input(body, "start_date")
    assert f'value="{last.isoformat()}"' in _input(body, "deadline")
    assert 'value="50"' in _input(body, "target")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("key", "kind", "fields"),
    [
        ("workouts-week", "quota", {"period": "week", "comparison": "at_least"}),
        ("sleep-range", "range", {"period": "day"}),
        ("at-most-a-day", "quota", {"period": "day", "comparison": "at_most"}),
    ],
)
def test_a_periodic_template_chooses_the_period_and_direction(signed_in, key, kind, fields):
    body = signed_in.get(NEW, {"template": key}).content.decode()
    assert _selected(body, "kind") == kind
    for name, value in fields.items():
        assert _selected(body, name) == value


@pytest.mark.django_db
@pytest.mark.parametrize("key", list(PRESETS))
def test_each_template_saves_as_it_comes_once_its_blanks_are_filled(signed_in, user, key):
    """What a template fills in is valid: posting it back (with a start value where the
    kind needs one) sets the goal."""
    body = signed_in.get(NEW, {"template": key}).content.decode()
    data = _form_data(body)
    if key == "lose-weight":
        data |= {"start_value": "82", "target": "75"}
    response = signed_in.post(NEW, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    goal = Goal.objects.get()
    assert goal.kind == PRESETS[key].kind


@pytest.mark.django_db
def test_the_blank_form_fills_the_period_fields(signed_in):
    body = signed_in.get(NEW, {"blank": "1"}).content.decode()
    assert _selected(body, "kind") == "quota"
    assert _selected(body, "period") == "week"
    assert _selected(body, "comparison") == "at_least"
    assert "autofocus" in _input(body, "title")


@pytest.mark.django_db
def test_every_error_comes_back_in_one_round(signed_in):
    """A missing title and metric (the fields' own checks) and a deadline before the
    start (the kind's rule) are all reported at once."""
    response = signed_in.post(
        NEW,
        {
            "title": "",
            "kind": "reach",
            "metric": "",
            "new_metric_name": "",
            "new_metric_unit": "kg",
            "start_date": "2026-11-01",
            "start_value": "82",
            "target": "82",
            "deadline": "2026-10-01",
            "aggregation": "last",
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "This field is required." in body
    assert "Name the new metric and its unit, or choose one." in body
    assert "The target must differ from the start value." in body
    assert "The deadline must come after the start date." in body
    assert not Goal.objects.exists()


@pytest.mark.django_db
def test_a_rule_between_fields_is_told_while_other_fields_are_still_empty(signed_in):
    response = signed_in.post(
        NEW,
        {
            "title": "Weigh 75 kg",
            "kind": "reach",
            "new_metric_name": "Weight",
            "new_metric_unit": "kg",
            "start_date": "2026-11-01",
            "start_value": "",
            "target": "many",
            "deadline": "2026-10-01",
            "aggregation": "last",
        },
    )
    body = response.content.decode()
    assert "The deadline must come after the start date." in body
    assert 'aria-invalid="true"' in _input(body, "start_value")
    assert "Enter a number." in body
    assert "autofocus" in _input(body, "start_value")


@pytest.mark.django_db
def test_a_kinds_required_fields_are_asked_for_with_the_rest(signed_in):
    response = signed_in.post(
        NEW,
        {
            "title": "",
            "kind": "range",
            "metric": "",
            "new_metric_name": "Sleep",
            "new_metric_unit": "h",
            "start_date": "2026-11-01",
            "period": "",
            "aggregation": "sum",
        },
    )
    body = response.content.decode()
    for name in ("title", "target_low", "target_high", "period"):
        assert 'aria-invalid="true"' in _input(body, name), name


@pytest.mark.django_db
def test_the_summary_links_each_error_and_the_first_bad_field_has_the_focus(signed_in):
    response = signed_in.post(
        NEW,
        {
            "title": "Weigh 75 kg",
            "kind": "reach",
            "metric": "",
            "new_metric_name": "",
            "new_metric_unit": "",
            "start_date": "2026-11-01",
            "start_value": "82",
            "target": "",
            "deadline": "2027-03-01",
            "aggregation": "last",
        },
    )
    body = response.content.decode()
    summary = re.search(r'<div class="error-summary" role="alert">.*?</div>', body, re.S).group(0)
    links = re.findall(r'<a href="#(id_\w+)">', summary)
    # In the order the form shows them: the kind's fields come before the metric.
    assert links == ["id_target", "id_new_metric_name", "id_new_metric_unit"]
    target = _input(body, "target")
    assert "autofocus" in target and 'aria-invalid="true"' in target
    assert 'aria-describedby="id_target_error"' in target
    assert 'id="id_target_error"' in body
    assert "autofocus" not in _input(body, "title")
    assert body.count("autofocus") == 1


@pytest.mark.django_db
def test_the_edit_form_has_no_start_screen(signed_in, user):
    from tests.factories import GoalFactory

    goal = GoalFactory(metric__owner=user)
    body = signed_in.get(reverse("goals:edit", args=[goal.id])).content.decode()
    assert 'name="title"' in body and "?template=" not in body


@pytest.mark.django_db
def test_a_kind_chosen_on_the_form_brings_its_daily_aggregation(signed_in):
    """With HTMX the kind's fields come back with the aggregation, out of band; without
    it the whole form does."""
    query = {"kind": "reach", "title": "Weigh less", "aggregation": "sum"}
    swapped = signed_in.get(NEW, query, headers={"HX-Request": "true", "HX-Target": "kind-fields"})
    body = swapped.content.decode()
    assert body.lstrip().startswith('<fieldset id="kind-fields"')
    oob = re.search(r'<div id="aggregation-field" hx-swap-oob="true">.*?</div>', body, re.S)
    assert _selected(oob.group(0), "aggregation") == "last"
    page = signed_in.get(NEW, query).content.decode()
    assert _selected(page, "aggregation") == "last"
    assert 'value="Weigh less"' in _input(page, "title")
