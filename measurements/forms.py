import datetime as dt

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone

from config.numbers import MAX_PLACES, plain

from .contracts import EARLIEST
from .units import Reading, UnitError, UnstorableValue, read

DATE = {"type": "date"}


class WallClockField(forms.DateTimeField):
    """A time as read on a clock in the owner's zone. In the hour that repeats when the
    clocks go back it means the first of the two; a time the clocks skip when they go
    forward is refused in plain words."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError as exc:
            if exc.code != "ambiguous_timezone":
                raise
        naive = dt.datetime.fromisoformat(str(value).strip())
        zone = timezone.get_current_timezone()
        moment = naive.replace(tzinfo=zone)
        if moment.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != naive:
            raise forms.ValidationError(
                "That time does not exist here: the clocks skipped it.", code="imaginary"
            )
        return moment


def wall_minute(moment: dt.datetime) -> dt.datetime:
    """The minute a clock in the current zone shows at `moment`."""
    local = timezone.localtime(moment)
    return local.replace(tzinfo=None, fold=0, second=0, microsecond=0)


#: How far past the clock a day and time typed on quick entry may be: a clock that
#: runs a little fast. (Other channels allow `executors.FUTURE_TOLERANCE`.)
ENTRY_FUTURE_TOLERANCE = dt.timedelta(minutes=5)


def local_moment(day: dt.date, time: dt.time, zone, *, typed: bool = True) -> dt.datetime:
    """`day` at `time` on a clock in `zone`. In the hour that repeats when the clocks
    go back it is the first of the two. A typed time the clocks skip is refused; the
    present time carried to another day (`typed=False`) moves past the gap instead."""
    naive = dt.datetime.combine(day, time.replace(tzinfo=None))
    moment = naive.replace(tzinfo=zone)
    if typed and moment.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None) != naive:
        raise forms.ValidationError(
            "That time does not exist here: the clocks skipped it.", code="imaginary"
        )
    return moment.astimezone(dt.UTC).astimezone(zone)


class QuickEntryForm(forms.Form):
    """A value, in the metric's unit or another compatible one ("180 lb", "7h 30min"),
    and optionally when and a note.

    When: now, unless a day or a time (or both) is given, or "yesterday" (a button:
    the day before today in the owner's zone). A day without a time takes the time it
    is now; a time without a day is today. Later than now is refused. `measured_at`
    takes a whole moment at once, for what posts one.

    A value far from the metric's recent ones is recorded once the person confirms it
    (`confirm` carries the value the question was about); until then `warning` holds
    the question."""

    value = forms.CharField(
        max_length=60,
        error_messages={"required": "Enter a value to record."},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    measured_at = WallClockField(
        required=False,
        label="When",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    day = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    time = forms.TimeField(
        required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    yesterday = forms.BooleanField(required=False)
    confirm = forms.CharField(max_length=60, required=False)
    note = forms.CharField(max_length=500, required=False)
    submission_token = forms.UUIDField(required=False, widget=forms.HiddenInput)

    #: The question to ask before recording an implausible value (see the class).
    warning: str | None = None

    def __init__(self, *args, metric_unit: str = "", now: dt.datetime | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.metric_unit = metric_unit
        #: The present, which "yesterday", "today" and "not yet" are counted from.
        self.now = now or timezone.now()

    def clean_value(self) -> Reading:
        """The reading, bounded to what can be stored as typed and as converted."""
        try:
            return read(self.cleaned_data["value"], self.metric_unit)
        except UnstorableValue as exc:
            raise forms.ValidationError(str(exc), code="out_of_range") from exc
        except UnitError as exc:
            raise forms.ValidationError(str(exc), code="unit") from exc

    def clean(self):
        cleaned = super().clean()
        if self.is_dated and not self.has_error("measured_at"):
            try:
                cleaned["measured_at"] = self._dated_moment(cleaned)
            except forms.ValidationError as exc:
                typed_time = exc.code != "future_day" and cleaned.get("time") is not None
                self.add_error("time" if typed_time else "day", exc)
        return cleaned

    @property
    def is_dated(self) -> bool:
        """The person said when (a day, a time or yesterday) rather than now."""
        data = self.data if self.is_bound else {}
        return any(str(data.get(name, "")).strip() for name in ("day", "time", "yesterday"))

    @property
    def is_timed(self) -> bool:
        """Recorded at a moment the person gave, not at the present one."""
        data = self.data if self.is_bound else {}
        return self.is_dated or bool(str(data.get("measured_at", "")).strip())

    def _dated_moment(self, cleaned) -> dt.datetime | None:
        if "day" not in cleaned or "time" not in cleaned:
            return None  # their own errors say why
        zone = timezone.get_current_timezone()
        now = timezone.localtime(self.now, zone)
        day = cleaned["day"] or now.date()
        if cleaned.get("yesterday"):
            day = now.date() - dt.timedelta(days=1)
        if day > now.date():
            raise forms.ValidationError("That day has not come yet.", code="future_day")
        typed = cleaned["time"] is not None
        moment = local_moment(day, cleaned["time"] or now.time(), zone, typed=typed)
        if moment > now + ENTRY_FUTURE_TOLERANCE:
            raise forms.ValidationError(
                f"That time has not come yet: it is {now:%H:%M} now.", code="future"
            )
        return moment

    @property
    def shown_day(self) -> str:
        """The day the form shows again after an error or a question: the one typed,
        or yesterday's date when that button sent it (so a second submit, a
        confirmation, keeps it)."""
        if not self.is_bound:
            return ""
        if self.data.get("yesterday"):
            today = timezone.localdate(self.now)
            return (today - dt.timedelta(days=1)).isoformat()
        return self.data.get("day", "")

    @property
    def when_open(self) -> bool:
        """Show the day and time again: they were given, or are wrong."""
        return self.is_bound and (self.is_dated or self.has_error("day") or self.has_error("time"))

    @property
    def value_invalid(self) -> bool:
        """Something is wrong other than the day or the time: it is shown at the value."""
        return bool(set(self.errors) - {"day", "time"}) if self.is_bound else False

    @property
    def focus(self) -> str | None:
        """The control to put the cursor in when the form comes back: the first field
        in the wrong, else the button that answers the question; None when fresh."""
        if not self.is_bound:
            return None
        if self.value_invalid:
            return "value"
        for name in ("day", "time"):
            if name in self.errors:
                return name
        return "confirm" if self.warning else None

    @property
    def is_confirmed(self) -> bool:
        """The person answered the question about this very value: record it."""
        typed = self.data.get("value", "").strip() if self.is_bound else ""
        return bool(typed) and self.data.get("confirm", "").strip() == typed


class MeasurementForm(QuickEntryForm):
    """Editing a measurement: the same value rules, and the time is required."""

    submission_token = None
    day = time = yesterday = confirm = None

    def __init__(self, *args, measurement, **kwargs):
        kwargs.setdefault("initial", self.initial_for(measurement))
        super().__init__(*args, metric_unit=measurement.metric.unit, **kwargs)
        self.measurement = measurement
        self.fields["measured_at"].required = True
        self.fields["value"].label = "Value"
        self.fields[
            "value"
        ].help_text = f"In {measurement.metric.unit}, or another unit it converts from."
        self.fields["value"].widget.attrs["autofocus"] = True

    @staticmethod
    def initial_for(measurement) -> dict:
        return {
            "value": measurement.as_entered or plain(measurement.value),
            "measured_at": timezone.localtime(measurement.measured_at),
            "note": measurement.note,
        }

    def clean_measured_at(self):
        """The input shows the minute on the owner's clock: an unchanged minute keeps
        the stored time, seconds and all (and which of a repeated hour it was)."""
        entered = self.cleaned_data["measured_at"]
        stored = self.measurement.measured_at
        if entered is not None and wall_minute(entered) == wall_minute(stored):
            return stored
        return entered


class MetricForm(forms.Form):
    name = forms.CharField(max_length=80)
    unit = forms.CharField(max_length=24, help_text="kg, km, h, workouts, cups…")
    display_places = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_PLACES,
        label="Decimals shown",
        help_text="0 to 6. Leave empty to use as many as your first value has (at most 2).",
    )


#: The days a history range may name: measurements start in 1900 (`EARLIEST`), and a
#: day near year 9999 has no moment after it to end the range at.
FIRST_HISTORY_DAY = EARLIEST.date()
LAST_HISTORY_DAY = dt.date(2999, 12, 31)


def _history_day(label: str) -> forms.DateField:
    return forms.DateField(
        required=False,
        label=label,
        widget=forms.DateInput(
            attrs={"type": "date", "min": f"{FIRST_HISTORY_DAY}", "max": f"{LAST_HISTORY_DAY}"}
        ),
        validators=[
            MinValueValidator(FIRST_HISTORY_DAY, "Pick a day from 1 January 1900 on."),
            MaxValueValidator(LAST_HISTORY_DAY, "Pick a day before the year 3000."),
        ],
    )


class HistoryFilterForm(forms.Form):
    """The metric page's date range (days in the owner's zone, both included)."""

    start = _history_day("From")
    end = _history_day("To")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["start"] > cleaned["end"]:
            self.add_error("end", "The end comes before the start.")
        return cleaned

    def moments(self, zone) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The range as [since, until): from the start of the first day to the start of
        the day after the last, in `zone`; None where open (or the range is invalid)."""
        if not self.is_valid():
            return None, None
        start, end = self.cleaned_data["start"], self.cleaned_data["end"]
        since = dt.datetime.combine(start, dt.time.min, tzinfo=zone) if start else None
        until = (
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
            if end
            else None
        )
        return since, until
