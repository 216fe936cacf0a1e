from django.apps import AppConfig


class SourcesConfig(AppConfig):
    name = "sources"
    verbose_name = "Data sources"

    def ready(self) -> None:
        from .providers import (  # noqa: F401  (they register themselves)
            csv_file,
            icalendar_feed,
            webhook,
        )
