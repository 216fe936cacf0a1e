"""The one result envelope every mutation returns, and the application errors.

Views, the API, tasks, the admin and management commands all read a mutation's outcome
from a `Result`: `ok`, `data`, `error` (code, message, phase, field errors), the
correlation id, and the `affected` keys from which the HTTP layer builds `HX-Trigger`.
"""

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .request_context import Phase, correlation_id, current_phase


class ErrorCode(StrEnum):
    VALIDATION_FAILED = "validation_failed"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    PERMISSION_DENIED = "permission_denied"
    BAD_REQUEST = "bad_request"
    UNAUTHENTICATED = "unauthenticated"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    RATE_LIMITED = "rate_limited"
    INTERNAL_ERROR = "internal_error"
    SERVICE_UNAVAILABLE = "service_unavailable"


class FieldError(BaseModel):
    model_config = ConfigDict(frozen=True)

    field: str
    message: str
    code: str = "invalid"


class ErrorDetail(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: ErrorCode
    message: str
    phase: Phase | None = None
    fields: list[FieldError] = Field(default_factory=list)

    def messages_for(self, field: str) -> list[str]:
        return [error.message for error in self.fields if error.field == field]


def field_errors(exc: ValidationError, *, drop: frozenset[str] = frozenset()) -> list[FieldError]:
    """A pydantic error as field errors in plain words: `items.3.value`, with the
    leading location parts in `drop` (a request's "body", "query") left out."""
    errors = []
    for error in exc.errors():
        parts = [str(part) for part in error["loc"]]
        while parts and parts[0] in drop:
            parts.pop(0)
        errors.append(
            FieldError(
                field=".".join(parts) or "body",
                message=error["msg"].removeprefix("Value error, "),
                code=error["type"],
            )
        )
    return errors


class ApplicationError(Exception):
    """An expected failure, raised by executors and selectors, turned into an
    `ErrorDetail` by the orchestrator (never shown as a stack trace)."""

    code = ErrorCode.BAD_REQUEST

    def __init__(self, message: str, *, fields: list[FieldError] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or []
        self.phase = current_phase()

    def detail(self) -> ErrorDetail:
        return ErrorDetail(
            code=self.code, message=self.message, phase=self.phase, fields=self.fields
        )

    @classmethod
    def from_detail(cls, detail: ErrorDetail) -> "ApplicationError":
        """The failure an envelope carries, as an exception again (the API raises it
        for its error handlers), keeping its code and phase."""
        error = cls(detail.message, fields=list(detail.fields))
        error.code, error.phase = detail.code, detail.phase
        return error


class ValidationFailed(ApplicationError):
    code = ErrorCode.VALIDATION_FAILED

    @classmethod
    def on(cls, field: str, message: str, code: str = "invalid") -> "ValidationFailed":
        return cls(message, fields=[FieldError(field=field, message=message, code=code)])


class NotFound(ApplicationError):
    """Also what another user's object looks like: ids cannot be probed."""

    code = ErrorCode.NOT_FOUND


class Conflict(ApplicationError):
    code = ErrorCode.CONFLICT


class Result[DataT](BaseModel):
    model_config = ConfigDict(frozen=True)

    ok: bool
    data: DataT | None = None
    error: ErrorDetail | None = None
    correlation_id: str = Field(default_factory=correlation_id)
    affected: list[str] = Field(default_factory=list)

    @classmethod
    def success(cls, data: Any = None, *, affected: list[str] | None = None) -> "Result":
        return cls(ok=True, data=data, affected=sorted(set(affected or [])))

    @classmethod
    def failure(cls, error: ErrorDetail | ApplicationError) -> "Result":
        if isinstance(error, ApplicationError):
            error = error.detail()
        return cls(ok=False, error=error)

    def unwrap(self) -> DataT:
        """The data of a success; a failure raises its error."""
        if not self.ok:
            raise ApplicationError.from_detail(self.error)
        return self.data

    def with_affected(self, affected: list[str]) -> "Result":
        return self.model_copy(update={"affected": sorted(set(self.affected) | set(affected))})
