from decimal import Decimal


def plain(value: Decimal | int | None) -> str:
    """A number as people write it: no trailing zeros, no exponent (100, 81.4, 0.05)."""
    if value is None:
        return ""
    if not isinstance(value, Decimal):
        value = Decimal(value)
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", ""} else text
