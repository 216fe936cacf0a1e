"""The poll a page falls back to (`GET /events/since`), the stream answered by a WSGI
server, and what a page tells its script: where to listen, and from which position."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from config.revalidation import event_name
from events.models import Event
from events.selectors import READ_LIMIT, changes_after
from tests.factories import GoalFactory, MetricFactory, UserFactory

from .conftest import record

pytestmark = pytest.mark.django_db

SINCE = "/events/since"


def position(user) -> int:
    return Event.objects.filter(owner=user).latest("id").id


def test_the_poll_answers_what_changed_after_a_position_as_the_stream_does(client):
    metric = MetricFactory()
    GoalFactory(metric=metric)
    client.force_login(metric.owner)
    record(metric)  # before the position: not in the answer
    start = position(metric.owner)
    first, first_request = record(metric, "80.1")
    record(MetricFactory())  # someone else's
    second, second_request = record(metric, "80.2")

    response = client.get(SINCE, {"after": start})

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {
        "position": position(metric.owner),
        "changes": [
            {"request": first_request, "events": sorted(map(event_name, first.affected))},
            {"request": second_request, "events": sorted(map(event_name, second.affected))},
        ],
    }


def test_the_poll_without_a_position_answers_the_current_one(client):
    metric = MetricFactory()
    client.force_login(metric.owner)
    record(metric)
    assert client.get(SINCE).json() == {"position": position(metric.owner), "changes": []}
    newcomer = UserFactory()
    client.force_login(newcomer)
    assert client.get(SINCE).json() == {"position": 0, "changes": []}


def test_the_poll_refuses_a_position_that_is_not_an_event_id(client):
    client.force_login(UserFactory())
    response = client.get(SINCE, {"after": "-1"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


def test_without_a_session_the_poll_and_the_stream_answer_401_not_the_login_page(client):
    for url in (SINCE, "/events/stream"):
        response = client.get(url)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthenticated"


def test_a_wsgi_server_answers_the_stream_with_204_so_the_page_polls(client):
    """A stream would hold a WSGI worker for as long as the page stays open; 204 tells
    `EventSource` not to reconnect."""
    client.force_login(UserFactory())
    response = client.get("/events/stream")
    assert response.status_code == 204


def test_a_long_absence_is_read_in_parts(client):
    metric = MetricFactory()
    for value in range(3):
        record(metric, str(70 + value))
    first = changes_after(owner_id=metric.owner_id, after=0, limit=2)
    rest = changes_after(owner_id=metric.owner_id, after=first.position, limit=2)
    assert first.more and not rest.more
    assert len(first.changes) == 2 and len(rest.changes) == 1
    assert rest.position == position(metric.owner)
    assert READ_LIMIT >= 100


def test_a_page_names_its_stream_its_poll_and_the_position_it_was_made_at(client):
    metric = MetricFactory()
    client.force_login(metric.owner)
    record(metric)
    page = client.get(reverse("goals:dashboard")).content.decode()
    assert (
        f'data-live-stream="/events/stream" data-live-since="/events/since" '
        f'data-live-position="{position(metric.owner)}"'
    ) in page
    assert 'src="/static/js/live.js"' in page


def test_a_page_for_someone_not_signed_in_has_no_live_updates(client):
    page = client.get(reverse("accounts:login")).content.decode()
    assert "data-live-" not in page
    assert "live.js" not in page


def test_a_fragment_asks_nothing_of_the_outbox(client):
    """Only a whole page reads the position; the fragments htmx fetches do not."""
    metric = MetricFactory()
    client.force_login(metric.owner)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("goals:summary"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert not [query for query in queries if "events_event" in query["sql"]]
