import json

from django.http import HttpResponse

from config.revalidation import GOALS_LIST, event_name, goal_key, metric_key, trigger_revalidation


def test_each_key_becomes_one_event():
    response = trigger_revalidation(HttpResponse(), [goal_key(42), metric_key(7), GOALS_LIST])
    assert json.loads(response["HX-Trigger"]) == {
        "goal-42-changed": None,
        "metric-7-changed": None,
        "goals-list-changed": None,
    }


def test_duplicate_keys_become_one_event_and_no_keys_no_header():
    assert event_name("goals:summary") == "goals-summary-changed"
    response = trigger_revalidation(HttpResponse(), [goal_key(1), goal_key(1)])
    assert list(json.loads(response["HX-Trigger"])) == ["goal-1-changed"]
    assert "HX-Trigger" not in trigger_revalidation(HttpResponse(), [])


def test_events_already_on_the_response_are_kept():
    response = HttpResponse(headers={"HX-Trigger": json.dumps({"toast": "Saved"})})
    trigger_revalidation(response, [goal_key(3)])
    assert json.loads(response["HX-Trigger"]) == {"toast": "Saved", "goal-3-changed": None}
