from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """Project-wide plumbing: request context, errors, revalidation, base templates."""

    name = "config"
    label = "project"
