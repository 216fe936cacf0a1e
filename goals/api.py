"""The JSON API for goals (`/api/v1/goals`)."""

from ninja import Router

router = Router(tags=["goals"])
