"""The listening side of the fan-out: one hub per server process.

Every open stream of the process waits on the hub for news of its owner. The hub holds
ONE listener for the whole process, chosen by `EVENTS_FANOUT` (see `events.fanout`):

- `postgres`: a connection of its own that `LISTEN`s on the channel;
- `redis`: a subscription to the channel on Redis pub/sub;
- `poll`: every `EVENTS_POLL_SECONDS`, one read of the position of each owner that has
  a stream open here.

It wakes the streams of the owners it hears about; they read the outbox themselves,
from their own position. The hub knows only this process's streams: what crosses
processes and machines is PostgreSQL, Redis or the outbox itself. The listener runs
while the process has a stream open; after it (re)connects, every stream is woken once,
so whatever committed while nobody listened is read.

Database reads from the event loop go through `read`, on a few threads of the hub's
own, so streams hold neither a thread nor a connection while they wait.
"""

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import SyncToAsync, sync_to_async
from django.conf import settings
from django.db import close_old_connections, connection, connections

from . import fanout, selectors

logger = logging.getLogger(__name__)

RECONNECT_FIRST_SECONDS = 0.5
RECONNECT_MAX_SECONDS = 10.0
#: A listener that heard nothing for this long checks its connection is still there.
QUIET_CHECK_SECONDS = 30

Listener = Callable[["Hub"], Awaitable[None]]


#: Threads that read the outbox for this process's streams. Each keeps its database
#: connection between reads, renewed as a request's is (`CONN_MAX_AGE`, health checks),
#: so all the streams of a process use at most this many connections.
READERS = 2


@functools.cache
def _readers() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=READERS, thread_name_prefix="outbox-reader")


async def read[T](selector: Callable[..., T], **kwargs) -> T:
    """`selector(**kwargs)` on one of the reader threads."""

    def run() -> T:
        close_old_connections()
        return selector(**kwargs)

    return await asyncio.get_running_loop().run_in_executor(_readers(), run)


async def release_request_connection() -> None:
    """Close the connection the request's own thread opened."""

    def close() -> None:
        connection.close()

    await sync_to_async(close)()


async def release_request_thread() -> None:
    """Give back what the stream's request took before its response began: the database
    connection its thread opened (to read the session and the user), and the thread.

    Django's ASGI handler runs a request's synchronous work (the middleware, the session)
    in a thread of the request's own, kept until the response ends; a stream's response
    lasts for minutes, so without this every open stream would keep an idle thread and
    a connection. Later synchronous work of the request (Django closing the response)
    gets a new thread, which ends with the request as usual."""

    await release_request_connection()
    context = SyncToAsync.thread_sensitive_context.get(None)
    executor = SyncToAsync.context_to_thread_executor.pop(context, None) if context else None
    if executor is not None:
        executor.shutdown(wait=False)


class Hub:
    def __init__(self, listener: Listener):
        self.loop = asyncio.get_running_loop()
        self._listener = listener
        self._streams: dict[int, set[asyncio.Event]] = {}
        self._task: asyncio.Task | None = None
        self._delay = RECONNECT_FIRST_SECONDS

    @contextlib.contextmanager
    def subscription(self, owner_id: int) -> Iterator[asyncio.Event]:
        """While open, the event is set whenever the owner may have new events."""
        woken = asyncio.Event()
        self._streams.setdefault(owner_id, set()).add(woken)
        if self._task is None:
            self._task = self.loop.create_task(self._keep_listening())
        try:
            yield woken
        finally:
            waiting = self._streams.get(owner_id, set())
            waiting.discard(woken)
            if not waiting:
                self._streams.pop(owner_id, None)
            if not self._streams and self._task is not None:
                self._task.cancel()
                self._task = None

    @property
    def owners(self) -> list[int]:
        return list(self._streams)

    @property
    def streams(self) -> int:
        return sum(len(waiting) for waiting in self._streams.values())

    def wake(self, owner_ids: Iterable[int]) -> None:
        for owner_id in owner_ids:
            for woken in self._streams.get(owner_id, ()):
                woken.set()

    def listening(self) -> None:
        """Called by the listener once it hears the channel: what committed before is
        read by waking every stream once."""
        self._delay = RECONNECT_FIRST_SECONDS
        self.wake(self.owners)

    async def _keep_listening(self) -> None:
        while True:
            try:
                await self._listener(self)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.warning(
                    "Live pages stopped hearing of new events (%s: %s); listening again in %.1f s",
                    type(exc).__name__,
                    exc,
                    self._delay,
                )
            await asyncio.sleep(self._delay)
            self._delay = min(self._delay * 2, RECONNECT_MAX_SECONDS)


def owners_in(payload: str | bytes) -> list[int]:
    if isinstance(payload, bytes):
        payload = payload.decode()
    return [int(part) for part in payload.split(",") if part.strip().isdigit()]


async def listen_postgres(hub: Hub) -> None:
    import psycopg

    params = connections["default"].get_connection_params()
    for key in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(key, None)
    params.setdefault("connect_timeout", 5)
    params["application_name"] = "goaltrack live pages"
    async with await psycopg.AsyncConnection.connect(**params, autocommit=True) as listener:
        await listener.execute(f"LISTEN {fanout.CHANNEL}")
        hub.listening()
        while True:
            async for notify in listener.notifies(timeout=QUIET_CHECK_SECONDS):
                hub.wake(owners_in(notify.payload))
            await listener.execute("SELECT 1")


async def listen_redis(hub: Hub) -> None:
    from redis import asyncio as aioredis

    client = aioredis.Redis.from_url(
        settings.EVENTS_REDIS_URL, health_check_interval=QUIET_CHECK_SECONDS
    )
    try:
        async with client.pubsub() as pubsub:
            await pubsub.subscribe(fanout.CHANNEL)
            async for message in pubsub.listen():
                if message["type"] == "message":
                    hub.wake(owners_in(message["data"]))
                elif message["type"] == "subscribe":
                    # Also after the client reconnected and subscribed again by itself.
                    hub.listening()
    finally:
        await client.aclose()


async def poll_outbox(hub: Hub) -> None:
    seen: dict[int, int] = {}
    while True:
        owners = hub.owners
        if owners:
            now = await read(selectors.positions, owner_ids=owners)
            # An owner seen for the first time is woken too: its streams read once.
            hub.wake(owner for owner, position in now.items() if seen.get(owner) != position)
            seen = now
        await asyncio.sleep(settings.EVENTS_POLL_SECONDS)


LISTENERS: dict[str, Listener] = {
    "postgres": listen_postgres,
    "redis": listen_redis,
    "poll": poll_outbox,
}

_hub: Hub | None = None


def hub() -> Hub:
    """This process's hub (one per event loop; a server process runs one loop)."""
    global _hub
    if _hub is None or _hub.loop is not asyncio.get_running_loop():
        _hub = Hub(LISTENERS[settings.EVENTS_FANOUT])
    return _hub
