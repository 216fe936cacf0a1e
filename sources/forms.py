"""The forms of the Sources page. Each provider names its own form (a `SourceForm`,
`Provider.form_class`), which turns what a person typed into the provider's settings,
so the page and its views draw and read any provider's form the same way."""

from django import forms

from accounts.forms import time_zone_choices
from measurements.selectors import metrics_for_owner

FIELD_LABELS = {
    "value_column": "Value column",
    "time_column": "Time column",
    "unit_column": "Unit column (optional)",
    "note_column": "Note column (optional)",
    "external_id_column": "Row id column (optional)",
}
REQUIRED = ("value_column", "time_column")


class SourceForm(forms.Form):
    """Asks for a new source of one provider. `time_zone` is the person's own, for
    providers that cut days."""

    def __init__(self, *args, owner, time_zone: str = "UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.time_zone = time_zone
        if "metric" in self.fields:
            self.fields["metric"].queryset = metrics_for_owner(owner_id=owner.id)

    def source_name(self) -> str:
        return self.cleaned_data["name"]

    def settings(self) -> dict:
        """The provider's settings, as its settings model reads them."""
        return {"metric_id": self.cleaned_data["metric"].id}

    def every_minutes(self) -> int | None:
        return self.cleaned_data.get("every_minutes")

    def upload(self):
        """The uploaded file, for a provider that imports files."""
        return self.cleaned_data.get("file")


class UploadForm(SourceForm):
    """A form with a `file` that the upload cap (`sources.uploads`) may refuse before
    the form sees it."""

    def refused(self, message: str) -> "UploadForm":
        """This form, saying only why its file was refused: the rest of the request
        was never read, so what it would say of the other fields is moot."""
        self.errors.clear()
        self.add_error("file", message)
        return self


class CsvUploadForm(UploadForm):
    prefix = "csv"
    file = forms.FileField(label="CSV file", help_text="Exported from a spreadsheet or an app.")
    metric = forms.ModelChoiceField(queryset=None, label="Into the metric")

    def source_name(self) -> str:
        return self.cleaned_data["file"].name[:80]


class CsvMappingForm(forms.Form):
    """Which column is which, and how to read times and values without their own unit."""

    unit = forms.CharField(
        required=False,
        max_length=24,
        label="Unit of the values",
        help_text="When the file has no unit column and its values are not in the "
        "metric's unit (lb, mi…).",
    )
    time_zone = forms.ChoiceField(
        choices=time_zone_choices,
        label="Time zone",
        help_text="For times written without an offset; yours unless the file was "
        "written elsewhere.",
    )
    day_first = forms.BooleanField(required=False, label="Dates are day first (31/12/2026)")

    def __init__(self, *args, columns: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *((column, column) for column in columns)]
        for name, label in FIELD_LABELS.items():
            self.fields[name] = forms.ChoiceField(
                choices=choices, required=name in REQUIRED, label=label
            )
        self.order_fields([*FIELD_LABELS, "unit", "time_zone", "day_first"])


class WebhookForm(SourceForm):
    prefix = "hook"
    name = forms.CharField(max_length=80, help_text="Who will send: “Smart scale”.")
    metric = forms.ModelChoiceField(queryset=None, label="Into the metric")


class CalendarFeedForm(SourceForm):
    prefix = "feed"
    name = forms.CharField(max_length=80, help_text="“Gym sessions”.")
    url = forms.CharField(
        max_length=2000,
        label="Feed address",
        help_text="The calendar's secret iCal address (https:// or webcal://).",
    )
    metric = forms.ModelChoiceField(queryset=None, label="Into the metric")
    match = forms.CharField(
        max_length=200, required=False, help_text="Count events whose title contains this."
    )
    count = forms.ChoiceField(
        choices=[
            ("events", "Events per day"),
            ("hours", "Hours per day"),
            ("minutes", "Minutes per day"),
        ]
    )
    every_minutes = forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        required=False,
        label="Check",
        choices=[
            ("", "Only when I ask"),
            (60, "Every hour"),
            (360, "Every 6 hours"),
            (1440, "Daily"),
        ],
    )

    def settings(self) -> dict:
        data = self.cleaned_data
        return {
            "url": data["url"],
            "metric_id": data["metric"].id,
            "match": data["match"],
            "count": data["count"],
            "time_zone": self.time_zone,
        }


class AppleHealthForm(UploadForm):
    """An export from the Health app, and which metric each kind of record feeds."""

    prefix = "apple"

    file = forms.FileField(
        label="export.zip or export.xml",
        help_text="In the Health app: your picture, then Export All Health Data.",
    )
    STREAMS = {
        "body_mass": "Body weight",
        "steps": "Steps",
        "walking_running_distance": "Walking + running distance",
        "active_energy": "Active energy",
        "sleep": "Sleep (hours asleep)",
    }

    DEVICES = {
        "one": "One device a day (recommended)",
        "all": "All devices added up",
        "named": "Only the device named below",
    }

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, owner=owner, **kwargs)
        for stream, label in self.STREAMS.items():
            self.fields[stream] = forms.ModelChoiceField(
                queryset=metrics_for_owner(owner_id=owner.id),
                required=False,
                label=label,
                empty_label="— skip —",
            )
        self.fields["devices"] = forms.ChoiceField(
            choices=self.DEVICES.items(),
            initial="one",
            required=False,
            label="Devices",
            help_text="An iPhone and an Apple Watch worn together count the same steps. "
            "With one device a day, each day's steps, distance and energy come from one "
            "device: the one that recorded most that day (the Watch when they tie). "
            "Sleep is one value a night, dated on the morning you woke, counting "
            "time asleep (not in bed or awake); where two devices overlap, the Watch counts.",
        )
        self.fields["device"] = forms.CharField(
            required=False,
            max_length=200,
            label="Device name (optional)",
            help_text="As the Health app names it, such as “Anna's Apple Watch” (Health → "
            "Steps → Data Sources & Access).",
        )

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(stream) for stream in self.STREAMS):
            raise forms.ValidationError("Choose a metric for at least one kind of record.")
        if cleaned.get("devices") == "named" and not cleaned.get("device"):
            self.add_error("device", "Name the device to read, or choose another option.")
        return cleaned

    def metrics(self) -> dict[str, int]:
        return {s: self.cleaned_data[s].id for s in self.STREAMS if self.cleaned_data.get(s)}

    def source_name(self) -> str:
        return f"Apple Health: {self.cleaned_data['file'].name}"[:80]

    def settings(self) -> dict:
        """The provider's settings: the metrics, and which devices to read."""
        devices = self.cleaned_data.get("devices") or "one"
        if devices == "named":
            return {"metrics": self.metrics(), "sources": [self.cleaned_data["device"]]}
        return {"metrics": self.metrics(), "devices": devices}


class SourceNameForm(forms.Form):
    """Renaming a source."""

    name = forms.CharField(
        max_length=80,
        label="Name",
        error_messages={"required": "Give the source a name."},
    )


class SourceDeleteForm(forms.Form):
    """Deleting a source: what becomes of the measurements it brought."""

    measurements = forms.ChoiceField(
        label="Its measurements",
        widget=forms.RadioSelect,
        choices=[
            ("keep", "Keep them"),
            ("delete", "Delete them too"),
        ],
        initial="keep",
        error_messages={"required": "Choose whether to keep its measurements."},
    )
