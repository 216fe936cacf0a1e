from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from .models import Weekday, validate_time_zone


class SignUp(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str = Field(min_length=1, max_length=150)
    password: SecretStr
    time_zone: str

    @field_validator("time_zone")
    @classmethod
    def known_zone(cls, value: str) -> str:
        validate_time_zone(value)
        return value


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
