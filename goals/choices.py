"""The vocabularies of goal fields, shared by models, contracts and kinds."""

from django.db import models


class Aggregation(models.TextChoices):
    """How many measurements in a day (or days in a period) become one value."""

    LAST = "last", "Last"
    FIRST = "first", "First"
    MIN = "min", "Minimum"
    MAX = "max", "Maximum"
    MEAN = "mean", "Mean"
    MEDIAN = "median", "Median"
    SUM = "sum", "Sum"
    COUNT = "count", "Count"


class Period(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "Week"
    MONTH = "month", "Month"


class Comparison(models.TextChoices):
    AT_LEAST = "at_least", "At least"
    AT_MOST = "at_most", "At most"


class GoalStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ARCHIVED = "archived", "Archived"
