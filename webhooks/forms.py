from django import forms

from events.types import PUBLIC

from .contracts import MAX_DESCRIPTION, MAX_URL


class EndpointForm(forms.Form):
    """An endpoint's address, what it is for, and the events it is sent. The address
    is checked by the command (`contracts.web_address`), as the API's is."""

    url = forms.CharField(
        max_length=MAX_URL,
        label="Receiver URL",
        help_text="Where each event is POSTed, such as https://hooks.example.com/goaltrack.",
        widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "off"}),
    )
    description = forms.CharField(
        max_length=MAX_DESCRIPTION,
        required=False,
        help_text="For you: “Home dashboard”, “Zapier”.",
    )
    event_types = forms.MultipleChoiceField(
        choices=[(name, name) for name in PUBLIC],
        widget=forms.CheckboxSelectMultiple,
        label="Events to send",
        error_messages={"required": "Choose at least one event type."},
    )

    def event_choices(self):
        """Each event type's checkbox with what the event means."""
        return [(box, PUBLIC[box.data["value"]]) for box in self["event_types"]]
