from django.apps import AppConfig


class GoalsConfig(AppConfig):
    name = "goals"

    def ready(self) -> None:
        from measurements import dependents

        from .standing import after_metric_change

        dependents.register(after_metric_change)
