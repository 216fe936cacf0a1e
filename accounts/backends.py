"""The password backend: Django's own, reading the profile with the user.

Every signed-in request reads its user; the time zone middleware then reads the
profile. One query with a join instead of two, on every page and every write."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class PasswordBackend(ModelBackend):
    def get_user(self, user_id):
        users = get_user_model()._default_manager.select_related("profile")
        user = users.filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
