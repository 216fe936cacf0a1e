"""`manage.py scheduler`: run every scheduled chore (due pulls, reaping abandoned
runs, purging expired idempotency keys and deleted goals; background/scheduler.py),
once, or on a tick every `--every` seconds. Any number of schedulers may run: a
lease per chore lets one of them run it per interval."""

import datetime as dt
import os
import socket
from dataclasses import replace

from django.core.management.base import BaseCommand, CommandError

from background.scheduler import CHORES, Scheduler
from config.process import settle


def chore_interval(text: str) -> tuple[str, float]:
    name, _, seconds = text.partition("=")
    return name, float(seconds)


class Command(BaseCommand):
    help = "Run the scheduled chores: once, or every --every seconds."

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=float,
            default=0,
            help="tick every N seconds (0, the default: one tick, then exit)",
        )
        parser.add_argument(
            "--interval",
            type=chore_interval,
            action="append",
            default=[],
            metavar="CHORE=SECONDS",
            help="run a chore at most once per this many seconds, instead of its default; "
            f"chores: {', '.join(chore.name for chore in CHORES)}",
        )

    def handle(self, *args, every: float, interval: list[tuple[str, float]], **options):
        overrides = dict(interval)
        unknown = set(overrides) - {chore.name for chore in CHORES}
        if unknown:
            raise CommandError(f"No chore is called {', '.join(sorted(unknown))}.")
        chores = tuple(
            replace(chore, every=dt.timedelta(seconds=overrides[chore.name]))
            if chore.name in overrides
            else chore
            for chore in CHORES
        )
        scheduler = Scheduler(holder=f"{socket.gethostname()}:{os.getpid()}", chores=chores)
        if every:
            settle()
            scheduler.run_forever(every=every)
        else:
            scheduler.tick()
