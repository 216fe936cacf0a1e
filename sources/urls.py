from django.urls import path

from . import views

app_name = "sources"

urlpatterns = [
    path("", views.source_list, name="list"),
    path("csv/", views.csv_upload, name="csv_upload"),
    path("csv/import/", views.csv_import, name="csv_import"),
    path("<int:source_id>/", views.source_row, name="row"),
    path("<int:source_id>/sync/", views.source_sync, name="sync"),
    path("<int:source_id>/rename/", views.source_rename, name="rename"),
    path("<int:source_id>/pause/", views.source_pause, name="pause"),
    path("<int:source_id>/delete/", views.source_delete, name="delete"),
    path("runs/<int:run_id>/", views.run_row, name="run"),
    path("runs/<int:run_id>/retry/", views.run_retry, name="retry"),
    path("hooks/<int:source_id>/", views.webhook_receive, name="hook"),
    # Last: the address each provider's sources are added at (/sources/feeds/ ...).
    path("<slug:slug>/", views.source_add, name="add"),
]
