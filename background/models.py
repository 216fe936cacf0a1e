from django.db import models


class ChoreLease(models.Model):
    """Which scheduler runs a chore until when. A scheduler runs a chore only after
    taking its lease, so however many schedulers tick, each chore runs once per
    interval."""

    name = models.CharField(max_length=64, primary_key=True)
    leased_until = models.DateTimeField()
    holder = models.CharField(max_length=128, blank=True)
    last_started = models.DateTimeField(null=True, blank=True)
    runs = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} (leased until {self.leased_until:%Y-%m-%d %H:%M:%S})"
