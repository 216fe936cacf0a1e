from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "goals"

    def ready(self) -> None:
        from measurements import dependents

        from .metric_read import NAME, goals_read
        from .standing import after_metric_change

        dependents.register(after_metric_change, reads=(NAME, goals_read))
