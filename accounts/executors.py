"""Writes for accounts: a user and their profile always come into being together."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction

from config.envelope import Result, ValidationFailed

from .contracts import AccountData, SignUp, UpdatePreferences
from .models import Profile


def _data(profile: Profile) -> AccountData:
    return AccountData(
        user_id=profile.user_id,
        username=profile.user.get_username(),
        time_zone=profile.time_zone,
        week_start=profile.week_start,
    )


@transaction.atomic(durable=True)
def account_create(*, command: SignUp, now: dt.datetime) -> Result:
    User = get_user_model()
    if User.objects.filter(username__iexact=command.username).exists():
        raise ValidationFailed.on("username", "That username is taken.")
    user = User.objects.create_user(
        username=command.username,
        password=command.password.get_secret_value(),
        date_joined=now,
    )
    profile = Profile.objects.create(user=user, time_zone=command.time_zone)
    return Result.success(_data(profile))


@transaction.atomic(durable=True)
def profile_update(*, user_id: int, command: UpdatePreferences) -> Result:
    profile, _ = Profile.objects.select_for_update().get_or_create(user_id=user_id)
    profile.time_zone = command.time_zone
    profile.week_start = command.week_start
    profile.full_clean(exclude=["user"])
    profile.save()
    return Result.success(_data(profile))
