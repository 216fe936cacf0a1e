import zoneinfo

from django import forms
from django.conf import settings
from django.contrib.auth.forms import UserCreationForm

from .models import Weekday


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class SignUpForm(UserCreationForm):
    time_zone = forms.ChoiceField(
        choices=time_zone_choices,
        initial=settings.TIME_ZONE,
        help_text="Days, weeks and deadlines are cut in this zone.",
    )

    class Meta(UserCreationForm.Meta):
        fields = ("username",)


class PreferencesForm(forms.Form):
    time_zone = forms.ChoiceField(choices=time_zone_choices)
    week_start = forms.TypedChoiceField(choices=Weekday.choices, coerce=int, label="Weeks start on")


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=80, help_text="What will use it: “Phone shortcut”, “Scale sync script”."
    )
