from django import forms

from .choices import ChannelChoice, NoticeKind
from .policy import EMAIL_ONLY, choice_for

TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
EMAIL_ONLY_CHOICES = [(ChannelChoice.OFF, "Off"), (ChannelChoice.EMAIL, "Email")]
KIND_HELP = {
    NoticeKind.FELL_BEHIND: "As soon as a recorded value puts a goal behind.",
    NoticeKind.ACHIEVED: "As soon as a goal reaches its target.",
    NoticeKind.DAILY_REMINDER: "At your reminder time: what each goal needs today, if any.",
    NoticeKind.DEADLINE: "The last days before a deadline or period end, more often as it nears.",
    NoticeKind.WEEKLY_SUMMARY: "On the first day of your week: each goal's week, with a table.",
}


def kind_field(kind: str) -> str:
    return f"kind_{kind}"


class NotificationSettingsForm(forms.Form):
    reminder_time = forms.TimeField(
        widget=TIME_INPUT,
        label="Reminder time",
        help_text="Today's reminder and the deadline warnings start then, in your time zone.",
    )
    quiet_start = forms.TimeField(
        widget=TIME_INPUT,
        required=False,
        label="Quiet from",
        help_text="Leave both empty for none.",
    )
    quiet_end = forms.TimeField(widget=TIME_INPUT, required=False, label="Quiet until")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for kind in NoticeKind:
            self.fields[kind_field(kind)] = forms.ChoiceField(
                label=kind.label,
                choices=EMAIL_ONLY_CHOICES if kind in EMAIL_ONLY else ChannelChoice.choices,
                help_text=KIND_HELP[kind],
            )

    @classmethod
    def initial_from(cls, current) -> dict:
        initial = {
            "reminder_time": current.reminder_time,
            "quiet_start": current.quiet_start,
            "quiet_end": current.quiet_end,
        }
        for kind in NoticeKind:
            initial[kind_field(kind)] = choice_for(kind, current.channels)
        return initial

    def clean(self):
        data = super().clean()
        if bool(data.get("quiet_start")) != bool(data.get("quiet_end")):
            self.add_error("quiet_end", "Give quiet hours both a start and an end, or neither.")
        return data

    @property
    def channels(self) -> dict[str, str]:
        return {kind: self.cleaned_data[kind_field(kind)] for kind in NoticeKind}


SNOOZE_DAYS = [(1, "For today"), (3, "For 3 days"), (7, "For a week")]


class SnoozeForm(forms.Form):
    #: 0 wakes the goal's reminders.
    days = forms.TypedChoiceField(choices=[(0, "Wake"), *SNOOZE_DAYS], coerce=int)
