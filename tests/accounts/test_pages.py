"""The account pages with the test client: an API token made with post-redirect-get
(its secret shown once, a refresh makes nothing), and the grouped time zone select of
sign-up and Preferences."""

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.models import ApiToken, Profile
from accounts.views import NEW_TOKEN

pytestmark = pytest.mark.django_db

TOKENS = reverse("accounts:api_tokens")
SECRET = re.compile(r"gt_[A-Za-z0-9_-]{43}")


def test_a_new_token_is_made_by_a_post_that_redirects(signed_in, user):
    made = signed_in.post(TOKENS, {"name": "Scale"})
    assert made.status_code == 302 and made["Location"] == TOKENS
    assert ApiToken.objects.filter(user=user).count() == 1

    shown = signed_in.get(TOKENS)
    secrets = set(SECRET.findall(shown.text))
    assert len(secrets) == 1
    assert shown["Cache-Control"] == "no-store"
    assert 'data-copy="new-token"' in shown.text and "js/copy.js" in shown.text
    assert NEW_TOKEN not in signed_in.session

    refreshed = signed_in.get(TOKENS)
    assert not SECRET.search(refreshed.text)
    assert "Scale" in refreshed.text
    assert ApiToken.objects.filter(user=user).count() == 1


def test_a_refused_token_name_is_shown_on_the_form_and_makes_nothing(signed_in, user):
    response = signed_in.post(TOKENS, {"name": ""})
    assert response.status_code == 200
    assert 'class="field-error"' in response.text
    assert not ApiToken.objects.filter(user=user).exists()
    assert NEW_TOKEN not in signed_in.session


@dataclass
class Option:
    group: str | None
    value: str
    text: str = ""
    selected: bool = False


@dataclass
class Select:
    attrs: dict = field(default_factory=dict)
    options: list[Option] = field(default_factory=list)

    def groups(self) -> list[str]:
        return list(dict.fromkeys(o.group for o in self.options if o.group))

    def option(self, value: str) -> Option | None:
        return next((o for o in self.options if o.value == value), None)

    def in_group(self, group: str) -> list[Option]:
        return [o for o in self.options if o.group == group]


class _ZoneSelect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.select, self.inside, self.group, self.in_option = None, False, None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "select" and attrs.get("name") == "time_zone":
            self.select, self.inside = Select(attrs=attrs), True
        elif self.inside and tag == "optgroup":
            self.group = attrs["label"]
        elif self.inside and tag == "option":
            self.select.options.append(Option(self.group, attrs["value"], "", "selected" in attrs))
            self.in_option = True

    def handle_endtag(self, tag):
        if tag == "select":
            self.inside = False
        elif tag == "optgroup":
            self.group = None
        elif tag == "option":
            self.in_option = False

    def handle_data(self, data):
        if self.in_option:
            self.select.options[-1].text += data


def zone_select(html: str) -> Select:
    parser = _ZoneSelect()
    parser.feed(html)
    return parser.select


def test_sign_up_offers_zones_grouped_and_sorted_with_utc_first(client):
    select = zone_select(client.get(reverse("accounts:signup")).text)
    assert select.attrs["data-time-zone"] == "detect"
    first = select.options[0]
    assert (first.value, first.group, first.selected) == ("UTC", None, True)
    groups = select.groups()
    assert groups == sorted(groups) and {"Europe", "America", "Asia"} <= set(groups)
    places = [option.text for option in select.in_group("Europe")]
    assert places == sorted(places)
    assert re.fullmatch(r"Berlin \(UTC\+[12]\)", select.option("Europe/Berlin").text)
    assert select.option("America/Argentina/Buenos_Aires").text.startswith(
        "Argentina / Buenos Aires"
    )
    assert select.option("US/Pacific") is None, "old aliases are not listed"


def test_sign_up_keeps_the_chosen_zone_when_the_form_comes_back(client):
    response = client.post(
        reverse("accounts:signup"),
        {"username": "ada", "password1": "x", "password2": "y", "time_zone": "Asia/Tokyo"},
    )
    select = zone_select(response.text)
    assert select.option("Asia/Tokyo").selected
    assert "data-time-zone" not in select.attrs, "the script leaves a choice made alone"


@pytest.mark.parametrize("zone", ["America/Toronto", "Asia/Calcutta"])
def test_sign_up_stores_the_zone_the_browser_reports(client, zone):
    response = client.post(
        reverse("accounts:signup"),
        {
            "username": "ada",
            "password1": "a-long-passphrase-42",
            "password2": "a-long-passphrase-42",
            "time_zone": zone,
        },
    )
    assert response.status_code == 302
    assert get_user_model().objects.get(username="ada").profile.time_zone == zone


def test_preferences_show_a_saved_zone_that_is_not_listed(signed_in, user):
    Profile.objects.filter(user=user).update(time_zone="US/Pacific")
    select = zone_select(signed_in.get(reverse("accounts:preferences")).text)
    assert select.attrs["data-time-zone"] == "offer"
    saved = select.option("US/Pacific")
    assert saved.group == "Other" and saved.selected

    response = signed_in.post(
        reverse("accounts:preferences"), {"time_zone": "US/Pacific", "week_start": "0"}
    )
    assert response.status_code == 302


def test_preferences_select_the_saved_zone(signed_in):
    select = zone_select(signed_in.get(reverse("accounts:preferences")).text)
    assert select.option("Europe/Berlin").selected
    assert "Other" not in select.groups()


def test_a_field_with_two_errors_has_one_error_element_its_input_points_to(client):
    """ "abc" is too short and too common: both reasons, under one id, so the input's
    aria-describedby names one element and the page has no id twice."""
    page = client.post(
        reverse("accounts:signup"),
        {"username": "newcomer", "password1": "abc", "password2": "abc", "time_zone": "UTC"},
    )
    assert page.status_code == 200
    errors = re.findall(r'<p class="field-error" id="(id_password2_error)">([^<]*)</p>', page.text)
    assert len(errors) == 1
    assert "too short" in errors[0][1] and "too common" in errors[0][1]
    assert page.text.count('id="id_password2_error"') == 1
    (described,) = re.findall(r'aria-describedby="([^"]*)" id="id_password2"', page.text)
    assert "id_password2_error" in described.split()
