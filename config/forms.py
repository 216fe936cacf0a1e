"""Putting an envelope's field errors back on the Django form that produced them."""

from django import forms
from pydantic import ValidationError

from .envelope import ErrorDetail


def apply_error(form: forms.BaseForm, error: ErrorDetail) -> None:
    placed = False
    for field_error in error.fields:
        name = field_error.field if field_error.field in form.fields else None
        form.add_error(name, field_error.message)
        placed = True
    if not placed:
        form.add_error(None, error.message)


def apply_validation_error(
    form: forms.BaseForm, exc: ValidationError, aliases: dict[str, str] | None = None
) -> None:
    """Show a pydantic error on the form field it concerns, in plain words."""
    aliases = aliases or {}
    for item in exc.errors():
        location = [str(part) for part in item["loc"] if not isinstance(part, int)]
        name = next(
            (aliases.get(p, p) for p in reversed(location) if aliases.get(p, p) in form.fields),
            None,
        )
        message = item["msg"].removeprefix("Value error, ")
        form.add_error(name, message)
