"""How much a file import may hold, from the operator's settings, and sizes in words.

The settings are read when a limit is used, not at import, so a test (or an operator's
override) takes effect at once."""

from django.conf import settings

_UNITS = (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10))


def size_in_words(size: int) -> str:
    """`50 * 2**20` as "50 MB", 1536 as "1.5 KB": binary units, as the settings are
    written."""
    for unit, scale in _UNITS:
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + " " + unit
    return f"{size} bytes"


def max_unpacked_bytes() -> int:
    """The most an archive's member (an Apple Health export.xml) may unpack to."""
    return settings.UPLOAD_MAX_UNPACKED_BYTES


def max_compression_ratio() -> int:
    """How many times its packed size an archive's member may unpack to, once past
    its first few megabytes."""
    return settings.UPLOAD_MAX_COMPRESSION_RATIO
