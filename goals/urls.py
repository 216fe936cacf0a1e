from django.urls import path

from . import views

app_name = "goals"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("goals/summary/", views.dashboard, {"fragment": "summary"}, name="summary"),
    path("goals/active/", views.dashboard, {"fragment": "active-goals"}, name="active"),
    path("goals/archived/", views.dashboard, {"fragment": "archived-goals"}, name="archived"),
    path("goals/new/", views.goal_create, name="create"),
    path("goals/<int:goal_id>/", views.goal_page, name="detail"),
    path(
        "goals/<int:goal_id>/progress/",
        views.goal_page,
        {"fragment": "goal-progress"},
        name="progress",
    ),
    path(
        "goals/<int:goal_id>/chart/",
        views.goal_page,
        {"fragment": "goal-chart"},
        name="chart",
    ),
    path(
        "goals/<int:goal_id>/measurements/",
        views.goal_page,
        {"fragment": "goal-measurements"},
        name="measurements",
    ),
    path(
        "goals/<int:goal_id>/history/",
        views.goal_page,
        {"fragment": "goal-history"},
        name="history",
    ),
    path("goals/<int:goal_id>/export.<slug:fmt>", views.goal_export, name="export"),
    path("goals/<int:goal_id>/card/", views.goal_card, name="card"),
    path("goals/<int:goal_id>/edit/", views.goal_edit, name="edit"),
    path("goals/<int:goal_id>/archive/", views.goal_archive, name="archive"),
    path("goals/<int:goal_id>/restore/", views.goal_restore, name="restore"),
    path("goals/<int:goal_id>/title/", views.goal_title, name="title"),
    path("goals/<int:goal_id>/delete/", views.goal_delete, name="delete"),
    path("goals/<int:goal_id>/undelete/", views.goal_undelete, name="undelete"),
    path("goals/deleted/", views.dashboard, {"fragment": "recently-deleted"}, name="deleted"),
]
