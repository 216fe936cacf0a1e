"""The per-process hub, with a listener standing in for PostgreSQL, Redis or the poll:
streams are woken for their own owner only, everyone is woken once the listener hears
the channel (again), and the listener runs exactly while a stream is open."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from events import hub as hubs
from events.hub import Hub, owners_in


def run(coroutine):
    """Run `coroutine` on an event loop of its own, in a thread of its own (the browser
    tests' Playwright keeps a loop running in this one)."""

    async def bounded():
        return await asyncio.wait_for(coroutine, timeout=10)

    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, bounded()).result()


class FakeListener:
    """Fails `failures` times, then hears the channel and waits."""

    def __init__(self, failures: int = 0):
        self.failures = failures
        self.starts = 0
        self.running = False
        self.heard = asyncio.Event()

    async def __call__(self, hub: Hub) -> None:
        self.starts += 1
        if self.failures:
            self.failures -= 1
            raise ConnectionError("the database went away")
        self.running = True
        try:
            hub.listening()
            self.heard.set()
            await asyncio.Event().wait()
        finally:
            self.running = False


def test_a_stream_is_woken_for_its_own_owner_only():
    async def scenario():
        listener = FakeListener()
        hub = Hub(listener)
        with hub.subscription(1) as mine, hub.subscription(2) as theirs:
            await listener.heard.wait()
            mine.clear()
            theirs.clear()
            hub.wake([1, 99])
            assert mine.is_set() and not theirs.is_set()
            assert sorted(hub.owners) == [1, 2] and hub.streams == 2

    run(scenario())


def test_the_listener_runs_while_a_stream_is_open_and_wakes_everyone_when_it_hears():
    async def scenario():
        listener = FakeListener()
        hub = Hub(listener)
        with hub.subscription(1) as first:
            await listener.heard.wait()
            assert first.is_set()  # woken once: what committed before is read
            assert listener.running
        await asyncio.sleep(0)
        assert not listener.running and hub.owners == []
        with hub.subscription(1):
            await asyncio.sleep(0.01)
            assert listener.starts == 2

    run(scenario())


def test_a_listener_that_fails_is_started_again(monkeypatch):
    monkeypatch.setattr(hubs, "RECONNECT_FIRST_SECONDS", 0.01)

    async def scenario():
        listener = FakeListener(failures=2)
        hub = Hub(listener)
        with hub.subscription(7) as woken:
            await listener.heard.wait()
            assert woken.is_set()
        assert listener.starts == 3

    run(scenario())


@pytest.mark.parametrize(
    ("payload", "owners"),
    [("1,22,333", [1, 22, 333]), (b"5", [5]), ("", []), ("4,,x,6", [4, 6])],
)
def test_a_notification_names_owners(payload, owners):
    assert owners_in(payload) == owners
