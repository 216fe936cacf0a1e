"""What every orchestrator does around its executors: phases, expected failures
turned into envelopes, and retries of transient database errors between commits."""

import logging
import time
from collections.abc import Callable

from django.db import OperationalError

from .envelope import ApplicationError, Result
from .request_context import Phase, set_phase

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS: tuple[type[Exception], ...] = (OperationalError,)


def execute(
    action: Callable[[], Result],
    *,
    attempts: int = 3,
    backoff_seconds: float = 0.05,
    sleep: Callable[[float], None] = time.sleep,
) -> Result:
    """Run one executor call: an expected failure becomes a failed envelope; a
    transient database error (a lock timeout, a dropped connection) is retried with
    exponential backoff, since the executor's transaction rolled back whole."""
    set_phase(Phase.EXECUTE)
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except ApplicationError as exc:
            return Result.failure(exc)
        except TRANSIENT_ERRORS:
            if attempt == attempts:
                raise
            logger.warning("Transient database error, attempt %d of %d", attempt, attempts)
            sleep(backoff_seconds * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


def execute_authorized(authorize: Callable[[], object], action: Callable[[], Result]) -> Result:
    """Check the actor may touch what the command names (`authorize` raises: what is
    not theirs is not found), then run the executor (see `execute`). What the change
    affects comes back on the result, from the executor's events."""
    try:
        set_phase(Phase.AUTHORIZE)
        authorize()
    except ApplicationError as exc:
        return Result.failure(exc)
    set_phase(Phase.PLAN)
    return execute(action)
