from django.apps import AppConfig


class SourcesConfig(AppConfig):
    name = "sources"
    verbose_name = "Data sources"

    def ready(self) -> None:
        from .providers import (  # noqa: F401  (they register themselves)
            apple_health,
            csv_file,
            icalendar_feed,
            webhook,
        )
