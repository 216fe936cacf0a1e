import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from accounts.selectors import preferences_for
from goals.progress import progress_for_goal
from tests.factories import GoalFactory, UserFactory


@pytest.mark.django_db
def test_the_admin_goal_page_shows_the_mappers_progress(client):
    admin = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(admin)
    goal = GoalFactory(title="Weigh 75 kg")
    listing = client.get(reverse("admin:goals_goal_changelist"), {"q": "75"})
    assert "Weigh 75 kg" in listing.content.decode()
    page = client.get(reverse("admin:goals_goal_change", args=[goal.id])).content.decode()
    preferences = preferences_for(goal.owner)
    progress = progress_for_goal(
        goal, profile_zone=preferences.zone, week_start=preferences.week_start, now=timezone.now()
    )
    assert escape(f"{progress.status_label}: {progress.summary_text}") in page
