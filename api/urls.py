"""The JSON API, `/api/v1/`: the routers live beside their apps' views; this module
puts them together with authentication, the body parser and the error handlers. The
schema is at `/api/v1/openapi.json`, the interactive docs at `/api/v1/docs`, both
served from the app itself."""

from django.urls import path
from ninja import NinjaAPI, Swagger

from accounts.api import router as me
from goals.api import router as goals
from measurements.api import measurements, metrics
from webhooks.api import router as webhooks

from . import errors
from .auth import AUTH
from .parser import StrictJsonParser
from .renderer import ExactTimeRenderer

api = NinjaAPI(
    title="Goaltrack API",
    version="1",
    description=(
        "Record measurements and read progress. Authenticate with a personal token "
        "(`Authorization: Bearer gt_…`) or a signed-in session with its CSRF token. "
        "Every POST takes an `Idempotency-Key`. Numbers are strings, exact; times are "
        "ISO 8601 with their microseconds, in UTC (`Z`). Errors have one shape: "
        '`{"error": {"code", "message", "phase", "correlation_id", "fields"}}`, except '
        "for what the HTTP server refuses before the API: a request line over about 4 KB "
        "(414) and headers too many or too long (431)."
    ),
    auth=AUTH,
    parser=StrictJsonParser(),
    renderer=ExactTimeRenderer(),
    urls_namespace="api",
    docs_url="/docs",
    # Without deep links, an operation's path is text, not a link nested in its button
    # (templates/ninja/swagger.html fits the page to a phone).
    docs=Swagger(settings={"deepLinking": False}),
)
api.add_router("/metrics", metrics)
api.add_router("/measurements", measurements)
api.add_router("/goals", goals)
api.add_router("/me", me)
api.add_router("/webhooks", webhooks)
errors.install(api)


def _open_to_the_api_auth(patterns):
    """The API authenticates each operation itself (401 in JSON, never a redirect to
    the login page), so the site-wide login requirement does not apply."""
    for pattern in patterns:
        pattern.callback.login_required = False
    return patterns


_patterns, _app, _namespace = api.urls
urlpatterns = [path("v1/", (_open_to_the_api_auth(_patterns), _app, _namespace))]
