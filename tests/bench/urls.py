"""The app's urls plus the baseline views under /bench/."""

from django.urls import include, path

from config import urls as app_urls

from . import views

urlpatterns = [
    path("bench/insert/<int:metric_id>/", views.insert_measurement, name="bench-insert"),
    path("", include("config.urls")),
]

handler400 = app_urls.handler400
handler403 = app_urls.handler403
handler404 = app_urls.handler404
handler500 = app_urls.handler500
