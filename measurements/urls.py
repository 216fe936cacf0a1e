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
    path("<int:metric_id>/record/", views.measurement_record, name="record"),
]
