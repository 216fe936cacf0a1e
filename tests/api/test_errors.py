"""Every API error has one shape, `{"error": {code, message, phase, correlation_id,
fields}}`, the `X-Request-ID` header names the same correlation id, and nothing under
`/api/` answers with a 500 or with HTML. Real requests through the middleware stack,
against the real database."""

import datetime as dt

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from measurements.models import Measurement, Metric
from tests.api.conftest import ApiClient, token_for
from tests.factories import PASSWORD, GoalFactory, MeasurementFactory, MetricFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("empty_cache")]

ERROR_KEYS = {"code", "message", "phase", "correlation_id", "fields"}
PHASES = {"authenticate", "validate", "authorize", "plan", "execute", "render"}


@pytest.fixture
def metric(owner):
    return MetricFactory(owner=owner, unit="kg")


def error_of(response, status: int, code: str) -> dict:
    """The error body of `response`, after checking its status and its one shape."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == ERROR_KEYS, error
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"].strip()
    assert error["phase"] is None or error["phase"] in PHASES, error
    assert error["correlation_id"] and error["correlation_id"] == response["X-Request-ID"]
    assert isinstance(error["fields"], list)
    for field in error["fields"]:
        assert {"field", "message", "code"} <= set(field), field
    return error


def client_error_of(response) -> dict:
    """The error body of a 4xx `response` with whatever code fits, in the one shape."""
    assert 400 <= response.status_code < 500, (response.status_code, response.content)
    assert response["Content-Type"].startswith("application/json"), (
        response.status_code,
        response["Content-Type"],
        response.content,
    )
    return error_of(response, response.status_code, response.json()["error"]["code"])


def fields_of(error: dict) -> set[str]:
    return {field["field"] for field in error["fields"]}


def raw_post(client, path: str, body: bytes | str, content_type="application/json", **kwargs):
    return client.generic("POST", f"/api/v1/{path}", body, content_type=content_type, **kwargs)


# 400: the body is not JSON the API takes


def test_malformed_json_is_a_400_that_says_where(api, metric):
    response = raw_post(api, "measurements", b'{"metric_id": 1,\n "value": }')
    error = error_of(response, 400, "bad_request")
    assert "not valid JSON" in error["message"]
    assert "line 2" in error["message"] and "column" in error["message"], error["message"]
    assert not Measurement.objects.exists()


def test_a_body_that_is_not_utf8_is_a_400(api, metric):
    response = raw_post(api, "measurements", b'{"metric_id": 1, "note": "\xff\xfe"}')
    error_of(response, 400, "bad_request")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_in_the_body_are_a_400(api, metric, constant):
    body = f'{{"metric_id": {metric.id}, "value": {constant}}}'
    error = error_of(raw_post(api, "measurements", body), 400, "bad_request")
    assert constant.lstrip("-") in error["message"]
    assert not Measurement.objects.exists()


def test_an_empty_body_on_a_post_is_a_4xx_not_a_500(api):
    response = raw_post(api, "metrics", b"")
    assert response.status_code in {400, 422}
    client_error_of(response)


def test_a_malformed_idempotency_key_is_a_400(api, metric):
    response = api.call(
        "post",
        "measurements",
        {"metric_id": metric.id, "value": 80},
        headers={"Idempotency-Key": "x" * 256},
    )
    error = error_of(response, 400, "bad_request")
    assert fields_of(error) == {"Idempotency-Key"}


# 401: who is calling?


def test_no_credentials_is_a_401(db):
    error = error_of(Client().get("/api/v1/metrics"), 401, "unauthenticated")
    assert "Bearer" in error["message"]


def test_no_credentials_on_a_post_is_a_401_and_writes_nothing(metric):
    response = Client().post(
        "/api/v1/measurements",
        {"metric_id": metric.id, "value": 1},
        content_type="application/json",
    )
    error_of(response, 401, "unauthenticated")
    assert not Measurement.objects.exists()


@pytest.mark.parametrize(
    "header",
    [
        "Bearer gt_not-a-token-that-exists",
        "Bearer not-even-the-prefix",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "gt_without_a_scheme",
    ],
)
def test_a_bad_token_is_a_401(db, header):
    response = Client(headers={"Authorization": header}).get("/api/v1/metrics")
    error = error_of(response, 401, "unauthenticated")
    assert error["phase"] == "authenticate"


def test_a_revoked_token_is_a_401(owner):
    secret = token_for(owner)
    client = ApiClient(secret)
    assert client.call("get", "metrics").status_code == 200
    owner.api_tokens.update(revoked="2026-01-01T00:00:00Z")
    error_of(client.call("get", "metrics"), 401, "unauthenticated")


def test_the_token_of_a_deactivated_user_is_a_401(owner, api):
    owner.is_active = False
    owner.save(update_fields=["is_active"])
    error_of(api.call("get", "metrics"), 401, "unauthenticated")


# 404: there is nothing here, or it is not yours


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "metrics/987654", None),
        ("patch", "metrics/987654", {"name": "x"}),
        ("delete", "metrics/987654", None),
        ("get", "measurements/987654", None),
        ("patch", "measurements/987654", {"note": "x"}),
        ("delete", "measurements/987654", None),
        ("post", "measurements", {"metric_id": 987654, "value": 1}),
    ],
)
def test_an_unknown_id_is_a_404(api, method, path, body):
    error_of(api.call(method, path, body), 404, "not_found")


def test_another_users_metric_and_measurement_are_a_404(api, stranger_api, owner):
    metric = MetricFactory(owner=owner)
    measurement = MeasurementFactory(metric=metric)
    for path in (f"metrics/{metric.id}", f"measurements/{measurement.id}"):
        error_of(stranger_api.call("get", path), 404, "not_found")
        error_of(stranger_api.call("delete", path), 404, "not_found")
    assert Metric.objects.filter(id=metric.id).exists()
    assert Measurement.objects.filter(id=measurement.id).exists()


def test_an_id_beyond_any_integer_column_is_a_404_not_a_500(api):
    error_of(api.call("get", f"metrics/{2**63}"), 404, "not_found")
    error_of(api.call("get", f"measurements/{2**64}"), 404, "not_found")


def test_a_metric_id_beyond_any_integer_column_filters_to_nothing(api):
    response = api.call("get", f"measurements?metric_id={2**66}")
    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}


def test_an_unknown_route_is_a_json_404(api):
    error_of(api.call("get", "/api/v1/no-such-thing"), 404, "not_found")
    error_of(api.call("get", "/api/no-such-version/metrics"), 404, "not_found")


# 409: the change conflicts with what is stored


def test_deleting_a_metric_that_goals_use_is_a_409(api, owner, metric):
    GoalFactory(metric=metric)
    error = error_of(api.call("delete", f"metrics/{metric.id}"), 409, "conflict")
    assert "goal" in error["message"].lower()
    assert Metric.objects.filter(id=metric.id).exists()


def test_a_second_measurement_with_the_same_external_id_is_a_409(api, metric):
    body = {
        "metric_id": metric.id,
        "value": 80,
        "measured_at": "2026-01-05T07:00:00Z",
        "external_id": "scale-1",
    }
    assert api.call("post", "measurements", body).status_code == 201
    error_of(api.call("post", "measurements", {**body, "value": 81}), 409, "conflict")
    assert Measurement.objects.count() == 1


# 413: too large


@override_settings(API_MAX_BODY_BYTES=200)
def test_a_body_over_the_limit_is_a_413(api, metric):
    response = api.call(
        "post", "measurements", {"metric_id": metric.id, "value": 1, "note": "n" * 300}
    )
    error = error_of(response, 413, "payload_too_large")
    assert "200" in error["message"]
    assert not Measurement.objects.exists()


@override_settings(API_MAX_BODY_BYTES=200)
def test_a_body_over_the_limit_is_a_413_before_authentication(db):
    response = raw_post(Client(), "measurements", b"{" + b" " * 300 + b"}")
    error_of(response, 413, "payload_too_large")


# 415: JSON only


def test_a_form_encoded_body_is_a_415(api, metric):
    response = raw_post(
        api, "measurements", f"metric_id={metric.id}&value=80", "application/x-www-form-urlencoded"
    )
    error = error_of(response, 415, "unsupported_media_type")
    assert "application/json" in error["message"]
    assert not Measurement.objects.exists()


def test_a_multipart_body_is_a_415(api, metric):
    response = api.post("/api/v1/measurements", {"metric_id": metric.id, "value": 80})
    error_of(response, 415, "unsupported_media_type")
    assert not Measurement.objects.exists()


def test_a_text_plain_body_is_a_415(api, metric):
    body = f'{{"metric_id": {metric.id}, "value": 80}}'
    error_of(raw_post(api, "measurements", body, "text/plain"), 415, "unsupported_media_type")
    assert not Measurement.objects.exists()


def test_json_with_a_charset_is_accepted(api, metric):
    body = f'{{"metric_id": {metric.id}, "value": 80}}'
    response = raw_post(api, "measurements", body, "application/json; charset=utf-8")
    assert response.status_code == 201, response.content


# 422: JSON, but not what the operation takes


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"colour": "blue"}, "colour"),
        ({"value": "eighty"}, "value"),
        ({"value": [80]}, "value"),
        ({"metric_id": "one"}, "metric_id"),
        ({"measured_at": "2026-01-05T07:00:00"}, "measured_at"),
        ({"measured_at": "yesterday"}, "measured_at"),
        ({"value": "NaN"}, "value"),
        ({"value": "Infinity"}, "value"),
        ({"note": "n" * 501}, "note"),
    ],
)
def test_a_body_the_operation_does_not_take_is_a_422_naming_the_field(api, metric, changes, field):
    body = {"metric_id": metric.id, "value": 80, **changes}
    error = error_of(api.call("post", "measurements", body), 422, "validation_failed")
    assert field in fields_of(error), error
    assert not Measurement.objects.exists()


def test_a_missing_field_is_a_422(api, metric):
    error = error_of(
        api.call("post", "measurements", {"metric_id": metric.id}), 422, "validation_failed"
    )
    assert fields_of(error) == {"value"}


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"null", b"42"])
def test_a_body_that_is_not_an_object_is_a_4xx(api, body):
    response = raw_post(api, "metrics", body)
    assert response.status_code in {400, 422}, response.content
    client_error_of(response)


@pytest.mark.parametrize("value", ["1000000000000", "-1e15", "1E+999999"])
def test_a_value_too_large_to_store_is_a_422(api, metric, value):
    body = f'{{"metric_id": {metric.id}, "value": {value}}}'
    error = error_of(raw_post(api, "measurements", body), 422, "validation_failed")
    assert "value" in fields_of(error), error
    assert not Measurement.objects.exists()


def test_a_value_too_large_to_store_when_patched_is_a_422(api, metric):
    measurement = MeasurementFactory(metric=metric)
    error = error_of(
        api.call("patch", f"measurements/{measurement.id}", {"value": 10**15}),
        422,
        "validation_failed",
    )
    assert "value" in fields_of(error), error


@pytest.mark.parametrize("name", ["   ", "\t\n"])
def test_a_blank_metric_name_is_a_422_on_name(api, name):
    error = error_of(
        api.call("post", "metrics", {"name": name, "unit": "kg"}), 422, "validation_failed"
    )
    assert fields_of(error) == {"name"}
    assert not Metric.objects.exists()


def test_renaming_a_metric_to_a_blank_name_is_a_422_on_name(api, metric):
    response = api.call("patch", f"metrics/{metric.id}", {"name": "   "})
    error = error_of(response, 422, "validation_failed")
    assert fields_of(error) == {"name"}


def test_a_unit_that_does_not_convert_is_a_422_on_unit(api, metric):
    body = {"metric_id": metric.id, "value": 5, "unit": "km"}
    error = error_of(api.call("post", "measurements", body), 422, "validation_failed")
    assert fields_of(error) == {"unit"}


@pytest.mark.parametrize(("value", "unit"), [(-3, ""), (-3, "lb")])
def test_a_negative_weight_is_refused_while_validating_the_value(api, metric, value, unit):
    body = {"metric_id": metric.id, "value": value, "unit": unit}
    error = error_of(api.call("post", "measurements", body), 422, "validation_failed")
    assert error["phase"] == "validate"
    assert "cannot be negative" in error["message"]


def test_a_time_in_the_future_is_a_422_on_measured_at(api, metric):
    body = {"metric_id": metric.id, "value": 80, "measured_at": "2999-01-01T00:00:00Z"}
    error = error_of(api.call("post", "measurements", body), 422, "validation_failed")
    assert fields_of(error) == {"measured_at"}


BEFORE_YEAR_ONE_IN_UTC = "0001-01-01T00:00:00+01:00"


def test_a_time_before_year_one_in_utc_is_a_422_not_a_500(api, metric):
    body = {"metric_id": metric.id, "value": 80, "measured_at": BEFORE_YEAR_ONE_IN_UTC}
    error = error_of(api.call("post", "measurements", body), 422, "validation_failed")
    assert fields_of(error) == {"measured_at"}
    assert not Measurement.objects.exists()


def test_a_batch_item_before_year_one_in_utc_is_rejected_not_a_500(api, metric):
    item = {"metric_id": metric.id, "value": 80, "measured_at": BEFORE_YEAR_ONE_IN_UTC}
    response = api.call("post", "measurements/batch", {"items": [item]})
    assert response.status_code == 200, response.content
    assert response.json()["rejected"] == 1
    assert not Measurement.objects.exists()
    # (on PostgreSQL such a row, once stored, made every later list of measurements a 500)
    assert api.call("get", "measurements").status_code == 200


def test_a_list_filter_before_year_one_in_utc_is_not_a_500(api):
    response = api.call("get", "measurements", data={"since": BEFORE_YEAR_ONE_IN_UTC})
    if response.status_code != 200:
        error_of(response, 422, "validation_failed")


@pytest.mark.parametrize(
    "query",
    [
        {"limit": 0},
        {"limit": 1001},
        {"since": "2026-01-01T00:00:00"},
        {"metric_id": "weight"},
    ],
)
def test_bad_list_filters_are_a_422(api, query):
    error_of(api.call("get", "measurements", data=query), 422, "validation_failed")


def test_a_garbled_cursor_is_a_4xx_not_a_500(api):
    client_error_of(api.call("get", "measurements", data={"cursor": "!!not-a-cursor!!"}))


# 429: slow down


@override_settings(API_RATE_LIMIT="3/m")
def test_over_the_rate_limit_is_a_429_with_retry_after(api):
    for _ in range(3):
        assert api.call("get", "metrics").status_code == 200
    response = api.call("get", "metrics")
    error_of(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 60
    # a refused request does not write anything either
    assert api.call("post", "metrics", {"name": "Weight", "unit": "kg"}).status_code == 429
    assert not Metric.objects.exists()


@override_settings(API_RATE_LIMIT="3/m")
def test_the_rate_limit_is_per_token(api, stranger_api):
    for _ in range(3):
        api.call("get", "metrics")
    assert api.call("get", "metrics").status_code == 429
    assert stranger_api.call("get", "metrics").status_code == 200


# The correlation id


def test_a_sane_client_request_id_is_the_correlation_id(api):
    response = api.call("get", "metrics/987654", headers={"X-Request-ID": "client-req-0001"})
    error = error_of(response, 404, "not_found")
    assert error["correlation_id"] == "client-req-0001"


def test_an_insane_client_request_id_is_replaced(api):
    response = api.call("get", "metrics/987654", headers={"X-Request-ID": "bad id\twith tabs"})
    error = error_of(response, 404, "not_found")
    assert error["correlation_id"] != "bad id\twith tabs"


def test_each_request_has_its_own_correlation_id(api):
    first = error_of(api.call("get", "metrics/987654"), 404, "not_found")
    second = error_of(api.call("get", "metrics/987654"), 404, "not_found")
    assert first["correlation_id"] != second["correlation_id"]


# Never a 500, never HTML


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "metrics"),
        ("DELETE", "metrics"),
        ("PATCH", "measurements"),
        ("GET", "measurements/batch"),
        ("PUT", "measurements/batch"),
    ],
)
def test_a_method_the_route_does_not_take_is_a_json_405(api, method, path):
    response = api.generic(method, f"/api/v1/{path}", b"{}", content_type="application/json")
    assert response.status_code == 405, response.content
    client_error_of(response)


@pytest.mark.parametrize(
    ("method", "path", "body", "content_type"),
    [
        ("GET", "metrics/abc", b"", "application/json"),
        ("POST", "measurements/batch", b'{"items": {"a": 1}}', "application/json"),
        ("POST", "metrics", b'{"name": "' + b"x" * 100 + b'", "unit": "kg"}', "application/json"),
        (
            "POST",
            "measurements",
            b'{"metric_id": 99999999999999999999999, "value": 1}',
            "application/json",
        ),
        ("POST", "measurements", b'{"metric_id": 1, "value": 1e400}', "application/json"),
        ("POST", "measurements", b"\x00\x01\x02", "application/json"),
        ("POST", "measurements", b"{}", "application/xml"),
    ],
)
def test_odd_requests_get_a_json_error_never_a_500_or_html(api, method, path, body, content_type):
    client_error_of(api.generic(method, f"/api/v1/{path}", body, content_type=content_type))


def test_an_unexpected_exception_is_a_json_500_with_phase_and_correlation(api, metric, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("boom: internal detail")

    monkeypatch.setattr("measurements.api.record_measurement", explode)
    response = api.call("post", "measurements", {"metric_id": metric.id, "value": 80})
    error = error_of(response, 500, "internal_error")
    assert "boom" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert error["phase"] in PHASES


# Session authentication: the web's own session, with its CSRF token for writes


@pytest.fixture
def web(owner):
    client = Client(enforce_csrf_checks=True)
    assert client.login(username=owner.username, password=PASSWORD)
    return client


def csrf_token_of(client) -> str:
    assert client.get(reverse("accounts:api_tokens")).status_code == 200
    return client.cookies["csrftoken"].value


def test_a_signed_in_session_can_read(web, metric):
    response = web.get("/api/v1/metrics")
    assert response.status_code == 200, response.content
    assert [m["id"] for m in response.json()] == [metric.id]


def test_a_session_post_without_the_csrf_token_is_a_403(web, metric):
    response = web.post(
        "/api/v1/measurements",
        {"metric_id": metric.id, "value": 80},
        content_type="application/json",
    )
    error_of(response, 403, "permission_denied")
    assert not Measurement.objects.exists()


def test_a_session_post_with_the_csrf_token_works(web, metric):
    token = csrf_token_of(web)
    response = web.post(
        "/api/v1/measurements",
        {"metric_id": metric.id, "value": 80},
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 201, response.content
    assert Measurement.objects.get().source == "api"


def test_a_session_with_a_wrong_csrf_token_is_a_403(web, metric):
    csrf_token_of(web)
    response = web.post(
        "/api/v1/measurements",
        {"metric_id": metric.id, "value": 80},
        content_type="application/json",
        headers={"X-CSRFToken": "x" * 32},
    )
    error_of(response, 403, "permission_denied")
    assert not Measurement.objects.exists()


def test_a_bearer_token_needs_no_csrf_token(owner, metric):
    client = ApiClient(token_for(owner), enforce_csrf_checks=True)
    response = client.call("post", "measurements", {"metric_id": metric.id, "value": 80})
    assert response.status_code == 201, response.content


def test_a_bad_token_is_refused_even_with_a_good_session(web):
    web.defaults["HTTP_AUTHORIZATION"] = "Bearer gt_nope"
    error_of(web.get("/api/v1/metrics"), 401, "unauthenticated")


def test_a_session_of_another_user_sees_only_their_own(db, metric):
    stranger = UserFactory()
    client = Client()
    client.force_login(stranger)
    assert client.get("/api/v1/metrics").json() == []
    error_of(client.get(f"/api/v1/metrics/{metric.id}"), 404, "not_found")


@pytest.mark.django_db
def test_a_nul_character_anywhere_in_the_body_is_a_400_naming_it(api):
    response = api.call("post", "metrics", {"name": "Weigh\u0000t", "unit": "kg"})
    assert response.status_code == 400
    assert "NUL" in response.json()["error"]["message"]


@pytest.mark.django_db
@pytest.mark.parametrize("offset", ["+18:02", "-16:00"])
def test_any_utc_offset_is_stored_as_the_same_instant(api, owner, offset):
    metric = api.call("post", "metrics", {"name": "Sleep", "unit": "h"}).json()
    moment = f"2026-01-01T02:17:03{offset}"
    response = api.call(
        "post", "measurements", {"metric_id": metric["id"], "value": 7, "measured_at": moment}
    )
    assert response.status_code == 201, response.content
    stored = response.json()["measured_at"]
    assert dt.datetime.fromisoformat(stored) == dt.datetime.fromisoformat(moment)
    listed = api.call("get", "measurements", data={"since": moment})
    assert listed.status_code == 200


def test_every_operation_documents_what_the_http_server_refuses_before_the_api(client):
    """A request line over about 4 KB (414) or oversized headers (431) are answered by
    the server in its own words, so the schema names them with no body."""
    schema = client.get("/api/v1/openapi.json").json()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for status in ("414", "431"):
                assert operation["responses"][status].keys() == {"description"}, (method, path)
