"""Two schedulers at once run each chore once per interval: the chore's lease, taken
with one conditional UPDATE, lets exactly one of them in. Checked on the lease itself
(threads on their own connections, at the same instant) and on two real `manage.py
scheduler` processes ticking side by side, on PostgreSQL and SQLite."""

import datetime as dt
import re
import threading
import time
from collections import defaultdict
from itertools import pairwise

import pytest
from django.db import connection
from django.utils import timezone

from background.executors import chore_lease_take
from background.models import ChoreLease
from background.scheduler import CHORES
from tests import processes

pytestmark = pytest.mark.django_db(transaction=True)

EVERY = dt.timedelta(minutes=1)


def take_at_once(holders: int, now: dt.datetime) -> list[bool]:
    barrier = threading.Barrier(holders)
    outcomes, failures = [], []

    def take(holder: str):
        try:
            barrier.wait(timeout=10)
            result = chore_lease_take(name="chore", holder=holder, every=EVERY, now=now)
            outcomes.append(result.unwrap())
        except Exception as exc:  # pragma: no cover - reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(f"scheduler-{n}",)) for n in range(holders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not failures, failures
    return outcomes


def test_of_schedulers_taking_one_lease_at_once_one_gets_it():
    now = timezone.now()
    assert sorted(take_at_once(4, now)) == [False, False, False, True]
    assert sorted(take_at_once(4, now + EVERY / 2)) == [False] * 4
    assert sorted(take_at_once(4, now + EVERY)) == [False, False, False, True]
    lease = ChoreLease.objects.get(name="chore")
    assert lease.runs == 2
    assert lease.leased_until == now + 2 * EVERY


CHORE_LINE = re.compile(r"Chore (\w+) at (\S+): ")


def test_two_scheduler_processes_run_each_chore_once_per_interval(tmp_path):
    interval = 1.5
    intervals = [f"--interval={chore.name}={interval}" for chore in CHORES]
    logs = [tmp_path / f"scheduler-{n}.log" for n in range(2)]
    schedulers = [
        processes.start(processes.manage("scheduler", "--every", "0.1", *intervals), log)
        for log in logs
    ]
    try:
        for log in logs:
            processes.wait_until(
                lambda log=log: "ticks every" in log.read_text(),
                timeout=30,
                what="both schedulers to start",
            )
        time.sleep(4.6)
        for scheduler in schedulers:
            assert scheduler.poll() is None, scheduler.args
    finally:
        for scheduler in schedulers:
            processes.stop(scheduler)
    for log in logs:  # SIGTERM ends a scheduler after its tick, not in the middle
        assert "stopped." in log.read_text(), log.read_text()[-2000:]

    starts = defaultdict(list)
    ran_in = defaultdict(set)
    for n, log in enumerate(logs):
        for name, started in CHORE_LINE.findall(log.read_text()):
            starts[name].append(dt.datetime.fromisoformat(started))
            ran_in[name].add(n)
    assert set(starts) == {chore.name for chore in CHORES}, [log.read_text() for log in logs]
    for name, times in starts.items():
        times.sort()
        gaps = [(later - earlier).total_seconds() for earlier, later in pairwise(times)]
        assert all(gap >= interval for gap in gaps), (name, gaps)
        # 4.6 s from the second start hold three intervals, four starts at most.
        assert 2 <= len(times) <= 5, (name, times)
        assert ChoreLease.objects.get(name=name).runs == len(times)
    print({name: (len(times), sorted(ran_in[name])) for name, times in starts.items()})
