"""The cost of one API write: a measurement POST with a bearer token makes no database
round trip for the rate limit (Redis, or a count in process reconciled every so many
requests with the shared cache), one for the token, and notes the token's use at most once a
minute. The limit still refuses over the limit, with Redis and without, and a revoked
token is refused at once by every worker of a real server."""

import re
import urllib.error
import urllib.request
import uuid

import pytest
import redis
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.contracts import ApiTokenRef
from accounts.models import ApiToken
from accounts.orchestrators import revoke_api_token
from api import limits
from tests import processes
from tests.api.conftest import ApiClient, token_for
from tests.factories import MetricFactory, UserFactory

REDIS_URL = "redis://127.0.0.1:6379/0"
#: Queries of a measurement POST with a token the server saw a moment ago: the token,
#: then the record path (which owns the rest; change this number with it). With the
#: throttle on the database cache (six statements) and a `last_used` UPDATE on every
#: request, the same POST made 7 more: 24 on PostgreSQL, 23 on SQLite (no NOTIFY). The
#: rollup's addition (one statement) and a savepoint fewer around the insert are in
#: these numbers; on PostgreSQL the events are ordered, announced and written in one,
#: which also reads the owner's webhook endpoints (a statement of its own on SQLite).
#: The goals a value falls outside of come from the goals the write judges (no read of
#: their own). On PostgreSQL, the measurement, its audit entry and its bucket are one
#: statement (three on SQLite). The metric is read once, by the view, with the goals
#: over it, and passed down; the answer is built from what the write returned, not
#: read again.
QUERIES_PER_POST = {"postgresql": 7, "sqlite": 10}[connection.vendor]
#: The same with an `Idempotency-Key`: claiming it (one INSERT ... ON CONFLICT DO
#: NOTHING; in a savepoint it cost three), storing the answer (one UPDATE). It made 8
#: more (29, 28): the above, and a DELETE of expired keys before every claim.
QUERIES_PER_KEYED_POST = QUERIES_PER_POST + 2
#: A report to the database cache: read the window, then write it (count the cache's
#: rows, a savepoint, read the key, write it, release the savepoint).
REPORT_QUERIES = 6
#: What the API's own plumbing may cost on a warm token, by table.
PLUMBING = {"accounts_apitoken": 1, "cache": 0, "api_idempotencyrecord": 2}


def redis_reachable() -> bool:
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.RedisError:
        return False


needs_redis = pytest.mark.skipif(not redis_reachable(), reason=f"no Redis answers at {REDIS_URL}")


@pytest.fixture(autouse=True)
def fresh_windows(db):
    cache.clear()
    limits.reset_local()
    yield
    cache.clear()
    limits.reset_local()


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own in the real Redis, removed afterwards."""
    prefix = f"test-api-rate-{uuid.uuid4().hex}:"
    yield prefix
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


@pytest.fixture
def metric(owner):
    return MetricFactory(owner=owner, unit="kg")


def post_measurement(api, metric, value=80):
    return api.call("post", "measurements", {"metric_id": metric.id, "value": value})


# The cost of one write


def test_a_measurement_post_without_redis(api, metric, django_assert_num_queries):
    assert post_measurement(api, metric).status_code == 201
    with django_assert_num_queries(QUERIES_PER_POST):
        assert post_measurement(api, metric, 81).status_code == 201


def test_a_measurement_post_with_an_idempotency_key(api, metric, django_assert_num_queries):
    assert post_measurement(api, metric).status_code == 201
    with django_assert_num_queries(QUERIES_PER_KEYED_POST):
        response = api.call(
            "post",
            "measurements",
            {"metric_id": metric.id, "value": 81},
            headers={"Idempotency-Key": "k-1"},
        )
    assert response.status_code == 201


def test_the_plumbing_costs_the_token_and_the_key_only(api, metric):
    """Whatever the record path costs: one token lookup, nothing for the rate limit,
    and two statements for the key."""
    assert post_measurement(api, metric).status_code == 201
    with CaptureQueriesContext(connection) as queries:
        response = api.call(
            "post",
            "measurements",
            {"metric_id": metric.id, "value": 81},
            headers={"Idempotency-Key": "k-1"},
        )
    assert response.status_code == 201
    touched = {
        table: sum(
            1
            for query in queries.captured_queries
            if re.search(rf'\b(FROM|INTO|UPDATE) "?{table}"?\s', query["sql"])
        )
        for table in PLUMBING
    }
    assert touched == PLUMBING


@needs_redis
def test_a_measurement_post_with_redis(api, metric, redis_prefix, django_assert_num_queries):
    with override_settings(REDIS_URL=REDIS_URL, API_RATE_LIMIT_KEY_PREFIX=redis_prefix):
        assert post_measurement(api, metric).status_code == 201
        with django_assert_num_queries(QUERIES_PER_POST):
            assert post_measurement(api, metric, 81).status_code == 201


def test_the_tokens_use_is_noted_once_a_minute(api, owner, metric):
    post_measurement(api, metric)
    token = ApiToken.objects.get(user=owner)
    first_use = token.last_used
    assert first_use is not None
    post_measurement(api, metric, 81)
    token.refresh_from_db()
    assert token.last_used == first_use

    ApiToken.objects.filter(id=token.id).update(last_used=first_use - timezone.timedelta(minutes=2))
    post_measurement(api, metric, 82)
    token.refresh_from_db()
    assert token.last_used > first_use


# The limit, with Redis


@needs_redis
def test_redis_refuses_over_the_limit(api, owner, redis_prefix):
    with override_settings(
        REDIS_URL=REDIS_URL, API_RATE_LIMIT="3/m", API_RATE_LIMIT_KEY_PREFIX=redis_prefix
    ):
        statuses = [api.call("get", "metrics").status_code for _ in range(4)]
        refused = api.call("get", "metrics")
        other_client = ApiClient(token_for(owner)).call("get", "metrics")
    assert statuses == [200, 200, 200, 429]
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 55 <= int(refused["Retry-After"]) <= 60
    assert other_client.status_code == 200
    token = ApiToken.objects.filter(user=owner).order_by("id").first()
    assert int(redis.Redis.from_url(REDIS_URL).get(f"{redis_prefix}token-{token.id}")) == 5


@needs_redis
def test_the_redis_window_closes(api, redis_prefix):
    with override_settings(
        REDIS_URL=REDIS_URL, API_RATE_LIMIT="2/s", API_RATE_LIMIT_KEY_PREFIX=redis_prefix
    ):
        assert [api.call("get", "metrics").status_code for _ in range(3)] == [200, 200, 429]
        processes.wait_until(
            lambda: api.call("get", "metrics").status_code == 200,
            timeout=3,
            what="the window to close",
        )


@override_settings(REDIS_URL="redis://127.0.0.1:1/0", API_RATE_LIMIT="3/m")
def test_an_unreachable_redis_still_limits_in_process(api):
    statuses = [api.call("get", "metrics").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


# The limit, without Redis: counted in process, reconciled through the cache


@override_settings(API_RATE_LIMIT="3/m")
def test_without_redis_one_process_counts_exactly(api):
    statuses = [api.call("get", "metrics").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]


@override_settings(API_RATE_LIMIT_SYNC_REQUESTS=5)
def test_processes_share_the_window_within_the_documented_bound():
    """Three processes (three counters on one shared cache) let a client through at
    most the limit plus 3 x API_RATE_LIMIT_SYNC_REQUESTS times in a window, and each
    learns the others' requests when it reconciles."""
    workers = [limits.LocalCounter() for _ in range(3)]
    now = limits.clock()
    allowed = 0
    for turn in range(300):
        decision = workers[turn % 3].check("token-1", 60, 60, now + turn * 0.01)
        allowed += decision.allowed
    assert 60 <= allowed <= 60 + 3 * 5
    late = limits.LocalCounter()
    assert not late.check("token-1", 60, 60, now + 5).allowed


@override_settings(API_RATE_LIMIT_SYNC_REQUESTS=5)
def test_a_refusing_process_reports_what_it_let_through():
    """A process that refuses adds its unreported requests to the shared window, so a
    process that counts the client next knows them."""
    first = limits.LocalCounter()
    now = limits.clock()
    assert [first.check("user-7", 3, 60, now + n).allowed for n in range(4)] == [
        True,
        True,
        True,
        False,
    ]
    assert not limits.LocalCounter().check("user-7", 3, 60, now + 5).allowed
    assert limits.LocalCounter().check("user-7", 3, 60, now + 61).allowed


def queries_of(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        call()
    return len(queries)


@override_settings(API_RATE_LIMIT_SYNC_REQUESTS=3)
def test_the_same_requests_make_the_same_queries(api):
    """The in-process count reaches the cache on a client's first request (one read)
    and on every third it lets through (a report), whatever the time."""
    counts = [queries_of(lambda: api.call("get", "metrics")) for _ in range(7)]
    plain = counts[1]
    report = REPORT_QUERIES
    # The first also notes the token's use.
    assert counts == [plain + 2, plain, plain + report, plain, plain, plain + report, plain]


# Revocation, across the workers of a real server


def http_call(port: int, secret: str, path: str = "/api/v1/metrics") -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {secret}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.django_db(transaction=True)
def test_a_revoked_token_is_refused_at_once_by_every_worker(tmp_path):
    """The token is looked up in the database on every request, so no worker keeps a
    revoked token alive, however recently it saw it."""
    user = UserFactory()
    secret = token_for(user)
    port = processes.free_port()
    server = processes.serve(
        processes.web_server(port, workers=2), tmp_path / "web.log", port=port, timeout=120
    )
    try:
        assert {http_call(port, secret) for _ in range(20)} == {200}
        token = ApiToken.objects.get(user=user)
        revoke_api_token(ApiTokenRef(token_id=token.id), actor_id=user.id, now=timezone.now())
        after = [http_call(port, secret) for _ in range(20)]
    finally:
        processes.stop(server, processes.GRACEFUL_SECONDS + 5)
    assert after == [401] * 20
