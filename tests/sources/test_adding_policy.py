"""Adding a source, as policy, against fakes (no database): the orchestrator picks
what to do from the provider's capabilities, never its key, and refuses a duplicate
before anything is written."""

import datetime as dt
from types import SimpleNamespace

from pydantic import BaseModel

from config.envelope import Result
from sources.orchestrators import add_source
from sources.providers import Capability, Provider

NOW = dt.datetime(2026, 11, 29, 12, tzinfo=dt.UTC)


class _Settings(BaseModel):
    metric_id: int


def _provider(capabilities: Capability) -> Provider:
    return type(
        "Fake",
        (Provider,),
        {"key": "fake", "label": "Fake", "capabilities": capabilities, "settings_model": _Settings},
    )()


class _Executors:
    def __init__(self):
        self.calls = []

    def source_create(self, **kwargs):
        self.calls.append(("create", kwargs["name"], bool(kwargs.get("secrets"))))
        return Result.success(7)

    def file_import_queue(self, **kwargs):
        self.calls.append(("import", kwargs["name"]))
        return Result.success(8)

    def run_queue(self, **kwargs):
        self.calls.append(("queue", kwargs["source_id"]))
        return Result.success(9)


def _add(capabilities: Capability, *, upload=None, twin=None):
    executors = _Executors()
    provider = _provider(capabilities)
    result = add_source(
        actor_id=1,
        provider_key="fake",
        name="Mine",
        settings={"metric_id": 3},
        now=NOW,
        enqueue=lambda run_id: None,
        upload=upload,
        providers=SimpleNamespace(get=lambda key: provider),
        executors=executors,
        metrics=SimpleNamespace(metric_for_owner=lambda **kwargs: None),
        selectors=SimpleNamespace(same_source=lambda **kwargs: twin),
    )
    return result, executors.calls


def test_a_file_is_imported_a_pull_is_followed_a_push_gets_a_secret():
    assert _add(Capability.FILE_IMPORT, upload=object())[1] == [("import", "Mine")]
    assert _add(Capability.FULL_PULL)[1] == [("create", "Mine", False), ("queue", 7)]
    pushed, calls = _add(Capability.PUSH)
    assert calls == [("create", "Mine", True)]
    assert pushed.data["source_id"] == 7 and len(pushed.data["secret"]) > 30


def test_a_duplicate_is_refused_before_anything_is_written():
    twin = SimpleNamespace(name="mine", settings={})
    for capabilities in (Capability.FULL_PULL, Capability.PUSH):
        result, calls = _add(capabilities, twin=twin)
        assert not result.ok and calls == []
        assert result.error.fields[0].message == (
            "You already have a source called “mine”; choose another name."
        )


def test_a_file_only_provider_without_a_file_is_refused_in_words():
    result, calls = _add(Capability.FILE_IMPORT)
    assert not result.ok and calls == []
    assert result.error.message == "Choose the file to import."
