"""Signed webhook: another service POSTs measurements to the source's own URL, signed
with the source's secret (see `sources.webhooks`). Each delivery is kept whole or not
at all; measurements are upserted by their `id`, so a resent delivery changes nothing.

    {"measurements": [{"id": "w-1", "value": 81.4, "unit": "kg",
                       "measured_at": "2026-11-25T07:30:00+01:00", "note": "scale"}]}
"""

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import IO

from pydantic import BaseModel

from measurements.contracts import json_integer

from ..forms import WebhookForm
from .base import Batch, Capability, PermanentError, Provider, Source
from .registry import register

BATCH_SIZE = 2000
FIELDS = {"id", "value", "unit", "measured_at", "note"}


class WebhookSettings(BaseModel):
    metric_id: int


@register
class SignedWebhook(Provider):
    key = "webhook"
    label = "Signed webhook"
    capabilities = Capability.PUSH
    settings_model = WebhookSettings
    form_class = WebhookForm
    slug = "webhooks"
    add_order = 20
    add_title = "Receive a signed webhook"
    add_help = "Another service sends measurements to an address of their own, signed."
    add_button = "Make a webhook"
    made_help = (
        "Headers: X-Goaltrack-Timestamp (Unix seconds) and X-Goaltrack-Signature: "
        'sha256=HMAC-SHA256(secret, "<timestamp>.<body>"), in hex.'
    )

    def parse(self, source: Source, upload: IO[bytes]) -> Iterator[Batch]:
        try:
            # Numbers as Decimal, as written: a float would turn 1e-999 into 0.
            body = json.load(upload, parse_float=Decimal, parse_int=json_integer)
        except (ValueError, UnicodeDecodeError) as exc:
            raise PermanentError(f"The delivery is not JSON: {exc}.") from exc
        entries = body.get("measurements") if isinstance(body, dict) else None
        if not isinstance(entries, list):
            raise PermanentError('The delivery needs a "measurements" list.')
        items = [self._item(source, entry) for entry in entries]
        for start in range(0, len(items), BATCH_SIZE):
            done = min(start + BATCH_SIZE, len(items))
            yield Batch(items=items[start:done], progress=(done, len(items)))

    @staticmethod
    def _item(source: Source, entry) -> dict:
        """Known fields are renamed for batch ingest; anything else is left in, so
        that the item is rejected with its field named."""
        if not isinstance(entry, dict):
            return {"metric_id": source.settings.metric_id, "entry": entry}
        item = {key: value for key, value in entry.items() if key not in FIELDS}
        item.update(
            metric_id=source.settings.metric_id,
            value=entry.get("value"),
            unit=entry.get("unit") or "",
            measured_at=entry.get("measured_at"),
            note=entry.get("note") or "",
            external_id=str(entry.get("id") or ""),
        )
        return item
