from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "goals"

    def ready(self) -> None:
        from measurements import dependents

        from .selectors import goal_keys_for_metrics, window_notes

        dependents.register(goal_keys_for_metrics)
        dependents.register_window_notes(window_notes)
