from django.urls import path

from . import views

app_name = "events"

urlpatterns = [
    path("stream", views.stream, name="stream"),
    path("since", views.since, name="since"),
]
