import datetime as dt
from functools import partial

from config.envelope import Result
from config.orchestration import execute
from config.revalidation import GOALS_SUMMARY

from . import executors as account_executors
from .contracts import SignUp, UpdatePreferences


def sign_up(command: SignUp, *, now: dt.datetime, executors=account_executors) -> Result:
    return execute(partial(executors.account_create, command=command, now=now))


def update_preferences(
    command: UpdatePreferences, *, actor_id: int, executors=account_executors
) -> Result:
    """A new time zone or first weekday re-cuts every period: all progress changes."""
    result = execute(partial(executors.profile_update, user_id=actor_id, command=command))
    return result.with_affected([GOALS_SUMMARY]) if result.ok else result
