"""`/api/v1/webhooks`: endpoints (the secret in the creating answer only), their
delivery logs, test events and resends, in the API's one error shape; another user's
endpoint does not exist; the schema names the operations."""

import pytest
from django.utils import timezone

from webhooks.models import Delivery, DeliveryStatus, Endpoint

URL = "https://hooks.example.com/goaltrack"


def create(api, **fields):
    body = {"url": URL, "description": "Zapier", "event_types": ["goal.created"], **fields}
    return api.call("post", "webhooks", body)


def test_create_read_list_patch_delete(api, owner):
    made = create(api)
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["secret"].startswith("whsec_")
    assert body["event_types"] == ["goal.created"] and body["enabled"] is True
    endpoint_id = body["id"]
    assert Endpoint.objects.get(id=endpoint_id).owner_id == owner.id

    one = api.call("get", f"webhooks/{endpoint_id}").json()
    assert "secret" not in one and one["url"] == URL
    assert [e["id"] for e in api.call("get", "webhooks").json()] == [endpoint_id]

    patched = api.call(
        "patch",
        f"webhooks/{endpoint_id}",
        {"event_types": ["measurement.recorded", "goal.created"], "enabled": False},
    )
    assert patched.status_code == 200
    assert patched.json()["event_types"] == ["goal.created", "measurement.recorded"]
    assert patched.json()["enabled"] is False and patched.json()["disabled_reason"] == ""

    assert api.call("delete", f"webhooks/{endpoint_id}").status_code == 204
    assert api.call("get", f"webhooks/{endpoint_id}").status_code == 404


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"url": "http://10.0.0.5/hook"}, "url", "private or local network"),
        ({"url": "not an address"}, "url", "starting with https://"),
        ({"event_types": []}, "event_types", ""),
        ({"event_types": ["webhook.test"]}, "event_types.0", ""),
        ({"secret": "whsec_mine"}, "secret", "not part of the request"),
    ],
)
def test_refusals_are_in_the_error_shape(api, fields, field, words):
    response = create(api, **fields)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed" and error["correlation_id"]
    messages = {f["field"]: f["message"] for f in error["fields"]}
    assert field in messages and words in messages[field]
    assert not Endpoint.objects.exists()


def test_rotating_the_secret_returns_the_new_one(api):
    made = create(api).json()
    rotated = api.call("post", f"webhooks/{made['id']}/secret", {})
    assert rotated.status_code == 200
    assert rotated.json()["secret"] not in (made["secret"], "")
    assert Endpoint.objects.get(id=made["id"]).previous_secret == made["secret"]


def test_a_test_event_then_its_log_and_a_resend(api):
    endpoint_id = create(api).json()["id"]
    sent = api.call("post", f"webhooks/{endpoint_id}/test", {})
    assert sent.status_code == 202
    delivery = sent.json()
    assert delivery["type"] == "webhook.test" and delivery["status"] == "pending"
    assert delivery["webhook_id"].startswith("msg_") and delivery["attempts"] == []

    pending = api.call("post", f"webhooks/{endpoint_id}/deliveries/{delivery['id']}/resend", {})
    assert pending.status_code == 409
    assert pending.json()["error"]["code"] == "conflict"

    Delivery.objects.filter(id=delivery["id"]).update(status=DeliveryStatus.FAILED)
    resent = api.call("post", f"webhooks/{endpoint_id}/deliveries/{delivery['id']}/resend", {})
    assert resent.status_code == 202 and resent.json()["status"] == "pending"

    log = api.call("get", f"webhooks/{endpoint_id}/deliveries").json()
    assert [d["id"] for d in log["items"]] == [delivery["id"]] and log["next_before"] is None


def test_the_delivery_log_pages(api, owner):
    endpoint_id = create(api).json()["id"]
    for n in range(3):
        Delivery.objects.create(
            endpoint_id=endpoint_id,
            type="goal.created",
            msg_id=f"msg_{n}",
            body="{}",
            created=timezone.now(),
        )
    first = api.call("get", f"webhooks/{endpoint_id}/deliveries?limit=2").json()
    assert [d["webhook_id"] for d in first["items"]] == ["msg_2", "msg_1"]
    rest = api.call(
        "get", f"webhooks/{endpoint_id}/deliveries?limit=2&before={first['next_before']}"
    ).json()
    assert [d["webhook_id"] for d in rest["items"]] == ["msg_0"] and rest["next_before"] is None


def test_a_disabled_endpoint_takes_no_test_event(api):
    endpoint_id = create(api).json()["id"]
    api.call("patch", f"webhooks/{endpoint_id}", {"enabled": False})
    refused = api.call("post", f"webhooks/{endpoint_id}/test", {})
    assert refused.status_code == 409 and "disabled" in refused.json()["error"]["message"]


def test_another_users_endpoint_does_not_exist(api, stranger_api):
    endpoint_id = create(api).json()["id"]
    delivery_id = api.call("post", f"webhooks/{endpoint_id}/test", {}).json()["id"]
    for method, path in [
        ("get", f"webhooks/{endpoint_id}"),
        ("patch", f"webhooks/{endpoint_id}"),
        ("delete", f"webhooks/{endpoint_id}"),
        ("post", f"webhooks/{endpoint_id}/secret"),
        ("post", f"webhooks/{endpoint_id}/test"),
        ("get", f"webhooks/{endpoint_id}/deliveries"),
        ("post", f"webhooks/{endpoint_id}/deliveries/{delivery_id}/resend"),
    ]:
        body = {} if method in ("patch", "post") else None
        response = stranger_api.call(method, path, body)
        assert response.status_code == 404, (method, path, response.content)
    assert stranger_api.call("get", "webhooks").json() == []


def test_the_schema_describes_the_operations(api):
    schema = api.call("get", "/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert {"/api/v1/webhooks", "/api/v1/webhooks/{endpoint_id}/deliveries"} <= set(paths)
    created = paths["/api/v1/webhooks"]["post"]["responses"]["201"]
    assert created["content"]["application/json"]["schema"]["$ref"].endswith("EndpointCreatedOut")
    types = schema["components"]["schemas"]["EventType"]["enum"]
    assert "measurement.recorded" in types and "webhook.test" not in types
