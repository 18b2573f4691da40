"""The reps API's schemas: a rep as read (`RepPublic`) and what a PATCH may change (`RepPatch`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from leadflow.api.schemas import RowId


class CapsPublic(BaseModel):
    per_day: int | None = None
    per_week: int | None = None
    open: int | None = None


class CapsPatch(BaseModel):
    """A partial caps override: a number sets that cap, null clears its override."""

    model_config = ConfigDict(extra="forbid")

    per_day: int | None = Field(default=None, ge=0)
    per_week: int | None = Field(default=None, ge=0)
    open: int | None = Field(default=None, ge=0)


class TimeOffPublic(BaseModel):
    id: int | None = Field(description="Runtime entries have an id (to remove them); policy's not.")
    source: Literal["policy", "runtime"]
    starts_at: datetime = Field(description="In the rep's time zone.")
    ends_at: datetime = Field(description="Exclusive.")
    note: str | None
    created_by: str | None = None


class TimeOffCreate(BaseModel):
    """Time off as in a policy: a date is a whole day (`to` included), a date-time exact."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    from_: str = Field(alias="from", examples=["2026-12-21", "2026-11-24T13:00"])
    to: str = Field(examples=["2026-12-31", "2026-11-24T17:30"])
    note: str | None = Field(default=None, max_length=500)


class RepPublic(BaseModel):
    """A rep of the active policy, joined with its runtime availability and load."""

    id: str
    name: str
    email: str | None
    calendar: str | None
    timezone: str
    skills: list[str]
    pools: list[str]
    presence: Literal["available", "away"]
    active: bool = Field(description="What routing uses: the override if set, else the policy's.")
    active_override: bool | None
    policy_active: bool
    caps: CapsPublic = Field(description="What routing uses: overrides over the policy's caps.")
    caps_override: CapsPublic | None
    policy_caps: CapsPublic
    time_off: list[TimeOffPublic]
    today_count: int = Field(description="Leads assigned today, in the rep's time zone.")
    week_count: int = Field(description="Leads assigned this week (from Monday), in its zone.")
    open_count: int
    last_assigned_at: datetime | None


class RepPatch(BaseModel):
    """Day-to-day availability; any subset of the fields. A rep key may set only its own
    `presence` and time off."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"presence": "away"},
                {
                    "caps": {"per_day": 20},
                    "time_off_add": [{"from": "2026-12-24", "to": "2026-12-26"}],
                },
            ]
        },
    )

    presence: Literal["available", "away"] | None = None
    active: bool | None = Field(default=None, description="null clears the override.")
    caps: CapsPatch | None = Field(default=None, description="Partial; null clears every override.")
    time_off_add: list[TimeOffCreate] = Field(default_factory=list)
    time_off_remove: list[RowId] = Field(default_factory=list, description="Runtime entries' ids.")
