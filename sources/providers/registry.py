from .base import Provider

_providers: dict[str, Provider] = {}


def register(provider_class: type[Provider]) -> type[Provider]:
    """Class decorator: make a provider available by its key."""
    _providers[provider_class.key] = provider_class()
    return provider_class


def get(key: str) -> Provider | None:
    return _providers.get(key)


def by_slug(slug: str) -> Provider | None:
    """The provider whose sources are added at /sources/<slug>/."""
    return next((p for p in _providers.values() if p.slug and p.slug == slug), None)


def addable() -> list[Provider]:
    """The providers a person adds sources of on the Sources page, in their order."""
    offered = [provider for provider in _providers.values() if provider.form_class is not None]
    return sorted(offered, key=lambda provider: (provider.add_order, provider.label))


def all_providers() -> list[Provider]:
    return sorted(_providers.values(), key=lambda provider: provider.label)
