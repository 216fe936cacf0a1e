from django import forms

from .contracts import MAX_ABS_VALUE


class QuickEntryForm(forms.Form):
    """A value, and optionally when and a note; the time defaults to now."""

    value = forms.DecimalField(
        max_digits=18,
        decimal_places=6,
        max_value=MAX_ABS_VALUE,
        min_value=-MAX_ABS_VALUE,
        widget=forms.NumberInput(
            attrs={"step": "any", "inputmode": "decimal", "autocomplete": "off"}
        ),
    )
    measured_at = forms.DateTimeField(
        required=False,
        label="When",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    note = forms.CharField(max_length=500, required=False)


class MetricForm(forms.Form):
    name = forms.CharField(max_length=80)
    unit = forms.CharField(max_length=24, help_text="kg, km, h, workouts, cups…")
