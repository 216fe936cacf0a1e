import datetime as dt

from django import forms
from django.utils import timezone

from config.numbers import MAX_PLACES, plain

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


class QuickEntryForm(forms.Form):
    """A value, in the metric's unit or another compatible one ("180 lb"), and
    optionally when and a note; the time defaults to now."""

    value = forms.CharField(max_length=60, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    measured_at = WallClockField(
        required=False,
        label="When",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    note = forms.CharField(max_length=500, required=False)
    submission_token = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, metric_unit: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.metric_unit = metric_unit

    def clean_value(self) -> Reading:
        """The reading, bounded to what can be stored as typed and as converted."""
        try:
            return read(self.cleaned_data["value"], self.metric_unit)
        except UnstorableValue as exc:
            raise forms.ValidationError(str(exc), code="out_of_range") from exc
        except UnitError as exc:
            raise forms.ValidationError(str(exc), code="unit") from exc


class MeasurementForm(QuickEntryForm):
    """Editing a measurement: the same value rules, and the time is required."""

    submission_token = None

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


class HistoryFilterForm(forms.Form):
    """The metric page's date range (days in the owner's zone, both included)."""

    start = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

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
