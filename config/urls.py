from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("goals.urls")),
    path("metrics/", include("measurements.urls")),
    path("accounts/", include("accounts.urls")),
    path("api/", include("api.urls")),
    path("sources/", include("sources.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("events/", include("events.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
