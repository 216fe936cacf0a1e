"""What a long-running process (the web server's workers, the task worker, the
scheduler) does once Django is set up: `settle()`.

After start-up a process holds some 130,000 objects the garbage collector tracks
(Django, the URLconf and every view module, pint, pydantic's schemas), and none of
them will ever be garbage. Python's full collections traverse all of them each time,
and a request that allocates a lot (an API batch of 10,000 measurements builds some
hundreds of thousands of objects) sets off several: they took about a sixth of such a
batch. `gc.freeze()` moves what exists into a generation the collector never scans;
everything made later is collected as before.
"""

import gc

from django.urls import get_resolver


def settle() -> None:
    """Load what the first request would load (the URLconf imports every view and what
    they import), then take everything loaded out of the collector's scans."""
    get_resolver().url_patterns  # noqa: B018 (the attribute is what imports them)
    gc.collect()
    gc.freeze()
