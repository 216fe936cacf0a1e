from django.urls import path

from . import views

app_name = "measurements"

urlpatterns = [
    path("", views.metric_list, name="list"),
    path("<int:metric_id>/", views.metric_detail, name="detail"),
    path(
        "<int:metric_id>/measurements/",
        views.metric_detail,
        {"fragment": "measurement-list"},
        name="measurements",
    ),
    path(
        "<int:metric_id>/chart/",
        views.metric_detail,
        {"fragment": "metric-chart"},
        name="chart",
    ),
    path("<int:metric_id>/record/", views.measurement_record, name="record"),
    path("<int:metric_id>/export.<slug:fmt>", views.metric_export, name="export"),
    path("measurements/<int:measurement_id>/", views.measurement_row, name="row"),
    path("measurements/<int:measurement_id>/edit/", views.measurement_edit, name="edit"),
    path("measurements/<int:measurement_id>/delete/", views.measurement_delete, name="delete"),
    path(
        "measurements/<int:measurement_id>/undelete/",
        views.measurement_undelete,
        name="undelete",
    ),
]
