from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "goals"

    def ready(self) -> None:
        from measurements import dependents

        from .selectors import goal_keys_for_metrics

        dependents.register(goal_keys_for_metrics)
