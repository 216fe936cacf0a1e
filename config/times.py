"""Times as they leave the server in JSON (the API, events, webhooks)."""

import datetime as dt


def exact_time(moment: dt.datetime | dt.time) -> str:
    """ISO 8601 with all its digits (the database keeps microseconds, and a client
    that sent them must read back the same instant), UTC as `Z`."""
    text = moment.isoformat()
    return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
