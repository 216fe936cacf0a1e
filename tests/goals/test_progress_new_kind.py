"""Adding a goal kind is one module plus `@register`: the example of
`docs/goal-kinds.md`, run through the mapper."""

from decimal import Decimal

import pytest

from goals.kinds import GoalKind, get, register
from goals.kinds.payload import Progress, ProgressPoint, ProgressStatus
from goals.kinds.registry import _kinds
from goals.progress import progress_for_goal

from .progress_factories import BERLIN, day, local, make_goal, make_metric, make_owner, record


@pytest.fixture
def ceiling():
    @register
    class Ceiling(GoalKind):
        key = "ceiling"
        label = "Stay under a ceiling"
        summary = "Keep the latest value at or under a limit (resting pulse under 60)."
        fields = ("target",)
        required = ("target",)

        def progress(self, goal, days, context):
            latest = days.latest(on_or_before=context.today)
            current = latest[1] if latest else None
            if context.today < goal.start_date:
                status = ProgressStatus.NOT_STARTED
            elif current is not None and current > goal.target:
                status = ProgressStatus.BEHIND
            else:
                status = ProgressStatus.ON_TRACK
            return Progress(
                goal_id=context.goal_id,
                kind=self.key,
                kind_label=self.label,
                unit=context.unit,
                today=context.today,
                start_date=goal.start_date,
                current=current,
                has_data=bool(days),
                target=goal.target,
                percent=100 if status is ProgressStatus.ON_TRACK else 0,
                status=status,
                series=[ProgressPoint(day=d, until=d, value=v) for d, v in days.values.items()],
                headline=f"{current} {context.unit}" if current is not None else "No data yet",
                summary_text="Under the ceiling." if status is ProgressStatus.ON_TRACK else "",
            )

    yield get("ceiling")
    _kinds.pop("ceiling")


@pytest.mark.django_db
def test_a_registered_kind_gets_progress_from_the_mapper(ceiling):
    pulse = make_metric(make_owner(), name="Resting pulse", unit="bpm")
    goal = make_goal(pulse, kind="ceiling", target=Decimal(60), deadline=None, aggregation="min")
    record(pulse, "64", local("2026-03-02 07:00"))
    record(pulse, "58", local("2026-03-02 22:00"))

    progress = progress_for_goal(
        goal, profile_zone=BERLIN, week_start=0, now=local("2026-03-03 09:00")
    )

    assert progress.kind == "ceiling"
    assert progress.status == "on_track"
    assert progress.current == 58
    assert [point.day for point in progress.series] == [day("2026-03-02")]
