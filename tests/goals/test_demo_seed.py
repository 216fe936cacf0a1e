import pytest
from django.core.management import call_command

from goals.models import Goal
from measurements.models import Measurement


@pytest.mark.django_db
def test_demo_seed_creates_a_user_with_goals_of_every_kind_once(capsys):
    call_command("demo_seed")
    assert "log in as demo / demo-goals-2026" in capsys.readouterr().out
    assert sorted(Goal.objects.values_list("kind", flat=True)) == [
        "quota",
        "range",
        "reach",
        "total",
    ]
    measurements = Measurement.objects.count()
    assert measurements > 60
    call_command("demo_seed")
    assert "already exists" in capsys.readouterr().out
    assert Measurement.objects.count() == measurements
