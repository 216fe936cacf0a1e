"""An integer larger than any column holds (2**63 and beyond), in any path or query
parameter of any operation, answers in the API's error shape (or with an empty
result), never with a 500: SQLite refuses to bind such a number at all, PostgreSQL
raises on it. The operations and their parameters come from the API's own OpenAPI
schema, so an operation is covered as soon as it is added."""

from urllib.parse import urlencode

import pytest
from django.urls import URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter

from api.urls import api as ninja_api
from tests.api.conftest import ApiClient, token_for
from tests.factories import MeasurementFactory, MetricFactory, UserFactory

pytestmark = pytest.mark.django_db

HUGE = 2**63
PREFIX = "/api/v1"


def _is_integer(parameter: dict) -> bool:
    schema = parameter.get("schema", {})
    types = {schema.get("type")} | {option.get("type") for option in schema.get("anyOf", [])}
    return "integer" in types


def _operations_with_integer_parameters():
    schema = ninja_api.get_openapi_schema(path_prefix=PREFIX)
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            parameters = [p for p in operation.get("parameters", []) if _is_integer(p)]
            if parameters:
                yield pytest.param(method, path, parameters, id=f"{method.upper()} {path}")


OPERATIONS = list(_operations_with_integer_parameters())


def test_the_schema_has_integer_parameters_in_paths_and_queries():
    places = {p["in"] for operation in OPERATIONS for p in operation.values[2]}
    assert places == {"path", "query"}
    assert len(OPERATIONS) >= 15


@pytest.fixture
def api(db):
    return ApiClient(token_for(UserFactory()))


def _one_huge_each(operations):
    """Each integer parameter of each operation on its own beyond any column, the
    others at an id that may exist: a condition that can be false on its own (`id =
    2**63`) must not hide another that cannot be bound."""
    for operation in operations:
        method, path, parameters = operation.values
        for parameter in parameters:
            yield pytest.param(
                method,
                path,
                parameters,
                parameter["name"],
                id=f"{operation.id} {parameter['name']}",
            )


@pytest.mark.parametrize(
    ("method", "path", "parameters", "huge_one"), list(_one_huge_each(OPERATIONS))
)
@pytest.mark.parametrize("huge", [HUGE, 2**64 + 7, -(2**63) - 1])
def test_an_integer_beyond_any_column_is_not_a_server_error(
    api, method, path, parameters, huge_one, huge
):
    query = {}
    for parameter in parameters:
        value = str(huge if parameter["name"] == huge_one else 1)
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", value)
        elif parameter["in"] == "query":
            query[parameter["name"]] = value
    body = {} if method in {"post", "put", "patch"} else None
    response = api.call(method, path, body, QUERY_STRING=urlencode(query))
    assert response.status_code < 500, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json"), response.content[:200]


@pytest.mark.parametrize("cursor", [f"0.{HUGE}", f"-5.-{HUGE}", f"{HUGE}.{HUGE}"])
def test_a_cursor_naming_an_id_beyond_any_column_is_refused(api, cursor):
    response = api.call("get", "measurements", QUERY_STRING=f"cursor={cursor}")
    assert response.status_code == 422, response.content[:500]
    assert response.json()["error"]["fields"][0]["field"] == "cursor"


def test_the_history_page_reads_such_a_cursor_as_the_first_page(client):
    owner = UserFactory()
    metric = MetricFactory(owner=owner)
    MeasurementFactory(metric=metric, value=81)
    client.force_login(owner)
    response = client.get(f"/metrics/{metric.id}/", {"after": f"0.{HUGE}"})
    assert response.status_code == 200
    assert "81" in response.content.decode()


def _pages_with_integer_parts(resolver=None, namespace=""):
    """Every named page whose path takes an integer (`<int:…>`), outside the API."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            if entry.namespace != "api":
                yield from _pages_with_integer_parts(entry, inner)
        elif entry.name:
            converters = entry.pattern.converters
            names = [name for name, kind in converters.items() if isinstance(kind, IntConverter)]
            if names:
                others = {name: OTHER_PARTS[name] for name in converters if name not in names}
                yield pytest.param(
                    f"{namespace}{entry.name}", names, others, id=f"{namespace}{entry.name}"
                )


#: Values for the parts of those paths that are not integers.
OTHER_PARTS = {"fmt": "csv"}


PAGES = list(_pages_with_integer_parts())


@pytest.mark.parametrize(("name", "parts", "others"), PAGES)
def test_a_page_given_an_id_beyond_any_column_shows_nothing(client, name, parts, others):
    client.force_login(UserFactory())
    for huge_one in parts:
        ids = {part: HUGE if part == huge_one else 1 for part in parts}
        url = reverse(name, kwargs={**ids, **others})
        for method in (client.get, client.post):
            status = method(url).status_code
            assert status in {400, 404, 405, 422}, (method.__name__, url, status)
