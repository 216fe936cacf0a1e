"""The goal form: common fields plus the fields the chosen kind uses.

Every error comes back in one round: the form asks the chosen kind for its rules as
well as checking each field, so a person never fixes one thing only to be told of the
next. The focus goes to the first field that needs another look."""

from dataclasses import dataclass

from django import forms
from django.utils import timezone
from pydantic import ValidationError

from config.forms import apply_validation_error
from measurements.selectors import metrics_for_owner

from . import kinds
from .choices import Aggregation, Comparison, Period
from .contracts import GoalFields, NewMetric
from .kinds.base import COMMON_FIELDS

NUMBER = {"step": "any", "inputmode": "decimal"}
DATE = {"type": "date"}

#: Where the kind's own fields sit among the others, as the form shows them.
SHOWN_BEFORE_KIND = ("title", "kind")
SHOWN_AFTER_KIND = ("metric", "new_metric_name", "new_metric_unit", "start_date", "aggregation")


@dataclass(frozen=True)
class ErrorItem:
    """One line of the error summary: a field's label and error, linking to it."""

    field_id: str
    label: str
    message: str


class GoalForm(forms.Form):
    title = forms.CharField(max_length=120)
    kind = forms.ChoiceField(choices=kinds.choices)
    metric = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="A new metric…", label="Metric"
    )
    new_metric_name = forms.CharField(
        max_length=80, required=False, label="New metric name", help_text="e.g. Weight"
    )
    new_metric_unit = forms.CharField(
        max_length=24, required=False, label="Its unit", help_text="e.g. kg, km, workouts"
    )
    start_date = forms.DateField(widget=forms.DateInput(attrs=DATE))
    start_value = forms.DecimalField(
        required=False, label="Start value", widget=forms.NumberInput(attrs=NUMBER)
    )
    target = forms.DecimalField(required=False, widget=forms.NumberInput(attrs=NUMBER))
    target_low = forms.DecimalField(
        required=False, label="Low bound", widget=forms.NumberInput(attrs=NUMBER)
    )
    target_high = forms.DecimalField(
        required=False, label="High bound", widget=forms.NumberInput(attrs=NUMBER)
    )
    deadline = forms.DateField(
        required=False, label="Deadline / end date", widget=forms.DateInput(attrs=DATE)
    )
    period = forms.ChoiceField(choices=[("", "—"), *Period.choices], required=False)
    comparison = forms.ChoiceField(
        choices=[("", "—"), *Comparison.choices], required=False, label="Each period"
    )
    aggregation = forms.ChoiceField(
        choices=Aggregation.choices,
        label="A day's value is its",
        help_text="How several measurements on one day become the day's value.",
    )
    period_aggregation = forms.ChoiceField(
        choices=[
            (key, label) for key, label in Aggregation.choices if key in {"mean", "last", "sum"}
        ],
        label="A period's value is its",
        required=False,
    )
    required_share = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=100,
        label="Periods to meet (%)",
        help_text="100 asks for every period; 71 is at least 5 of 7 nights. Empty: 100.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "step": 1}),
    )

    def __init__(self, *args, owner_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].queryset = metrics_for_owner(owner_id=owner_id)

    @property
    def chosen_kind(self) -> kinds.GoalKind:
        key = self.data.get("kind") if self.is_bound else self.initial.get("kind")
        return kinds.get(key or "") or kinds.all_kinds()[0]

    def kind_fields(self) -> list[forms.BoundField]:
        """The bound fields the chosen kind uses, in the form's order."""
        wanted = set(self.chosen_kind.fields)
        return [self[name] for name in self.fields if name in wanted]

    def shown_names(self) -> list[str]:
        """The field names in the order the form shows them."""
        kind_names = [bound.name for bound in self.kind_fields()]
        return [*SHOWN_BEFORE_KIND, *kind_names, *SHOWN_AFTER_KIND]

    def first_invalid(self) -> str | None:
        return next((name for name in self.shown_names() if name in self.errors), None)

    def error_summary(self) -> list[ErrorItem]:
        """Every error, the form's own first, then the fields' in the order shown."""
        items = [ErrorItem("", "", message) for message in self.non_field_errors()]
        for name in self.shown_names():
            for message in self.errors.get(name, ()):
                bound = self[name]
                items.append(ErrorItem(bound.auto_id, str(bound.label), message))
        return items

    def focus(self, fallback: str = "title") -> str:
        """Put the focus (`autofocus`) on the first field with an error, else on
        `fallback`; the name chosen is returned."""
        name = self.first_invalid() or fallback
        self.fields[name].widget.attrs["autofocus"] = True
        return name

    def first_to_fill(self) -> str:
        """The first field the chosen kind needs that has no value yet (where a goal
        started from a template asks for the person's own numbers), else the title."""
        for name in self.chosen_kind.required:
            if self.initial.get(name) in (None, ""):
                return name
        return "title"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("metric") is None:
            for name in ("new_metric_name", "new_metric_unit"):
                if not (cleaned.get(name) or "").strip() and name not in self.errors:
                    self.add_error(name, "Name the new metric and its unit, or choose one.")
        self._check_kind(cleaned)
        return cleaned

    def _check_kind(self, cleaned: dict) -> None:
        """The chosen kind's rules, in the same round as the fields' own checks: the
        fields it requires, and the rules between the fields that have a value (a
        kind's rules pass over a field left empty, or one already in error). The
        orchestrator checks the same rules again for every other channel."""
        kind = self.chosen_kind
        for name in kind.required:
            if cleaned.get(name) in (None, "") and name not in self.errors:
                self.add_error(name, "This field is required.")
        if self.errors.keys() & {"kind", "start_date", "aggregation"}:
            return
        try:
            # A missing title is already reported; the kind's rules do not read it.
            fields = self._fields_from(cleaned, title=cleaned.get("title") or "-")
        except ValidationError as exc:
            apply_validation_error(self, exc)
            return
        for error in kind.validate(fields):
            name = error.field if error.field in self.fields else None
            if name is None or name not in self.errors:
                self.add_error(name, error.message)

    def _fields_from(self, data: dict, *, title: str) -> GoalFields:
        kind = self.chosen_kind
        used = {name: data.get(name) for name in kind.fields}
        used = {name: None if value in ("", None) else value for name, value in used.items()}
        if used.get("required_share", 0) is None:
            del used["required_share"]
        common = {name: data[name] for name in COMMON_FIELDS if name != "title"}
        return GoalFields(title=title, **common, kind=kind.key, **used)

    def goal_fields(self) -> GoalFields:
        return self._fields_from(self.cleaned_data, title=self.cleaned_data["title"])

    def metric_choice(self) -> tuple[int | None, NewMetric | None]:
        metric = self.cleaned_data.get("metric")
        if metric is not None:
            return metric.id, None
        return None, NewMetric(
            name=self.cleaned_data["new_metric_name"].strip(),
            unit=self.cleaned_data["new_metric_unit"].strip(),
        )


def initial_for_new_goal(kind_key: str | None, zone) -> dict:
    """A blank goal of the kind asked for: it starts today, and where the kind has
    periods they are weeks, to be met at least."""
    kind = kinds.get(kind_key or "") or kinds.all_kinds()[0]
    return {
        "kind": kind.key,
        "start_date": timezone.localdate(timezone=zone),
        "aggregation": kind.default_aggregation,
        "period": "week",
        "comparison": "at_least",
        "period_aggregation": "mean",
        "required_share": 100,
    }


def initial_for_goal(goal) -> dict:
    return {
        "title": goal.title,
        "kind": goal.kind,
        "metric": goal.metric_id,
        "start_date": goal.start_date,
        "start_value": goal.start_value,
        "target": goal.target,
        "target_low": goal.target_low,
        "target_high": goal.target_high,
        "deadline": goal.deadline,
        "period": goal.period,
        "comparison": goal.comparison,
        "aggregation": goal.aggregation,
        "period_aggregation": goal.period_aggregation,
        "required_share": goal.required_share,
    }


class GoalTitleForm(forms.Form):
    """The one field of renaming a goal in place."""

    title = forms.CharField(
        max_length=120,
        error_messages={"required": "Give the goal a title."},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
