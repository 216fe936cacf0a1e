import zoneinfo
from functools import partial

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm
from django.db import transaction

from .contracts import EMAIL_MAX_LENGTH
from .models import Weekday
from .tasks import enqueue_password_reset

EMAIL_HELP = (
    "For resetting a forgotten password, and for notifications if you turn them on. "
    "We mail it a link to confirm it is yours."
)


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class SignUpForm(UserCreationForm):
    time_zone = forms.ChoiceField(
        choices=time_zone_choices,
        initial=settings.TIME_ZONE,
        help_text="Days, weeks and deadlines are cut in this zone.",
    )
    email = forms.EmailField(
        label="Email address (optional)",
        required=False,
        max_length=EMAIL_MAX_LENGTH,
        help_text=EMAIL_HELP,
    )

    field_order = ["username", "email", "password1", "password2", "time_zone"]

    class Meta(UserCreationForm.Meta):
        fields = ("username",)


class PreferencesForm(forms.Form):
    time_zone = forms.ChoiceField(choices=time_zone_choices)
    week_start = forms.TypedChoiceField(choices=Weekday.choices, coerce=int, label="Weeks start on")


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
