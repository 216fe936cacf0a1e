"""Small pieces several providers need: reading a time zone setting, and telling an
upload's size without reading it."""

import io
import os
from contextlib import suppress
from typing import IO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def known_time_zone(value: str) -> str:
    """A pydantic validator: the name of a time zone this machine knows."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"“{value}” is not a time zone we know; use a name like Europe/Berlin or UTC."
        ) from exc
    return value


def upload_size(upload: IO[bytes]) -> int | None:
    """The size of the upload in bytes, when it can tell without reading it (a pipe,
    which says 0, cannot)."""
    with suppress(Exception):
        size = upload.size  # Django's File and UploadedFile
        if isinstance(size, int) and size > 0:
            return size
    with suppress(AttributeError, OSError, ValueError):
        size = os.fstat(upload.fileno()).st_size
        if size > 0:
            return size
    with suppress(AttributeError, OSError, ValueError):
        if upload.seekable():
            here = upload.tell()
            end = upload.seek(0, io.SEEK_END)
            upload.seek(here)
            return end
    return None
