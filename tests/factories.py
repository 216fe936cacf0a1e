import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.models import Profile
from goals.models import Goal
from measurements.models import Measurement, Metric
from measurements.rollup import rollup_refresh

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)
    profile = factory.RelatedFactory("tests.factories.ProfileFactory", factory_related_name="user")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile

    user = factory.SubFactory(UserFactory, profile=None)
    time_zone = "Europe/Berlin"


class MetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Metric

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Metric {n}")
    unit = "kg"
    created = factory.LazyFunction(timezone.now)


class MeasurementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measurement

    metric = factory.SubFactory(MetricFactory)
    value = Decimal("80")
    measured_at = factory.LazyFunction(timezone.now)
    created = factory.LazyFunction(timezone.now)
    updated = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """Saved as the executors save: with its rollup bucket refreshed."""
        with transaction.atomic():
            measurement = super()._create(model_class, *args, **kwargs)
            rollup_refresh([(measurement.metric_id, measurement.measured_at)])
        return measurement


class GoalFactory(factory.django.DjangoModelFactory):
    """A reach goal by default: 82 → 75 over 90 days from today."""

    class Meta:
        model = Goal

    owner = factory.SelfAttribute("metric.owner")
    metric = factory.SubFactory(MetricFactory)
    title = factory.Sequence(lambda n: f"Goal {n}")
    kind = "reach"
    start_value = Decimal("82")
    target = Decimal("75")
    start_date = factory.LazyFunction(lambda: timezone.localdate())
    deadline = factory.LazyAttribute(lambda goal: goal.start_date + dt.timedelta(days=90))
    aggregation = "last"
    created = factory.LazyFunction(timezone.now)
    updated = factory.LazyFunction(timezone.now)
