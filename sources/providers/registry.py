from .base import Provider

_providers: dict[str, Provider] = {}


def register(provider_class: type[Provider]) -> type[Provider]:
    """Class decorator: make a provider available by its key."""
    _providers[provider_class.key] = provider_class()
    return provider_class


def get(key: str) -> Provider | None:
    return _providers.get(key)


def all_providers() -> list[Provider]:
    return sorted(_providers.values(), key=lambda provider: provider.label)
