"""The Notifications pages: the log, the settings, push subscriptions from the
browser, a goal's snooze, and the one-click unsubscribe (RFC 8058) without login."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications import executors, unsubscribe
from notifications.choices import Channel, NoticeKind, NoticeState
from notifications.contracts import PlannedNotice
from notifications.models import Attempt, NotificationSettings, PushSubscription, Snooze
from notifications.selectors import contact_for
from tests.factories import PASSWORD

from .conftest import weight_goal

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("push_settings")]

SUBSCRIPTION = {
    "endpoint": "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABn",
    "keys": {"p256dh": "B" + "x" * 86, "auth": "a" * 22},
    "label": "Firefox on Linux",
}


@pytest.fixture
def ada_client(client, ada):
    assert client.login(username=ada.username, password=PASSWORD)
    return client


def post_json(client, name, body):
    return client.post(reverse(name), json.dumps(body), content_type="application/json")


def test_the_log_shows_what_was_sent_where_and_what_was_not(ada_client, ada, other_user):
    now = timezone.now()
    planned = [
        PlannedNotice(
            owner_id=owner.id,
            kind=NoticeKind.FELL_BEHIND,
            key=f"k{owner.id}",
            day=now.date(),
            title=title,
            body="0.8 kg above the line.",
            due_at=now,
            expires_at=now + dt.timedelta(hours=1),
            skip=skip,
        )
        for owner, title, skip in [
            (ada, "Weigh 75 kg fell behind", ""),
            (other_user, "Someone else's goal", ""),
        ]
    ]
    executors.notices_plan(planned=planned, now=now, on_commit=None)
    mine = ada.notices.get().id
    executors.notice_claim(notice_id=mine, claim="c", now=now, lease_until=now)
    Attempt.objects.create(
        notice_id=mine, channel=Channel.PUSH, outcome="failed", detail="push refused", at=now
    )

    page = ada_client.get(reverse("notifications:log")).content.decode()
    assert "Weigh 75 kg fell behind" in page and "push refused" in page
    assert "Someone else" not in page
    fragment = ada_client.get(reverse("notifications:log_fragment")).content.decode()
    assert fragment.lstrip().startswith('<section class="panel" id="notice-log"')


def test_the_settings_are_saved_and_shown(ada_client, ada):
    page = ada_client.get(reverse("notifications:settings"))
    assert b"Reminder time" in page.content and b"ada@example.com" in page.content
    response = ada_client.post(
        reverse("notifications:settings"),
        {
            "reminder_time": "06:45",
            "quiet_start": "",
            "quiet_end": "",
            "kind_fell_behind": "email",
            "kind_achieved": "both",
            "kind_daily_reminder": "off",
            "kind_deadline": "push",
            "kind_weekly_summary": "email",
        },
    )
    assert response.status_code == 302
    saved = NotificationSettings.objects.get(user=ada)
    assert saved.reminder_time == dt.time(6, 45)
    assert (saved.quiet_start, saved.quiet_end) == (None, None)
    assert saved.channels["daily_reminder"] == "off"


def test_quiet_hours_need_both_ends(ada_client):
    response = ada_client.post(
        reverse("notifications:settings"),
        {"reminder_time": "07:00", "quiet_start": "22:00", "quiet_end": ""}
        | {f"kind_{kind}": "email" for kind in NoticeKind},
    )
    assert response.status_code == 200
    assert "both a start and an end" in response.content.decode()


def test_a_browser_subscribes_and_unsubscribes(ada_client, ada):
    response = post_json(ada_client, "notifications:push_subscribe", SUBSCRIPTION)
    assert response.status_code == 200, response.content
    subscription = PushSubscription.objects.get(owner=ada)
    assert subscription.label == "Firefox on Linux"
    assert contact_for(user_id=ada.id).reach.push

    again = post_json(ada_client, "notifications:push_subscribe", SUBSCRIPTION)
    assert again.status_code == 200 and PushSubscription.objects.count() == 1

    gone = post_json(
        ada_client, "notifications:push_unsubscribe", {"endpoint": SUBSCRIPTION["endpoint"]}
    )
    assert gone.json() == {"ok": True}
    assert not PushSubscription.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"endpoint": "http://10.0.0.5/push", "keys": SUBSCRIPTION["keys"]},
        {"endpoint": "javascript:alert(1)", "keys": SUBSCRIPTION["keys"]},
        {"endpoint": SUBSCRIPTION["endpoint"], "keys": {"p256dh": "<script>", "auth": "x"}},
        {"endpoint": SUBSCRIPTION["endpoint"]},
        ["not", "an", "object"],
    ],
)
def test_a_subscription_no_browser_would_make_is_refused(ada_client, body, settings):
    settings.OUTBOUND_ALLOW_NETWORKS = []
    response = post_json(ada_client, "notifications:push_subscribe", body)
    assert response.status_code == 400
    assert response.json()["error"]
    assert not PushSubscription.objects.exists()


def test_a_subscription_is_turned_off_from_the_page_by_its_owner_only(ada_client, other_user):
    theirs = PushSubscription.objects.create(
        owner=other_user,
        endpoint="https://push.example/1",
        p256dh="B" * 87,
        auth="a" * 22,
        created=timezone.now(),
    )
    ada_client.post(reverse("notifications:push_unsubscribe"), {"subscription": theirs.id})
    assert PushSubscription.objects.filter(id=theirs.id).exists()


def test_a_goals_reminders_are_snoozed_and_woken(ada_client, ada, other_user):
    goal = weight_goal(ada)
    page = ada_client.get(reverse("goals:detail", args=[goal.id])).content.decode()
    assert "Snooze reminders" in page

    ada_client.post(reverse("notifications:snooze", args=[goal.id]), {"days": "3"})
    today = timezone.now().astimezone(ada.profile.zone).date()
    assert Snooze.objects.get(goal=goal).until == today + dt.timedelta(days=2)
    page = ada_client.get(reverse("goals:detail", args=[goal.id])).content.decode()
    assert "Reminders snoozed" in page

    ada_client.post(reverse("notifications:snooze", args=[goal.id]), {"days": "0"})
    assert not Snooze.objects.exists()

    theirs = weight_goal(other_user)
    response = ada_client.post(reverse("notifications:snooze", args=[theirs.id]), {"days": "1"})
    assert response.status_code == 404
    assert not Snooze.objects.exists()


def test_a_snooze_without_a_length_is_refused_in_words(ada_client, ada):
    goal = weight_goal(ada)
    for days in (None, "", "many"):
        data = {} if days is None else {"days": days}
        response = ada_client.post(reverse("notifications:snooze", args=[goal.id]), data)
        assert response.status_code == 422
        assert "Choose how long to snooze for." in response.content.decode()
    assert not Snooze.objects.exists()


@pytest.mark.parametrize("next_url", ["0", "24:61", "goals:dashboard", "//evil.example/", ""])
def test_a_snooze_goes_back_only_to_a_path_on_this_site(ada_client, ada, next_url):
    """`redirect` reads a `next` without a slash or a dot as a view's name: "0" once
    answered 500."""
    goal = weight_goal(ada)
    response = ada_client.post(
        reverse("notifications:snooze", args=[goal.id]), {"days": "1", "next": next_url}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("goals:dashboard")
    back = ada_client.post(
        reverse("notifications:snooze", args=[goal.id]), {"days": "1", "next": "/goals/1/"}
    )
    assert back["Location"] == "/goals/1/"


def test_one_click_unsubscribe_works_without_logging_in(client, ada):
    url = reverse("notifications:unsubscribe", args=[unsubscribe.token_for(ada.id)])
    asked = client.get(url)
    assert asked.status_code == 200 and b"Stop notification emails?" in asked.content
    assert contact_for(user_id=ada.id).reach.email, "opening the link unsubscribes nobody"

    one_click = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    assert not contact_for(user_id=ada.id).reach.email


def test_an_unsubscribe_link_we_did_not_sign_does_nothing(client, ada):
    forged = unsubscribe.token_for(ada.id)[:-2] + "xx"
    url = reverse("notifications:unsubscribe", args=[forged])
    assert client.get(url).status_code == 404
    assert client.post(url, {"List-Unsubscribe": "One-Click"}).status_code == 404
    assert contact_for(user_id=ada.id).reach.email


def test_emails_can_be_turned_back_on(ada_client, ada):
    executors.email_stop(user_id=ada.id, now=timezone.now())
    page = ada_client.get(reverse("notifications:settings")).content.decode()
    assert "You unsubscribed from notification emails" in page
    ada_client.post(reverse("notifications:email_resume"))
    assert contact_for(user_id=ada.id).reach.email


def test_a_notice_skipped_at_planning_never_reaches_a_worker(ada):
    now = timezone.now()
    plan = PlannedNotice(
        owner_id=ada.id,
        kind=NoticeKind.DAILY_REMINDER,
        key="daily_reminder::x",
        day=now.date(),
        title="Nothing needs you today",
        body="",
        due_at=now,
        expires_at=now + dt.timedelta(hours=1),
        skip="none of your goals needed anything that day",
    )
    queued = []
    executors.notices_plan(planned=[plan], now=now, on_commit=lambda *a: queued.append(a))
    assert queued == []
    notice = ada.notices.get()
    assert notice.state == NoticeState.SKIPPED and notice.finished_at == now


def test_admins_read_every_notice_with_its_attempts(client, ada, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)
    now = timezone.now()
    plan = PlannedNotice(
        owner_id=ada.id,
        kind=NoticeKind.ACHIEVED,
        key="achieved:1",
        day=now.date(),
        title="You achieved Run 100 km",
        body="Reached 100 km.",
        due_at=now,
        expires_at=now + dt.timedelta(hours=1),
    )
    executors.notices_plan(planned=[plan], now=now, on_commit=None)
    notice = ada.notices.get()
    Attempt.objects.create(
        notice=notice, channel=Channel.EMAIL, outcome="sent", detail="to x", at=now
    )
    client.force_login(admin)
    listing = client.get(reverse("admin:notifications_notice_changelist"))
    assert listing.status_code == 200 and b"You achieved Run 100 km" in listing.content
    detail = client.get(reverse("admin:notifications_notice_change", args=[notice.id]))
    assert detail.status_code == 200 and b"to x" in detail.content
    for name in ("notificationsettings", "pushsubscription", "snooze"):
        assert client.get(reverse(f"admin:notifications_{name}_changelist")).status_code == 200
