"""Orchestrator policy with fake executors and selectors: no database at all (a
query here would fail the test, since none of these tests may use the database)."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import OperationalError

from config.envelope import NotFound, Result, ValidationFailed
from goals.contracts import (
    CreateGoal,
    EditGoal,
    GoalData,
    GoalFields,
    GoalRef,
    NewMetric,
    RenameGoal,
)
from goals.orchestrators import (
    UNDO_WINDOW,
    archive_goal,
    create_goal,
    delete_goal,
    edit_goal,
    purge_deleted_goals,
    rename_goal,
    restore_goal,
    undelete_goal,
)

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
FIELDS = GoalFields(
    title="Run 100 km",
    kind="total",
    target=Decimal("100"),
    start_date=dt.date(2026, 12, 1),
    deadline=dt.date(2026, 12, 31),
)


class FakeExecutors:
    def __init__(self, fail_with=None, fail_times: int = 0):
        """`fail_with` makes the exception to raise, at the moment of the call."""
        self.calls = []
        self.fail_with = fail_with
        self.fail_times = fail_times

    def _record(self, name, **kwargs):
        self.calls.append((name, kwargs))
        if self.fail_with is not None and self.fail_times:
            self.fail_times -= 1
            raise self.fail_with()
        return Result.success(
            GoalData(
                id=kwargs.get("goal_id", 9),
                title="Run 100 km",
                kind="total",
                metric_id=3,
                status="active",
            )
        )

    def goal_create(self, **kwargs):
        return self._record("goal_create", **kwargs)

    def goal_update(self, **kwargs):
        return self._record("goal_update", **kwargs)

    def goal_set_status(self, **kwargs):
        return self._record("goal_set_status", **kwargs)

    def goal_rename(self, **kwargs):
        return self._record("goal_rename", **kwargs)

    def goal_delete(self, **kwargs):
        return self._record("goal_delete", **kwargs)

    def goal_undelete(self, **kwargs):
        return self._record("goal_undelete", **kwargs)

    def goals_purge_deleted(self, **kwargs):
        self.calls.append(("goals_purge_deleted", kwargs))
        return Result.success(2)


def metrics(owned: set[int]):
    def metric_for_owner(*, metric_id, owner_id):
        if metric_id not in owned:
            raise NotFound("There is no such metric.")
        return SimpleNamespace(id=metric_id)

    return SimpleNamespace(metric_for_owner=metric_for_owner)


def goals(owned: set[int], deleted: dict[int, dt.datetime] | None = None):
    """Selectors over the actor's live goals `owned` and deleted goals `deleted` (id to
    when it was deleted)."""
    deleted = deleted or {}

    def goal_for_owner(*, goal_id, owner_id):
        if goal_id not in owned:
            raise NotFound("There is no such goal.")
        return SimpleNamespace(id=goal_id)

    def deleted_goal_for_owner(*, goal_id, owner_id, since):
        if goal_id not in deleted or deleted[goal_id] < since:
            raise NotFound("There is no such deleted goal.")
        return SimpleNamespace(id=goal_id, deleted_at=deleted[goal_id])

    return SimpleNamespace(
        goal_for_owner=goal_for_owner, deleted_goal_for_owner=deleted_goal_for_owner
    )


def test_create_calls_the_executor_with_normalized_fields():
    executors = FakeExecutors()
    fields = FIELDS.model_copy(update={"start_value": Decimal("5"), "period": "week"})
    result = create_goal(
        CreateGoal(fields=fields, metric_id=3),
        actor_id=1,
        now=NOW,
        executors=executors,
        metrics=metrics({3}),
    )
    assert result.ok
    ((name, kwargs),) = executors.calls
    assert name == "goal_create"
    assert kwargs["fields"].start_value is None and kwargs["fields"].period is None
    assert (kwargs["owner_id"], kwargs["metric_id"], kwargs["now"]) == (1, 3, NOW)


def test_create_with_a_new_metric_passes_it_to_the_executor():
    executors = FakeExecutors()
    result = create_goal(
        CreateGoal(fields=FIELDS, new_metric=NewMetric(name="Distance", unit="km")),
        actor_id=1,
        now=NOW,
        executors=executors,
        metrics=metrics(set()),
    )
    assert result.ok
    assert executors.calls[0][1]["new_metric"].name == "Distance"


@pytest.mark.parametrize(
    ("fields", "field", "phase"),
    [
        (FIELDS.model_copy(update={"kind": "nonsense"}), "kind", "validate"),
        (FIELDS.model_copy(update={"target": Decimal("0")}), "target", "validate"),
        (FIELDS.model_copy(update={"deadline": None}), "deadline", "validate"),
        (
            FIELDS.model_copy(update={"kind": "reach", "start_value": Decimal("100")}),
            "target",
            "validate",
        ),
        (
            FIELDS.model_copy(
                update={
                    "kind": "range",
                    "target_low": Decimal(9),
                    "target_high": Decimal(7),
                    "period": "day",
                }
            ),
            "target_high",
            "validate",
        ),
    ],
)
def test_invalid_fields_never_reach_the_executor(fields, field, phase):
    executors = FakeExecutors()
    result = create_goal(
        CreateGoal(fields=fields, metric_id=3),
        actor_id=1,
        now=NOW,
        executors=executors,
        metrics=metrics({3}),
    )
    assert not result.ok
    assert field in {error.field for error in result.error.fields}
    assert result.error.phase == phase
    assert executors.calls == []


def test_another_users_metric_is_a_field_error_in_the_authorize_phase():
    executors = FakeExecutors()
    result = create_goal(
        CreateGoal(fields=FIELDS, metric_id=4),
        actor_id=1,
        now=NOW,
        executors=executors,
        metrics=metrics({3}),
    )
    assert (result.error.code, result.error.phase) == ("validation_failed", "authorize")
    assert result.error.fields[0].field == "metric"
    assert executors.calls == []


def test_an_executor_failure_becomes_a_failed_envelope_in_the_execute_phase():
    executors = FakeExecutors(
        fail_with=lambda: ValidationFailed.on("metric", "Gone."), fail_times=1
    )
    result = create_goal(
        CreateGoal(fields=FIELDS, metric_id=3),
        actor_id=1,
        now=NOW,
        executors=executors,
        metrics=metrics({3}),
    )
    assert not result.ok
    assert (result.error.phase, result.error.fields[0].field) == ("execute", "metric")


def test_a_transient_database_error_is_retried(monkeypatch):
    monkeypatch.setattr("config.orchestration.time.sleep", lambda seconds: None)
    executors = FakeExecutors(
        fail_with=lambda: OperationalError("database is locked"), fail_times=2
    )
    result = create_goal(
        CreateGoal(fields=FIELDS, metric_id=3),
        actor_id=1,
        now=NOW,
        executors=executors,
        metrics=metrics({3}),
    )
    assert result.ok
    assert len(executors.calls) == 3


def test_a_transient_error_that_persists_is_raised_after_the_last_attempt(monkeypatch):
    monkeypatch.setattr("config.orchestration.time.sleep", lambda seconds: None)
    executors = FakeExecutors(fail_with=lambda: OperationalError("down"), fail_times=5)
    with pytest.raises(OperationalError):
        create_goal(
            CreateGoal(fields=FIELDS, metric_id=3),
            actor_id=1,
            now=NOW,
            executors=executors,
            metrics=metrics({3}),
        )
    assert len(executors.calls) == 3


def test_edit_of_a_goal_that_is_not_yours_is_not_found_before_anything_else():
    executors = FakeExecutors()
    result = edit_goal(
        EditGoal(goal_id=5, fields=FIELDS.model_copy(update={"kind": "nonsense"}), metric_id=3),
        actor_id=1,
        now=NOW,
        executors=executors,
        goals=goals(set()),
        metrics=metrics({3}),
    )
    assert (result.error.code, result.error.phase) == ("not_found", "authorize")
    assert executors.calls == []


def test_edit_checks_the_goal_then_calls_the_executor():
    executors = FakeExecutors()
    result = edit_goal(
        EditGoal(goal_id=5, fields=FIELDS, metric_id=3),
        actor_id=1,
        now=NOW,
        executors=executors,
        goals=goals({5}),
        metrics=metrics({3}),
    )
    assert result.ok
    assert executors.calls[0][1]["goal_id"] == 5


@pytest.mark.parametrize(
    ("orchestrator", "status"), [(archive_goal, "archived"), (restore_goal, "active")]
)
def test_archive_and_restore(orchestrator, status):
    executors = FakeExecutors()
    result = orchestrator(
        GoalRef(goal_id=5), actor_id=1, now=NOW, executors=executors, goals=goals({5})
    )
    assert result.ok
    assert executors.calls == [
        ("goal_set_status", {"owner_id": 1, "goal_id": 5, "status": status, "now": NOW})
    ]


@pytest.mark.parametrize("orchestrator", [archive_goal, restore_goal])
def test_archive_and_restore_of_a_goal_that_is_not_yours(orchestrator):
    executors = FakeExecutors()
    result = orchestrator(
        GoalRef(goal_id=5), actor_id=1, now=NOW, executors=executors, goals=goals(set())
    )
    assert result.error.code == "not_found"
    assert executors.calls == []


def test_rename_calls_the_executor_with_the_title():
    executors = FakeExecutors()
    result = rename_goal(
        RenameGoal(goal_id=5, title="  Run 120 km "),
        actor_id=1,
        now=NOW,
        executors=executors,
        goals=goals({5}),
    )
    assert result.ok
    assert executors.calls == [
        ("goal_rename", {"owner_id": 1, "goal_id": 5, "title": "Run 120 km", "now": NOW})
    ]


def test_a_blank_title_is_refused_by_the_command():
    with pytest.raises(ValueError, match=r"Give the goal a title\."):
        RenameGoal(goal_id=5, title="   ")


def test_rename_of_a_goal_that_is_not_yours():
    executors = FakeExecutors()
    result = rename_goal(
        RenameGoal(goal_id=5, title="Mine"),
        actor_id=1,
        now=NOW,
        executors=executors,
        goals=goals(set()),
    )
    assert (result.error.code, result.error.phase) == ("not_found", "authorize")
    assert executors.calls == []


def test_delete_calls_the_executor():
    executors = FakeExecutors()
    result = delete_goal(
        GoalRef(goal_id=5), actor_id=1, now=NOW, executors=executors, goals=goals({5})
    )
    assert result.ok
    assert executors.calls == [("goal_delete", {"owner_id": 1, "goal_id": 5, "now": NOW})]


def test_delete_of_a_goal_that_is_not_yours():
    executors = FakeExecutors()
    result = delete_goal(
        GoalRef(goal_id=5), actor_id=1, now=NOW, executors=executors, goals=goals(set())
    )
    assert result.error.code == "not_found"
    assert executors.calls == []


def test_undelete_within_the_window_passes_the_window_to_the_executor():
    executors = FakeExecutors()
    result = undelete_goal(
        GoalRef(goal_id=5),
        actor_id=1,
        now=NOW,
        executors=executors,
        goals=goals(set(), deleted={5: NOW - UNDO_WINDOW + dt.timedelta(seconds=1)}),
    )
    assert result.ok
    assert dt.timedelta(minutes=10) == UNDO_WINDOW
    assert executors.calls == [
        (
            "goal_undelete",
            {"owner_id": 1, "goal_id": 5, "deleted_since": NOW - UNDO_WINDOW, "now": NOW},
        )
    ]


@pytest.mark.parametrize("deleted", [{5: NOW - UNDO_WINDOW - dt.timedelta(seconds=1)}, {}])
def test_undelete_after_the_window_or_of_a_goal_never_deleted_is_not_found(deleted):
    executors = FakeExecutors()
    result = undelete_goal(
        GoalRef(goal_id=5),
        actor_id=1,
        now=NOW,
        executors=executors,
        goals=goals({5}, deleted=deleted),
    )
    assert (result.error.code, result.error.phase) == ("not_found", "authorize")
    assert executors.calls == []


def test_purge_removes_goals_deleted_more_than_thirty_days_ago():
    executors = FakeExecutors()
    result = purge_deleted_goals(now=NOW, executors=executors)
    assert executors.calls == [
        ("goals_purge_deleted", {"deleted_before": NOW - dt.timedelta(days=30), "now": NOW})
    ]
    assert result.data == 2
