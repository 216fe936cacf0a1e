"""Remove for good the goals that were deleted more than 30 days ago.

Run it daily (cron, a systemd timer). It goes through the same orchestrator policy as
everything else, so the retention period is defined in one place.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from goals.orchestrators import PURGE_AFTER, purge_deleted_goals


class Command(BaseCommand):
    help = f"Hard-delete goals deleted more than {PURGE_AFTER.days} days ago."

    def handle(self, *args, **options):
        result = purge_deleted_goals(now=timezone.now())
        if not result.ok:
            raise CommandError(result.error.message)
        self.stdout.write(f"Purged {result.data} deleted goal{'s' if result.data != 1 else ''}.")
