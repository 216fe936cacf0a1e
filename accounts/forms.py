from functools import partial

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm
from django.db import transaction

from .contracts import EMAIL_MAX_LENGTH
from .models import Weekday
from .tasks import enqueue_password_reset
from .time_zones import TimeZoneField, known_zones

EMAIL_HELP = (
    "For resetting a forgotten password, and for notifications if you turn them on. "
    "We mail it a link to confirm it is yours."
)


def time_zone_choices() -> list[tuple[str, str]]:
    """Every zone the system knows, sorted by name (a flat list; `TimeZoneField` is the
    grouped select people pick from)."""
    return [(name, name.replace("_", " ")) for name in sorted(known_zones())]


TIME_ZONE_HELP = "Days, weeks and deadlines are cut in this zone."


class SignUpForm(UserCreationForm):
    time_zone = TimeZoneField(initial=settings.TIME_ZONE, help_text=TIME_ZONE_HELP)
    email = forms.EmailField(
        label="Email address (optional)",
        required=False,
        max_length=EMAIL_MAX_LENGTH,
        help_text=EMAIL_HELP,
    )

    field_order = ["username", "email", "password1", "password2", "time_zone"]

    class Meta(UserCreationForm.Meta):
        fields = ("username",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            # A script preselects the zone the browser is in (static/js/time-zone.js).
            self.fields["time_zone"].widget.attrs["data-time-zone"] = "detect"


class PreferencesForm(forms.Form):
    time_zone = TimeZoneField()
    week_start = forms.TypedChoiceField(choices=Weekday.choices, coerce=int, label="Weeks start on")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["time_zone"]
        field.show_current(
            self.data.get("time_zone") if self.is_bound else self.initial.get("time_zone")
        )
        # A script offers the browser's zone when it differs (static/js/time-zone.js).
        field.widget.attrs["data-time-zone"] = "offer"


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=80, help_text="What will use it: “Phone shortcut”, “Scale sync script”."
    )


class EmailForm(forms.Form):
    email = forms.EmailField(
        label="Email address", max_length=EMAIL_MAX_LENGTH, help_text=EMAIL_HELP
    )


class QueuedPasswordResetForm(PasswordResetForm):
    """Django's reset form, whose mail a task sends: the page answers the same at once
    whether or not the address belongs to an account, and a mail server that is slow
    or down does not show. Only confirmed addresses (`User.email`) are looked up, so a
    reset link never goes to an address nobody proved they read."""

    email = forms.EmailField(
        label="Email address",
        max_length=EMAIL_MAX_LENGTH,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text="The address confirmed for your account.",
    )

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ) -> None:
        origin = f"{context['protocol']}://{context['domain']}"
        transaction.on_commit(partial(enqueue_password_reset, context["user"].pk, origin=origin))
