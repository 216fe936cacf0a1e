"""The points of a chart and their table rows, as `config/templatetags/charts.py` writes
them into `charts/svg_chart.html`: a mark of the point's shape in a focusable group
named by its label, every word escaped as the template would escape it."""

import datetime as dt
from decimal import Decimal

from django.template import Context, Template

from config.charts import ChartSeries, ChartStyle, SeriesPoint, draw

DAY = dt.date(2026, 11, 2)
HOSTILE = '<img src=x onerror="alert(1)">'


def _drawn(style: ChartStyle, statuses: list[str | None]) -> str:
    points = [
        SeriesPoint(
            day=DAY + dt.timedelta(days=n),
            until=DAY + dt.timedelta(days=n),
            value=Decimal(n + 1),
            status=status,
            status_text=status or "",
            not_met=status == "missed",
        )
        for n, status in enumerate(statuses)
    ]
    chart = draw(
        ChartSeries(
            style=style,
            unit=HOSTILE,
            places=0,
            today=points[-1].day,
            first_day=DAY,
            last_day=points[-1].day,
            points=points,
            target=Decimal(2) if style is ChartStyle.BARS else None,
            uid="goal-7",
        ),
        width=320,
        height=150,
    )
    template = Template("{% load charts %}{% chart_points chart %}|{% chart_rows chart %}")
    return template.render(Context({"chart": chart}))


def test_each_point_is_a_focusable_group_with_its_label_and_a_mark_of_its_shape():
    marks, rows = _drawn(ChartStyle.LINE_WITH_PACE, [None, "missed"]).split("|")

    assert marks.count('tabindex="0" role="img"') == 2
    assert '<g class="point point-value"' in marks and '<g class="point point-missed"' in marks
    assert marks.count('<circle class="mark"') == 1  # the value
    assert marks.count('<path class="mark" d="M') == 1  # the miss, a diamond
    assert rows.count("<tr>") == 2 and "<td>—</td>" in rows and "<td>missed</td>" in rows


def test_bars_not_met_are_hatched_with_the_charts_own_pattern():
    marks, _ = _drawn(ChartStyle.BARS, ["met", "missed", "met"]).split("|")

    assert marks.count('<rect class="mark"') == 3
    assert marks.count('<rect class="hatch" fill="url(#hatch-goal-7)"') == 1


def test_every_word_is_escaped():
    marks, rows = _drawn(ChartStyle.LINE_WITH_PACE, ["met"]).split("|")

    assert "<img" not in marks and "<img" not in rows
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in marks
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in rows
