"""Why a row was rejected, in words a person reads: pydantic's own texts ("Input
should be a valid decimal") become sentences about the row's value, time, unit, note
or id. Messages written for people already (a time we cannot read, a value too
large to store, a duplicate) are kept as they are."""

import re

#: What each field of an imported row is called in a sentence.
FIELD_WORDS = {
    "value": "value",
    "measured_at": "time",
    "unit": "unit",
    "note": "note",
    "external_id": "row id",
    "metric_id": "metric",
}

_AT_MOST = re.compile(r"at most (\d+) characters?")


def _subject(field: str) -> str:
    name = field.rsplit(".", 1)[-1]
    return FIELD_WORDS.get(name, name.replace("_", " "))


def rejection_reason(field: str, message: str, code: str = "", given: object = None) -> str:
    """One reason a row was rejected, as a sentence; `given` is what the row held,
    when it is known (a preview knows it; a finished run kept only the reasons)."""
    subject = _subject(field)
    code = code or ""
    if code == "missing":
        return f"The row has no {subject}."
    if code in {"extra_forbidden"}:
        return f"The row has a field we do not read: “{field}”."
    if code.startswith(("decimal", "float", "int")) or code == "finite_number":
        if isinstance(given, str) and given.strip():
            return f"The {subject} “{given.strip()[:40]}” is not a number."
        if given is not None and not str(given).strip():
            return f"The row has no {subject}."
        return f"The {subject} is not a number."
    if code.startswith(("datetime", "date", "timezone")):
        return f"The {subject} is not a date and time we can read."
    if code == "string_too_long":
        limit = _AT_MOST.search(message)
        if limit:
            return f"The {subject} is longer than {limit.group(1)} characters."
        return f"The {subject} is too long."
    if code.startswith("string"):
        return f"The {subject} is not text."
    if message.startswith(("Input should", "Value should", "Field required")):
        return f"The {subject} cannot be read."
    sentence = message.strip()
    return sentence if sentence.endswith((".", "?", "!")) else f"{sentence}."
