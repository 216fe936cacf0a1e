"""Who may call the API: a bearer token (checked by `api.middleware`, which makes its
owner the request's user) or a signed-in session with its CSRF token."""

from ninja.security import HttpBearer, django_auth


class ApiToken(HttpBearer):
    """`Authorization: Bearer gt_…`, a personal token made on the API tokens page."""

    openapi_description = "A personal API token, made and revoked on the API tokens page."

    def authenticate(self, request, token: str):
        return request.user if getattr(request, "api_token", None) else None


AUTH = [ApiToken(), django_auth]
