import datetime as dt
from functools import partial

from config.envelope import Result
from config.orchestration import execute

from . import executors as account_executors
from .contracts import ApiTokenRef, CreateApiToken, SignUp, UpdatePreferences


def sign_up(command: SignUp, *, now: dt.datetime, executors=account_executors) -> Result:
    return execute(partial(executors.account_create, command=command, now=now))


def update_preferences(
    command: UpdatePreferences, *, actor_id: int, executors=account_executors
) -> Result:
    return execute(partial(executors.profile_update, user_id=actor_id, command=command))


def create_api_token(
    command: CreateApiToken, *, actor_id: int, now: dt.datetime, executors=account_executors
) -> Result:
    return execute(partial(executors.api_token_create, user_id=actor_id, command=command, now=now))


def revoke_api_token(
    command: ApiTokenRef, *, actor_id: int, now: dt.datetime, executors=account_executors
) -> Result:
    """Revoked at once: the next request with the token is refused."""
    return execute(
        partial(executors.api_token_revoke, user_id=actor_id, token_id=command.token_id, now=now)
    )
