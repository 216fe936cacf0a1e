"""How much a file import may hold, from the operator's settings, and sizes in words.

The settings are read when a limit is used, not at import, so a test (or an operator's
override) takes effect at once."""

import zipfile
from typing import IO

from django.conf import settings

from .base import PermanentError

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


#: The largest central directory (the list of members) a zip may have. zipfile reads
#: the whole of it and keeps an object for every member it lists, some 400 bytes
#: each, before a member can be opened; 8 MB lists some 70,000 members of an export
#: (workout routes, electrocardiograms), far more than the Health app writes.
MAX_ZIP_DIRECTORY_BYTES = 8 << 20


def check_zip_directory(upload: IO[bytes]) -> None:
    """Refuse a zip whose member list is larger than `MAX_ZIP_DIRECTORY_BYTES`, from
    its end record alone (the size zipfile trusts, not the member count, which it
    does not), before zipfile reads that list; the upload is put back where it was."""
    start = upload.tell()
    try:
        end = zipfile._EndRecData(upload)
    except OSError:
        end = None  # zipfile says what is wrong with the file
    finally:
        upload.seek(start)
    if end is not None and end[zipfile._ECD_SIZE] > MAX_ZIP_DIRECTORY_BYTES:
        raise PermanentError(
            f"The zip's list of members is larger than {size_in_words(MAX_ZIP_DIRECTORY_BYTES)}, "
            "which no Apple Health export's is; it is not one we can read."
        )
