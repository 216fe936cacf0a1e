"""Queue the scheduled pulls that are due: once, or every `--every` seconds (as
`make run` does beside the worker; in production, cron or a systemd timer can run it
once a minute instead)."""

import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from sources.orchestrators import queue_due_syncs
from sources.tasks import run_sync


class Command(BaseCommand):
    help = "Queue a sync for every data source whose schedule says it is due."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=0, help="repeat every N seconds")

    def handle(self, *args, every: int, **options):
        while True:
            queued = queue_due_syncs(now=timezone.now(), enqueue=run_sync.enqueue)
            if queued and options["verbosity"]:
                self.stdout.write(f"Queued {len(queued)} scheduled sync(s).")
            if not every:
                return
            time.sleep(every)
