from django.urls import path

from . import views

app_name = "sources"

urlpatterns = [
    path("", views.source_list, name="list"),
    path("csv/", views.csv_upload, name="csv_upload"),
    path("csv/import/", views.csv_import, name="csv_import"),
    path("<int:source_id>/sync/", views.source_sync, name="sync"),
    path("runs/<int:run_id>/", views.run_row, name="run"),
    path("webhooks/", views.webhook_create, name="webhook_create"),
    path("feeds/", views.feed_create, name="feed_create"),
    path("apple-health/", views.apple_health_import, name="apple_health"),
    path("runs/<int:run_id>/retry/", views.run_retry, name="retry"),
    path("hooks/<int:source_id>/", views.webhook_receive, name="hook"),
]
