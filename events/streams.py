"""One owner's stream of changes, as Server-Sent Events.

Each message names what changed after the position the client gave, coalesced: when
the stream is woken it reads all of the owner's events after the last one it sent, and
sends one message whose `id` is the last event's id, so a client that reconnects with
`Last-Event-ID` resumes exactly there. The data is the `Changes` JSON: per correlation
id, the htmx events to fire, so a page can leave out what its own responses applied.

    retry: 2000

    id: 1234
    data: {"position":1234,"changes":[{"request":"9f0c…","events":["goal-42-changed"]}]}

A comment every `KEEPALIVE_SECONDS` keeps proxies from closing a quiet stream; after
`STREAM_SECONDS` the stream ends and the browser opens it again (from its last id),
which checks the session again.
"""

import asyncio
import json
import logging
from collections.abc import AsyncIterator

from config.errors import DATABASE_UNAVAILABLE

from . import selectors
from .hub import hub, read, release_request_thread

logger = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 15.0
STREAM_SECONDS = 600.0
RETRY_MILLISECONDS = 2000


def message(changes: selectors.Changes) -> str:
    data = json.dumps(changes.as_json(), separators=(",", ":"))
    return f"id: {changes.position}\ndata: {data}\n\n"


async def changes_stream(
    owner_id: int,
    after: int,
    *,
    keepalive: float = KEEPALIVE_SECONDS,
    lasts: float = STREAM_SECONDS,
) -> AsyncIterator[str]:
    loop = asyncio.get_running_loop()
    ends = loop.time() + lasts
    await release_request_thread()
    yield f"retry: {RETRY_MILLISECONDS}\n\n"
    position = after
    with hub().subscription(owner_id) as woken:
        stale = True
        while True:
            if stale:
                woken.clear()
                try:
                    changes = await read(selectors.changes_after, owner_id=owner_id, after=position)
                except DATABASE_UNAVAILABLE as exc:
                    logger.warning("A live stream ends: the database is unavailable (%s)", exc)
                    return
                if changes.position != position:
                    position = changes.position
                    yield message(changes)
                if changes.more:
                    continue
            left = ends - loop.time()
            if left <= 0:
                return
            try:
                async with asyncio.timeout(min(keepalive, left)):
                    await woken.wait()
                stale = True
            except TimeoutError:
                stale = False
                yield ": keep-alive\n\n"
