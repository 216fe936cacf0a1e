from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.notice_log, name="log"),
    path("log/", views.notice_log, {"fragment": "notice-log"}, name="log_fragment"),
    path("settings/", views.notification_settings, name="settings"),
    path("settings/email/", views.email_resume, name="email_resume"),
    path("push/subscribe/", views.push_subscribe, name="push_subscribe"),
    path("push/unsubscribe/", views.push_unsubscribe, name="push_unsubscribe"),
    path("goals/<int:goal_id>/snooze/", views.goal_snooze, name="snooze"),
    path("unsubscribe/<str:token>/", views.unsubscribe_link, name="unsubscribe"),
]
