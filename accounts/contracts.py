from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from .models import Weekday, validate_time_zone

#: Django's EmailField, and RFC 5321's longest path.
EMAIL_MAX_LENGTH = 254


def email_address(value: str) -> str:
    """An address as we keep it: trimmed, its domain in lower case (the part before the
    @ is the mail server's to read, so it is left as written)."""
    value = BaseUserManager.normalize_email(value.strip())
    try:
        validate_email(value)
    except ValidationError:
        raise ValueError("Enter an email address, like name@example.com.") from None
    return value


class SignUp(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str = Field(min_length=1, max_length=150)
    password: SecretStr
    time_zone: str
    #: Optional: kept as pending until confirmed from the link mailed to it.
    email: str = Field(default="", max_length=EMAIL_MAX_LENGTH)

    @field_validator("time_zone")
    @classmethod
    def known_zone(cls, value: str) -> str:
        validate_time_zone(value)
        return value

    @field_validator("email")
    @classmethod
    def address_or_none(cls, value: str) -> str:
        return email_address(value) if value.strip() else ""


class ChangeEmail(BaseModel):
    """A new address for the account, to be confirmed at that address."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    email: str = Field(max_length=EMAIL_MAX_LENGTH)

    @field_validator("email")
    @classmethod
    def address(cls, value: str) -> str:
        return email_address(value)


class EmailData(BaseModel):
    """The account's addresses after a change: the confirmed one (or ""), the one
    waiting to be confirmed (or ""), and whether a link was sent for it."""

    model_config = ConfigDict(frozen=True)

    user_id: int
    username: str
    verified: str
    pending: str
    link_sent: bool = False


class UpdatePreferences(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    time_zone: str
    week_start: Weekday

    @field_validator("time_zone")
    @classmethod
    def known_zone(cls, value: str) -> str:
        validate_time_zone(value)
        return value


class AccountData(BaseModel):
    model_config = ConfigDict(frozen=True)

    user_id: int
    username: str
    time_zone: str
    week_start: int


class CreateApiToken(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=80)

    @field_validator("name")
    @classmethod
    def stripped(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("Give the token a name, to know it by later.")
        return value


class ApiTokenRef(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    token_id: int


class ApiTokenData(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    name: str
    prefix: str
    #: The secret itself: only in the result of creating the token, never again.
    secret: str | None = None
