from django.apps import AppConfig


class SourcesConfig(AppConfig):
    name = "sources"
    verbose_name = "Data sources"

    def ready(self) -> None:
        from .providers import csv_file, webhook  # noqa: F401  (they register themselves)
