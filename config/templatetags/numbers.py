"""Numbers in templates, through `config.numbers` only.

- `{{ value|plain }}`: exact, for form inputs and anything read back by a machine.
- `{{ value|measure:metric }}`: the number at the metric's display precision ("81.6").
- `{{ value|quantity:metric }}`: the number and its unit ("81.6 kg", "1 workout").

The argument of `measure` and `quantity` is anything with `places` (and `unit`): a
metric, or a goal's progress. `measure` also takes a number of places.
"""

from django import template

from config.numbers import format_value, plain
from config.numbers import quantity as quantity_words

register = template.Library()

register.filter("plain", plain)


def _places(of) -> int | None:
    if of is None or of == "":
        return None
    if isinstance(of, int):
        return of
    return getattr(of, "places", None)


@register.filter
def measure(value, of=None) -> str:
    return format_value(value, _places(of))


@register.filter
def quantity(value, of) -> str:
    return quantity_words(value, getattr(of, "unit", ""), _places(of))
