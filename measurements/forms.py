from django import forms

from .contracts import MAX_ABS_VALUE
from .units import Reading, UnitError, read

DATE = {"type": "date"}


class QuickEntryForm(forms.Form):
    """A value, in the metric's unit or another compatible one ("180 lb"), and
    optionally when and a note; the time defaults to now."""

    value = forms.CharField(max_length=60, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    measured_at = forms.DateTimeField(
        required=False,
        label="When",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    note = forms.CharField(max_length=500, required=False)

    def __init__(self, *args, metric_unit: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.metric_unit = metric_unit

    def clean_value(self) -> Reading:
        try:
            reading = read(self.cleaned_data["value"], self.metric_unit)
        except UnitError as exc:
            raise forms.ValidationError(str(exc), code="unit") from exc
        if abs(reading.value) > MAX_ABS_VALUE:
            raise forms.ValidationError("That number is too large to store.", code="max_value")
        return reading


class MetricForm(forms.Form):
    name = forms.CharField(max_length=80)
    unit = forms.CharField(max_length=24, help_text="kg, km, h, workouts, cups…")


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
