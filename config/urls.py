from django.contrib import admin
from django.urls import include, path

from notifications.service_worker import service_worker

urlpatterns = [
    path("", include("goals.urls")),
    path("metrics/", include("measurements.urls")),
    path("accounts/", include("accounts.urls")),
    path("api/", include("api.urls")),
    path("sources/", include("sources.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("events/", include("events.urls")),
    path("notifications/", include("notifications.urls")),
    path("admin/", admin.site.urls),
    # At the root, so that the worker's scope is the whole site.
    path("service-worker.js", service_worker, name="service-worker"),
]

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
