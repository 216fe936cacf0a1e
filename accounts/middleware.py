import zoneinfo

from django.utils import timezone


class UserTimeZoneMiddleware:
    """Show and read times in the signed-in user's own time zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        profile = getattr(request.user, "profile", None) if request.user.is_authenticated else None
        if profile is not None:
            timezone.activate(zoneinfo.ZoneInfo(profile.time_zone))
        else:
            timezone.deactivate()
        return self.get_response(request)
