"""Every page of the site, for the browser audit (tests/e2e/test_every_page.py): the
data that fills them as a person's account would be filled, the address of each page
(or the steps that reach it, for a page shown in answer to a form), and the named
URLs that are no page of their own, each with the reason.

A new named URL must be listed here, as a page or with its reason: the audit fails
while one is neither, so no page is left out of it."""

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.tokens import default_token_generator
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from pydantic import SecretStr

from accounts.contracts import CreateApiToken, SignUp
from accounts.models import ApiToken, Profile
from accounts.orchestrators import create_api_token, sign_up
from accounts.verification import make_token
from config import errors
from goals.contracts import CreateGoal, GoalFields, GoalRef, NewMetric
from goals.orchestrators import archive_goal, create_goal, delete_goal
from measurements.contracts import RecordMeasurement
from measurements.orchestrators import record_measurement
from notifications import unsubscribe
from notifications.models import Attempt as NoticeAttempt
from notifications.models import Notice, PushSubscription, Snooze
from sources.models import DataSource, SyncRun
from webhooks.contracts import CreateEndpoint
from webhooks.models import Attempt as DeliveryAttempt
from webhooks.models import Delivery, Endpoint
from webhooks.orchestrators import create_endpoint

#: 30 characters: the longest name the header must still hold.
USERNAME = "margarethe-von-hohenzollern-30"
PASSWORD = "a-long-passphrase-for-the-audit"


@dataclass
class Seed:
    """The ids the pages' addresses need."""

    user_id: int = 0
    #: The user id of each account: "full", "new".
    accounts: dict[str, int] = field(default_factory=dict)
    goals: dict[str, int] = field(default_factory=dict)
    archived_goal: int = 0
    deleted_goal: int = 0
    metrics: dict[str, int] = field(default_factory=dict)
    measurement: int = 0
    #: One with a long note, a web address in it.
    noted_measurement: int = 0
    endpoint: int = 0
    #: provider: source id
    sources: dict[str, int] = field(default_factory=dict)
    reset_link: str = ""
    unsubscribe_link: str = ""
    email_link: str = ""


def _goal(user_id: int, now, fields: GoalFields, metric: NewMetric | None = None, metric_id=None):
    command = CreateGoal(fields=fields, new_metric=metric, metric_id=metric_id)
    return create_goal(command, actor_id=user_id, now=now).unwrap()


def seed() -> Seed:
    """An account in use: goals of the four kinds with measurements, an archived and a
    deleted goal, a metric without a goal, sources of each provider with their runs
    (one failed, with rejected rows), a webhook endpoint with deliveries, an API
    token and notifications sent, failed and not sent."""
    now = timezone.now()
    today = timezone.localdate(now)
    user_id = sign_up(
        SignUp(username=USERNAME, password=SecretStr(PASSWORD), time_zone="Europe/Berlin"),
        now=now,
    ).data.user_id
    newcomer = sign_up(
        SignUp(username="newcomer", password=SecretStr(PASSWORD), time_zone="America/New_York"),
        now=now,
    ).data.user_id
    shown = Seed(user_id=user_id, accounts={"full": user_id, "new": newcomer})
    specs = {
        "reach": (
            GoalFields(
                title="Weigh 75 kg by spring, slowly and without crash diets",
                kind="reach",
                start_value=Decimal("82"),
                target=Decimal("75"),
                start_date=today - dt.timedelta(days=30),
                deadline=today + dt.timedelta(days=90),
                aggregation="min",
            ),
            NewMetric(name="Body weight in the morning", unit="kg"),
        ),
        "total": (
            GoalFields(
                title="Run 100 km this month",
                kind="total",
                target=Decimal("100"),
                start_date=today - dt.timedelta(days=20),
                deadline=today + dt.timedelta(days=10),
                aggregation="sum",
            ),
            NewMetric(name="Running distance", unit="km"),
        ),
        "quota": (
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
        "range": (
            GoalFields(
                title="Sleep 7 to 9 hours a night",
                kind="range",
                target_low=Decimal("7"),
                target_high=Decimal("9"),
                period="day",
                period_aggregation="sum",
                start_date=today - dt.timedelta(days=21),
                aggregation="sum",
                required_share=80,
            ),
            NewMetric(name="Sleep", unit="h"),
        ),
    }
    for kind, (fields, metric) in specs.items():
        goal = _goal(user_id, now, fields, metric)
        shown.goals[kind] = goal.id
        shown.metrics[kind] = goal.metric_id
    weight = shown.metrics["reach"]
    shown.archived_goal = _goal(
        user_id,
        now,
        GoalFields(
            title="Weigh 80 kg (done)",
            kind="reach",
            start_value=Decimal("84"),
            target=Decimal("80"),
            start_date=today - dt.timedelta(days=200),
            deadline=today - dt.timedelta(days=100),
        ),
        metric_id=weight,
    ).id
    archive_goal(GoalRef(goal_id=shown.archived_goal), actor_id=user_id, now=now).unwrap()
    shown.deleted_goal = _goal(
        user_id,
        now,
        GoalFields(
            title="A goal set by mistake",
            kind="reach",
            start_value=Decimal("82"),
            target=Decimal("70"),
            start_date=today,
            deadline=today + dt.timedelta(days=30),
        ),
        metric_id=weight,
    ).id
    delete_goal(GoalRef(goal_id=shown.deleted_goal), actor_id=user_id, now=now).unwrap()
    shown.metrics["lone"] = _goal(
        user_id,
        now,
        GoalFields(
            title="Drink 2 litres of water a day",
            kind="quota",
            target=Decimal("2"),
            period="day",
            comparison="at_least",
            start_date=today - dt.timedelta(days=3),
            aggregation="sum",
        ),
        NewMetric(name="Water (a name long enough to wrap on a narrow phone)", unit="l"),
    ).metric_id

    samples = []
    for days_ago in range(30, 0, -1):
        day = now - dt.timedelta(days=days_ago, hours=3)
        samples.append(("reach", Decimal("82") - Decimal(30 - days_ago) * Decimal("0.08"), day))
        samples.append(("range", Decimal(60 + (days_ago * 7) % 33) / 10, day))
        if days_ago % 2:
            samples.append(("quota", Decimal(1), day))
        if days_ago <= 20 and days_ago % 3 == 0:
            samples.append(("total", Decimal(40 + days_ago * 3) / 10, day))
    notes = {
        "total": "Long run by the river: https://www.strava.com/activities/12345678901/overview"
        "?utm_source=share&utm_medium=link",
        "reach": "After the holidays, before breakfast",
    }
    for key, value, measured_at in samples:
        command = RecordMeasurement(
            metric_id=shown.metrics[key],
            value=value,
            measured_at=measured_at,
            note=notes.get(key, "") if measured_at.day % 2 else "",
        )
        recorded = record_measurement(command, actor_id=user_id, now=now).unwrap()
        if key == "reach":
            shown.measurement = recorded.id
        if key == "total" and command.note:
            shown.noted_measurement = recorded.id

    _sources(user_id, shown, now)
    _notices(user_id, shown, now)
    create_api_token(
        CreateApiToken(name="Home Assistant on the kitchen tablet"), actor_id=user_id, now=now
    ).unwrap()
    old = create_api_token(CreateApiToken(name="Old laptop"), actor_id=user_id, now=now).unwrap()
    ApiToken.objects.filter(pk=old.id).update(revoked=now, last_used=now - dt.timedelta(days=40))
    endpoint = create_endpoint(
        CreateEndpoint(
            url="https://automation.example.com/hooks/goaltrack/receive-measurements-and-goals",
            description="Home automation",
            event_types=["measurement.recorded", "goal.status_changed"],
        ),
        actor_id=user_id,
        now=now,
    ).unwrap()
    shown.endpoint = endpoint.endpoint.id
    _deliveries(shown.endpoint, now)
    failing = create_endpoint(
        CreateEndpoint(
            url="https://old-server.example.net/webhook", event_types=["goal.status_changed"]
        ),
        actor_id=user_id,
        now=now,
    ).unwrap()
    Endpoint.objects.filter(pk=failing.endpoint.id).update(
        enabled=False,
        disabled_at=now - dt.timedelta(days=1),
        failing_since=now - dt.timedelta(days=6),
        consecutive_failures=48,
        disabled_reason=(
            "Disabled after 5 days of failed deliveries; the last: the receiver answered 502 "
            "Bad Gateway"
        ),
    )
    PushSubscription.objects.create(
        owner_id=user_id,
        endpoint="https://fcm.googleapis.com/fcm/send/dGhpcyBpcyBub3QgYSByZWFsIHN1YnNjcmlwdGlvbg",
        p256dh="B" + "x" * 86,
        auth="a" * 22,
        label="Chrome 131 on Android (Pixel 8 Pro)",
        created=now - dt.timedelta(days=9),
        last_success_at=now - dt.timedelta(hours=5),
    )
    Snooze.objects.create(
        owner_id=user_id, goal_id=shown.goals["quota"], until=today + dt.timedelta(days=3)
    )

    uid = urlsafe_base64_encode(force_bytes(user_id))
    user = get_user_model().objects.get(pk=user_id)
    user.email = "margarethe.von.hohenzollern@example.com"
    user.save(update_fields=["email"])
    # A new address waiting to be confirmed besides the confirmed one.
    Profile.objects.filter(user_id=user_id).update(
        email_pending="m.von.hohenzollern+goaltrack-notifications@mail.example.org",
        email_pending_sent_at=now,
    )
    shown.reset_link = f"/accounts/password/reset/{uid}/{default_token_generator.make_token(user)}/"
    shown.unsubscribe_link = f"/notifications/unsubscribe/{unsubscribe.token_for(user_id)}/"
    shown.email_link = f"/accounts/email/confirm/{make_token(user_id=user_id, address=user.email)}/"
    return shown


def _sources(user_id: int, shown: Seed, now) -> None:
    rows = [
        ("csv", "weights-export-from-the-old-app-2026.csv", {"metric_id": shown.metrics["reach"]}),
        ("webhook", "Smart scale in the bathroom", {}),
        ("icalendar", "Gym sessions", {"url": "https://calendar.example.com/private/basic.ics"}),
        ("apple_health", "export.zip", {}),
    ]
    for number, (provider, name, options) in enumerate(rows):
        source = DataSource.objects.create(
            owner_id=user_id,
            provider=provider,
            name=name,
            settings=options,
            streams={"value": shown.metrics["reach"]},
            every_minutes=60 if provider == "icalendar" else None,
            created=now - dt.timedelta(days=3, minutes=number),
        )
        shown.sources[provider] = source.id
        SyncRun.objects.create(
            source=source,
            mode="file_import" if provider in ("csv", "apple_health") else "pull",
            status="succeeded",
            created=now - dt.timedelta(days=2, minutes=number),
            started=now - dt.timedelta(days=2, minutes=number),
            finished=now - dt.timedelta(days=2, minutes=number - 1),
            created_count=1204,
            unchanged_count=17,
            progress_done=1221,
            progress_total=1221,
        )
        if provider == "csv":
            SyncRun.objects.create(
                source=source,
                mode="file_import",
                status="failed",
                created=now - dt.timedelta(hours=2),
                started=now - dt.timedelta(hours=2),
                finished=now - dt.timedelta(hours=2),
                created_count=12,
                rejected_count=2,
                rejections=[
                    {
                        "index": 3,
                        "fields": [{"field": "value", "message": "“heavy” is no number."}],
                    },
                    {
                        "index": 9,
                        "fields": [
                            {
                                "field": "measured_at",
                                "message": "“31/31/2026” is no date I can read: "
                                "write 2026-12-31 or 31.12.2026.",
                            }
                        ],
                    },
                ],
                progress_done=14,
                progress_total=500,
                error_code="source_unavailable",
                error_message=(
                    "The file could not be read past row 14: an unexpected end of data in a "
                    "quoted field (the file may have been cut off while uploading)."
                ),
                error_phase="execute",
                correlation_id="f3a1c9e27b5d4e08a6c2d1f0b9e8a7c6",
            )
        if provider == "icalendar":
            SyncRun.objects.create(
                source=source,
                mode="pull",
                status="running",
                created=now - dt.timedelta(minutes=1),
                started=now - dt.timedelta(minutes=1),
                heartbeat=now,
                progress_done=40,
                progress_total=160,
            )


def _notices(user_id: int, shown: Seed, now) -> None:
    rows = [
        ("fell_behind", "sent", "Weigh 75 kg by spring fell behind", "", "push", "sent", ""),
        (
            "daily_reminder",
            "failed",
            "Today's reminder",
            "",
            "email",
            "failed",
            "The mail server refused the message: 550 5.1.1 mailbox unavailable for this address",
        ),
        (
            "weekly_summary",
            "skipped",
            "Your week: 3 of 4 goals on track",
            "No channel could reach you: add an email address or allow push in this browser.",
            "push",
            "skipped",
            "no push subscription",
        ),
        (
            "deadline",
            "planned",
            "Run 100 km this month ends in 3 days",
            "Waits for the end of quiet hours (07:00).",
            "",
            "",
            "",
        ),
    ]
    for number, (kind, state, title, reason, channel, outcome, detail) in enumerate(rows):
        notice = Notice.objects.create(
            owner_id=user_id,
            kind=kind,
            goal_id=shown.goals["reach"],
            key=f"{kind}:{number}",
            day=timezone.localdate(now),
            title=title,
            body="0.8 kg above the line you set: 79.6 kg today, the line is at 78.8 kg.",
            link=f"/goals/{shown.goals['reach']}/",
            created=now - dt.timedelta(hours=number),
            due_at=now - dt.timedelta(hours=number),
            expires_at=now + dt.timedelta(hours=12),
            state=state,
            reason=reason,
            finished_at=None if state == "planned" else now,
        )
        if channel:
            NoticeAttempt.objects.create(
                notice=notice, channel=channel, outcome=outcome, detail=detail, at=now
            )


def _deliveries(endpoint_id: int, now) -> None:
    for number, (status, code, error) in enumerate(
        [
            ("succeeded", 200, ""),
            ("failed", None, "Connection refused by automation.example.com:443 after 10 s"),
            ("pending", 503, "The receiver answered 503 Service Unavailable"),
        ]
    ):
        delivery = Delivery.objects.create(
            endpoint_id=endpoint_id,
            type="measurement.recorded",
            msg_id=f"msg_2Q8yKq3vN1xZ7wT5rLpC9mHjD4f{number}",
            body='{"type": "measurement.recorded"}',
            status=status,
            attempts=2,
            tries=2,
            first_attempt_at=now - dt.timedelta(minutes=30),
            last_attempt_at=now - dt.timedelta(minutes=5),
            next_attempt_at=now + dt.timedelta(minutes=10) if status == "pending" else None,
            created=now - dt.timedelta(minutes=30 + number),
        )
        DeliveryAttempt.objects.create(
            delivery=delivery,
            at=now - dt.timedelta(minutes=5),
            status_code=code,
            duration_ms=212,
            succeeded=status == "succeeded",
            error=error,
        )


# The steps for pages shown in answer to a form. Each starts on the page with the
# form and submits it as the browser would (the CSRF token from the page).

SUBMIT = """([action, fields]) => {
  const form = document.createElement("form");
  form.method = "post";
  form.action = action;
  const token = document.querySelector("[name=csrfmiddlewaretoken]");
  const all = token ? {csrfmiddlewaretoken: token.value, ...fields} : fields;
  for (const [name, value] of Object.entries(all)) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    form.append(input);
  }
  document.body.append(form);
  form.submit();
}"""

CSV = (
    "Date;Weight (kg);Comment\n"
    "2026-11-20 07:00;81,4;morning, before breakfast and after the long run\n"
    "2026-11-21 07:00;heavy;oops\n"
    "2026-11-22 07:00;80,9;\n"
)


def _post(page, base: str, start: str, action: str, fields: dict) -> None:
    page.goto(base + start)
    with page.expect_navigation():
        page.evaluate(SUBMIT, [action, fields])


def _csv_preview(page, base: str, seed: Seed) -> None:
    page.goto(base + "/sources/")
    page.set_input_files(
        "input[type=file][name='csv-file']",
        files=[{"name": "weights.csv", "mimeType": "text/csv", "buffer": CSV.encode()}],
    )
    page.select_option("select[name='csv-metric']", str(seed.metrics["reach"]))
    with page.expect_navigation():
        page.eval_on_selector("input[name='csv-file']", "input => input.form.submit()")


#: Numbers the things each visit makes, whose names must differ.
_made = itertools.count(1)


def _webhook_source_made(page, base: str, seed: Seed) -> None:
    fields = {"hook-name": f"Smart scale {next(_made)}", "hook-metric": str(seed.metrics["reach"])}
    _post(page, base, "/sources/", "/sources/webhooks/", fields)


def _api_token_made(page, base: str, seed: Seed) -> None:
    _post(
        page,
        base,
        "/accounts/api-tokens/",
        "/accounts/api-tokens/",
        {"name": f"Laptop {next(_made)}"},
    )


def _endpoint_made(page, base: str, seed: Seed) -> None:
    fields = {
        "url": f"https://example.com/hook/{next(_made)}",
        "event_types": "measurement.recorded",
    }
    _post(page, base, "/webhooks/", "/webhooks/", fields)


def _goal_form_refused(page, base: str, seed: Seed) -> None:
    _post(page, base, "/goals/new/", "/goals/new/", {"kind": "reach", "title": ""})


def _edit_refused(page, base: str, seed: Seed) -> None:
    path = f"/metrics/measurements/{seed.measurement}/edit/"
    _post(page, base, path, path, {"value": "heavy", "measured_at": "31/31/2026"})


def _signup_refused(page, base: str, seed: Seed) -> None:
    fields = {"username": USERNAME, "password1": "short", "password2": "other"}
    _post(page, base, "/accounts/signup/", "/accounts/signup/", fields)


def _login_refused(page, base: str, seed: Seed) -> None:
    axes_reset()
    fields = {"username": "nobody-at-all", "password": "wrong"}
    _post(page, base, "/accounts/login/", "/accounts/login/", fields)
    axes_reset()


def _locked_out(page, base: str, seed: Seed) -> None:
    """Failures up to the limit, then the page that says when to try again."""
    axes_reset()
    fields = {"username": "nobody-at-all", "password": "wrong"}
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        _post(page, base, "/accounts/login/", "/accounts/login/", fields)
    axes_reset()


def _csrf_refused(page, base: str, seed: Seed) -> None:
    page.goto(base + "/accounts/preferences/")
    with page.expect_navigation():
        page.evaluate(
            """() => {
              const form = document.createElement("form");
              form.method = "post";
              form.action = "/accounts/preferences/";
              document.body.append(form);
              form.submit();
            }"""
        )


def _drawn(handler, signed_in: bool):
    """Steps to a page no address shows on demand (the answer to an unexpected error,
    to a database outage): drawn here by its handler, as for a request of the person,
    and served to the browser at an address of the site."""

    def steps(page, base: str, seed: Seed) -> None:
        request = RequestFactory().get("/goals/")
        request.user = (
            get_user_model().objects.get(pk=seed.user_id) if signed_in else AnonymousUser()
        )
        response = handler(request)
        url = f"{base}/goals/{seed.goals['reach']}/failed/"
        page.route(
            url,
            lambda route: route.fulfill(
                status=response.status_code,
                body=response.content,
                content_type=response["Content-Type"],
            ),
        )
        try:
            page.goto(url)
        finally:
            page.unroute(url)

    return steps


@dataclass(frozen=True)
class Page:
    """One page to audit: `path` from the seed, or `steps` that end on it."""

    name: str
    #: The named URLs it shows (the first is the one it is reached by).
    covers: tuple[str, ...]
    path: Callable[[Seed], str] | None = None
    steps: Callable | None = None
    #: Whose page it is: "full" (the account in use), "new" (one just made), None
    #: (signed out).
    account: str | None = "full"
    status: int = 200
    #: What shows once the page is the one meant: drawn by its script, or the answer
    #: to the form its steps sent.
    ready: str | None = None
    #: Which part of the product it belongs to, for the report.
    area: str = "shell"


PAGES = [
    # Signed out.
    Page("login", ("accounts:login",), lambda s: "/accounts/login/", account=None, area="accounts"),
    Page(
        "login-refused",
        ("accounts:login",),
        steps=_login_refused,
        ready=".field-error, .form-errors",
        account=None,
        area="accounts",
    ),
    Page("locked-out", (), steps=_locked_out, account=None, area="accounts"),
    Page(
        "signup",
        ("accounts:signup",),
        lambda s: "/accounts/signup/",
        account=None,
        area="accounts",
    ),
    Page(
        "signup-refused",
        ("accounts:signup",),
        steps=_signup_refused,
        ready=".field-error, .form-errors",
        account=None,
        area="accounts",
    ),
    Page(
        "password-reset",
        ("accounts:password_reset",),
        lambda s: "/accounts/password/reset/",
        account=None,
        area="accounts",
    ),
    Page(
        "password-reset-sent",
        ("accounts:password_reset_done",),
        lambda s: "/accounts/password/reset/sent/",
        account=None,
        area="accounts",
    ),
    Page(
        "password-reset-confirm",
        ("accounts:password_reset_confirm",),
        lambda s: s.reset_link,
        account=None,
        area="accounts",
    ),
    Page(
        "password-reset-link-invalid",
        ("accounts:password_reset_confirm",),
        lambda s: "/accounts/password/reset/MQ/bad-token/",
        account=None,
        area="accounts",
    ),
    Page(
        "password-reset-complete",
        ("accounts:password_reset_complete",),
        lambda s: "/accounts/password/reset/done/",
        account=None,
        area="accounts",
    ),
    Page(
        "email-confirmed",
        ("accounts:email_confirm",),
        lambda s: s.email_link,
        account=None,
        area="accounts",
    ),
    Page(
        "email-link-invalid",
        ("accounts:email_confirm",),
        lambda s: "/accounts/email/confirm/not-a-token/",
        account=None,
        status=400,
        area="accounts",
    ),
    Page(
        "unsubscribe",
        ("notifications:unsubscribe",),
        lambda s: s.unsubscribe_link,
        account=None,
        area="notifications",
    ),
    Page(
        "unsubscribe-invalid",
        ("notifications:unsubscribe",),
        lambda s: "/notifications/unsubscribe/not-a-token/",
        account=None,
        status=404,
        area="notifications",
    ),
    Page(
        "not-found-signed-out",
        (),
        lambda s: "/no/such/page/",
        account=None,
        status=404,
        area="errors",
    ),
    # Signed in: goals.
    Page("dashboard", ("goals:dashboard",), lambda s: "/", area="goals"),
    *[
        Page(
            f"goal-{kind}",
            ("goals:detail",),
            lambda s, k=kind: f"/goals/{s.goals[k]}/",
            area="goals",
        )
        for kind in ("reach", "total", "quota", "range")
    ],
    Page("goal-archived", ("goals:detail",), lambda s: f"/goals/{s.archived_goal}/", area="goals"),
    Page("goal-edit", ("goals:edit",), lambda s: f"/goals/{s.goals['range']}/edit/", area="goals"),
    Page(
        "goal-rename", ("goals:title",), lambda s: f"/goals/{s.goals['reach']}/title/", area="goals"
    ),
    Page(
        "goal-delete",
        ("goals:delete",),
        lambda s: f"/goals/{s.goals['reach']}/delete/",
        area="goals",
    ),
    Page("goal-new", ("goals:create",), lambda s: "/goals/new/", area="goals"),
    Page(
        "goal-new-template",
        ("goals:create",),
        lambda s: "/goals/new/?template=lose-weight",
        area="goals",
    ),
    *[
        Page(
            f"goal-new-{kind}",
            ("goals:create",),
            lambda s, k=kind: f"/goals/new/?kind={k}",
            area="goals",
        )
        for kind in ("reach", "total", "quota", "range")
    ],
    Page(
        "goal-new-refused",
        ("goals:create",),
        steps=_goal_form_refused,
        ready=".field-error, .form-errors",
        area="goals",
    ),
    # Metrics.
    Page("metrics", ("measurements:list",), lambda s: "/metrics/", area="metrics"),
    Page(
        "metric",
        ("measurements:detail",),
        lambda s: f"/metrics/{s.metrics['reach']}/",
        area="metrics",
    ),
    Page(
        "metric-long-name",
        ("measurements:detail",),
        lambda s: f"/metrics/{s.metrics['lone']}/",
        area="metrics",
    ),
    Page(
        "metric-with-notes",
        ("measurements:detail",),
        lambda s: f"/metrics/{s.metrics['total']}/",
        area="metrics",
    ),
    Page(
        "measurement-edit",
        ("measurements:edit",),
        lambda s: f"/metrics/measurements/{s.noted_measurement}/edit/",
        area="metrics",
    ),
    Page(
        "measurement-edit-refused",
        ("measurements:edit",),
        steps=_edit_refused,
        ready=".field-error, .form-errors",
        area="metrics",
    ),
    # Sources.
    Page("sources", ("sources:list",), lambda s: "/sources/", area="sources"),
    Page(
        "csv-preview",
        ("sources:csv_upload", "sources:csv_import"),
        steps=_csv_preview,
        ready="table",
        area="sources",
    ),
    Page(
        "webhook-source-made",
        ("sources:add",),
        steps=_webhook_source_made,
        ready=".token-secret",
        area="sources",
    ),
    Page(
        "source-rename",
        ("sources:rename",),
        lambda s: f"/sources/{s.sources['csv']}/rename/",
        area="sources",
    ),
    Page(
        "source-delete",
        ("sources:delete",),
        lambda s: f"/sources/{s.sources['csv']}/delete/",
        area="sources",
    ),
    # Accounts, notifications, webhooks.
    Page(
        "preferences",
        ("accounts:preferences", "accounts:email"),
        lambda s: "/accounts/preferences/",
        area="accounts",
    ),
    Page(
        "password-change",
        ("accounts:password_change",),
        lambda s: "/accounts/password/",
        area="accounts",
    ),
    Page(
        "password-changed",
        ("accounts:password_changed",),
        lambda s: "/accounts/password/changed/",
        area="accounts",
    ),
    Page(
        "api-tokens", ("accounts:api_tokens",), lambda s: "/accounts/api-tokens/", area="accounts"
    ),
    Page(
        "api-token-made",
        ("accounts:api_tokens",),
        steps=_api_token_made,
        ready=".token-secret",
        area="accounts",
    ),
    Page(
        "api-docs",
        ("api:openapi-view",),
        lambda s: "/api/v1/docs",
        area="accounts",
        ready=".opblock",
    ),
    Page(
        "notifications", ("notifications:log",), lambda s: "/notifications/", area="notifications"
    ),
    Page(
        "notification-settings",
        ("notifications:settings",),
        lambda s: "/notifications/settings/",
        area="notifications",
    ),
    Page("webhooks", ("webhooks:list",), lambda s: "/webhooks/", area="webhooks"),
    Page("webhook", ("webhooks:detail",), lambda s: f"/webhooks/{s.endpoint}/", area="webhooks"),
    Page(
        "webhook-made",
        ("webhooks:list", "webhooks:detail"),
        steps=_endpoint_made,
        ready=".token-secret",
        area="webhooks",
    ),
    # An account just made: the empty states.
    *[
        Page(f"{name}-empty", (), lambda s, p=path: p, account="new", area=area)
        for name, path, area in [
            ("dashboard", "/", "goals"),
            ("metrics", "/metrics/", "metrics"),
            ("sources", "/sources/", "sources"),
            ("notifications", "/notifications/", "notifications"),
            ("webhooks", "/webhooks/", "webhooks"),
            ("api-tokens", "/accounts/api-tokens/", "accounts"),
        ]
    ],
    # Errors.
    Page("not-found", (), lambda s: "/goals/999999/", status=404, area="errors"),
    Page("forbidden-csrf", (), steps=_csrf_refused, status=403, area="errors"),
    Page("server-error", (), steps=_drawn(errors.server_error, True), area="errors"),
    Page(
        "database-unavailable",
        (),
        steps=_drawn(errors.service_unavailable, False),
        account=None,
        area="errors",
    ),
]

#: Named URLs that are no page of their own.
FRAGMENT = "an HTMX fragment of a page audited whole"
POST_ONLY = "POST only: answers with a redirect or a fragment"
EXCLUDED = {
    "goals:summary": FRAGMENT,
    "goals:active": FRAGMENT,
    "goals:archived": FRAGMENT,
    "goals:deleted": FRAGMENT,
    "goals:progress": FRAGMENT,
    "goals:chart": FRAGMENT,
    "goals:measurements": FRAGMENT,
    "goals:history": FRAGMENT,
    "goals:card": FRAGMENT,
    "goals:export": "a file download (CSV, JSON)",
    "goals:archive": POST_ONLY,
    "goals:restore": POST_ONLY,
    "goals:undelete": POST_ONLY,
    "measurements:measurements": FRAGMENT,
    "measurements:chart": FRAGMENT,
    "measurements:row": FRAGMENT,
    "measurements:record": POST_ONLY,
    "measurements:delete": POST_ONLY,
    "measurements:undelete": POST_ONLY,
    "measurements:export": "a file download (CSV, JSON)",
    "accounts:logout": POST_ONLY,
    "accounts:email_resend": POST_ONLY,
    "accounts:email_remove": POST_ONLY,
    "accounts:api_token_revoke": POST_ONLY,
    "sources:sync": POST_ONLY,
    "sources:run": FRAGMENT,
    "sources:row": FRAGMENT,
    "sources:pause": POST_ONLY,
    "sources:retry": POST_ONLY,
    "sources:hook": "the receiver of signed webhooks: JSON for machines",
    "webhooks:log": FRAGMENT,
    "webhooks:test": POST_ONLY,
    "webhooks:resend": POST_ONLY,
    "webhooks:enabled": POST_ONLY,
    "webhooks:rotate": POST_ONLY + " (the new secret shows on the endpoint's page)",
    "webhooks:delete": POST_ONLY,
    "notifications:log_fragment": FRAGMENT,
    "notifications:email_resume": POST_ONLY,
    "notifications:push_subscribe": "JSON for the page's script",
    "notifications:push_unsubscribe": "JSON for the page's script",
    "notifications:snooze": POST_ONLY,
    "events:stream": "the live pages' event stream",
    "events:since": "the live pages' event catch-up, JSON",
    "service-worker": "JavaScript",
}
#: Whole namespaces that are no page of the product's own.
EXCLUDED_NAMESPACES = {
    "api": "the JSON API (its docs page is audited)",
    "admin": "Django's admin site, for the operator's staff",
}


def named_urls() -> set[str]:
    """Every named URL of the site, as "namespace:name"."""
    names: set[str] = set()

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                namespace = pattern.namespace
                walk(pattern.url_patterns, f"{prefix}{namespace}:" if namespace else prefix)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(prefix + pattern.name)

    walk(get_resolver().url_patterns, "")
    return names


def uncovered() -> tuple[list[str], list[str]]:
    """(named URLs neither audited nor excluded, listed names that no longer exist)."""
    names = named_urls()
    covered = {name for page in PAGES for name in page.covers}
    left = sorted(
        name
        for name in names - covered - EXCLUDED.keys()
        if name.split(":")[0] not in EXCLUDED_NAMESPACES
    )
    stale = sorted((covered | EXCLUDED.keys()) - names)
    return left, stale
