"""Create a demo user with a few goals and a few weeks of measurements.

Writes through the same orchestrators as the browser and the API. Running it again
leaves an existing demo user alone.
"""

import datetime as dt
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from pydantic import SecretStr

from accounts.contracts import SignUp
from accounts.orchestrators import sign_up
from goals.contracts import CreateGoal, GoalFields, NewMetric
from goals.orchestrators import create_goal
from measurements.contracts import RecordMeasurement
from measurements.orchestrators import record_measurement

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "demo-goals-2026"


class Command(BaseCommand):
    help = "Create the demo user with sample goals and measurements."

    def add_arguments(self, parser):
        parser.add_argument("--username", default=DEMO_USERNAME)
        parser.add_argument("--password", default=DEMO_PASSWORD)
        parser.add_argument("--time-zone", default="Europe/Berlin")

    def handle(self, *args, username, password, time_zone, **options):
        if get_user_model().objects.filter(username=username).exists():
            self.stdout.write(f"Demo user already exists. Log in as {username} / {password}")
            return
        now = timezone.now()
        account = sign_up(
            SignUp(username=username, password=SecretStr(password), time_zone=time_zone),
            now=now,
        )
        if not account.ok:
            raise CommandError(account.error.message)
        user_id = account.data.user_id
        today = timezone.localdate(now, timezone=ZoneInfo(time_zone))
        goal_specs = [
            (
                GoalFields(
                    title="Weigh 75 kg by spring",
                    kind="reach",
                    start_value=Decimal("82"),
                    target=Decimal("75"),
                    start_date=today - dt.timedelta(days=30),
                    deadline=today + dt.timedelta(days=90),
                    aggregation="min",
                ),
                NewMetric(name="Weight", unit="kg"),
            ),
            (
                GoalFields(
                    title=f"Run 100 km in {today:%B}",
                    kind="total",
                    target=Decimal("100"),
                    start_date=today.replace(day=1),
                    deadline=(today.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
                    - dt.timedelta(days=1),
                    aggregation="sum",
                ),
                NewMetric(name="Running distance", unit="km"),
            ),
            (
                GoalFields(
                    title="3 workouts a week",
                    kind="quota",
                    target=Decimal("3"),
                    period="week",
                    comparison="at_least",
                    start_date=today - dt.timedelta(days=35),
                    aggregation="count",
                ),
                NewMetric(name="Workouts", unit="workouts"),
            ),
            (
                GoalFields(
                    title="Sleep 7 to 9 hours a night",
                    kind="range",
                    target_low=Decimal("7"),
                    target_high=Decimal("9"),
                    period="day",
                    period_aggregation="sum",
                    start_date=today - dt.timedelta(days=21),
                    aggregation="sum",
                ),
                NewMetric(name="Sleep", unit="h"),
            ),
        ]
        metric_ids = {}
        for fields, metric in goal_specs:
            result = create_goal(
                CreateGoal(fields=fields, new_metric=metric), actor_id=user_id, now=now
            )
            if not result.ok:
                raise CommandError(f"{fields.title}: {result.error.message}")
            metric_ids[metric.name] = result.data.metric_id

        rng = random.Random(2026)
        samples = []
        for days_ago in range(30, 0, -1):
            day = now - dt.timedelta(days=days_ago)
            weight = Decimal("82") - Decimal(30 - days_ago) * Decimal("0.08")
            samples.append(("Weight", weight + Decimal(rng.randint(-4, 4)) / 10, day))
            samples.append(("Sleep", Decimal(rng.randint(60, 92)) / 10, day))
            if rng.random() < 0.45:
                samples.append(("Workouts", Decimal(1), day))
            if day.date() >= today.replace(day=1) and rng.random() < 0.5:
                samples.append(("Running distance", Decimal(rng.randint(40, 120)) / 10, day))
        for metric_name, value, measured_at in samples:
            result = record_measurement(
                RecordMeasurement(
                    metric_id=metric_ids[metric_name], value=value, measured_at=measured_at
                ),
                actor_id=user_id,
                now=now,
            )
            if not result.ok:
                raise CommandError(result.error.message)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo user ready: log in as {username} / {password} "
                f"({len(goal_specs)} goals, {len(samples)} measurements)"
            )
        )
