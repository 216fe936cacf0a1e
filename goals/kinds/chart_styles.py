"""How a kind's chart is drawn. A kind names its style (`GoalKind.chart_style`); the
chart code draws the style and never asks which kind it is drawing. The styles are
the project's chart styles, shared with the metric chart."""

from config.charts import ChartStyle

__all__ = ["ChartStyle"]
