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
