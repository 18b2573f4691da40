"""The API's schemas, named by role: what a client sends (`...Create`) and gets back (`...Public`).

They are the HTTP contract and nothing else: rows stay in the store, the core's dataclasses in
the core. A lead is open-ended (a form has whatever fields it has), so `LeadCreate` types the
fields leadflow knows and keeps any other field too, for rules that name it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from leadflow.service.routing import EVENTS

# What describes the lead's arrival rather than the lead: kept on the lead, not in its fields.
ENVELOPE = frozenset({"external_id", "source", "received_at"})


# Row ids and version numbers are SQL `integer`s: a larger number is a 422, not a 500.
RowId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class LeadCreate(BaseModel):
    """A lead as a form or a form tool posts it: at least an email or a phone."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "external_id": "form-4711",
                    "source": "website",
                    "email": "jane@acme.example",
                    "first_name": "Jane",
                    "company": "Acme",
                    "country": "US",
                    "state": "NY",
                    "employees": 1200,
                    "score": 85,
                }
            ]
        },
    )

    external_id: str | None = Field(
        default=None, max_length=200, description="The sender's id: a retry with it replays."
    )
    source: str | None = Field(default=None, max_length=120)
    received_at: AwareDatetime | None = Field(
        default=None, description="When the lead was captured (default: when it arrives)."
    )
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    company: str | None = None
    title: str | None = None
    website: str | None = None
    country: str | None = None
    state: str | None = None
    industry: str | None = None
    employees: int | None = Field(default=None, ge=0)
    score: float | None = None
    language: str | None = None
    existing_owner: str | None = None
    requested_rep: str | None = None
    account: dict[str, Any] | None = None
    custom: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _reachable(self) -> LeadCreate:
        if not self.email and not self.phone:
            raise PydanticCustomError(
                "contact_missing",
                "a lead needs an email or a phone",
                {"fields": ["email", "phone"]},
            )
        return self

    def routing_fields(self) -> dict[str, Any]:
        """What rules read: every given field but the envelope, with `custom` merged in.

        A field given at the top level wins over the same name in `custom`; a null is no value
        (a condition on it is false, as for a missing field).
        """
        given = self.model_dump(mode="json", exclude=set(ENVELOPE), exclude_none=True)
        custom = given.pop("custom", {})
        return {**custom, **given}


class LeadRouted(BaseModel):
    """What intake, an event and a reassignment answer: where the lead is now."""

    id: str
    status: str
    owner: str | None
    pool: str | None
    rule: str | None
    decision_id: int | None
    reason: str | None = Field(default=None, description="Why nobody owns it, when nobody does.")
    why: str | None = Field(
        default=None,
        description="Where the lead went and why, in one line (held: the members' state and "
        "when the next one starts).",
    )


class LeadEventCreate(BaseModel):
    """Something a rep or a manager did with a lead; `rejected` routes it again."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(json_schema_extra={"enum": list(EVENTS)})
    at: AwareDatetime | None = Field(default=None, description="When it happened (default: now).")
    note: str | None = Field(default=None, max_length=2000)
    value: float | None = Field(
        default=None, ge=0, le=1e15, description="A won deal's value (won events only)."
    )

    @field_validator("type")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in EVENTS:
            raise ValueError(f"expected one of {', '.join(EVENTS)}")
        return value


class ReassignRequest(BaseModel):
    """`{"rep": "bob"}` to a named rep, or `{}` through the policy again."""

    model_config = ConfigDict(extra="forbid")

    rep: str | None = Field(default=None, max_length=120)


class TimelineEvent(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    type: str
    actor: str
    data: dict[str, Any]


class DecisionPublic(BaseModel):
    """A decision record: which rules were tried, who was a candidate and why not, the outcome."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    outcome: str
    rep: str | None
    pool: str | None
    rule: str | None
    policy_version: int | None
    record: dict[str, Any]


class LeadPublic(BaseModel):
    """A lead as stored: the payload exactly as received, the fields rules read, where it is."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    external_id: str | None
    source: str | None
    received_at: datetime
    status: str
    owner: str | None
    pool: str | None
    rule: str | None
    decision_id: int | None
    previous_owners: list[str]
    payload: dict[str, Any]
    fields: dict[str, Any]
    updated_at: datetime
    sla_tier: str | None = Field(description="The SLA tier of the running or last clock.")
    sla_status: str | None = Field(description="pending, met or breached; none without an SLA.")
    sla_due_at: datetime | None = Field(description="The running clock's deadline.")
    sla_reassignments: int = Field(description="Reassignments made because an SLA was missed.")
    first_assigned_at: datetime | None
    first_touch_at: datetime | None = Field(description="When it was first contacted or closed.")
    first_touch_seconds: float | None = Field(description="From first assignment, wall time.")
    first_touch_business_seconds: float | None = Field(
        description="From first assignment, in the toucher's working time."
    )
    junk_reason: str | None = Field(default=None, description="Why the lead is junk.")
    duplicate_of: str | None = Field(default=None, description="The lead it was merged into.")
    account_id: str | None = Field(default=None, description="The account it was matched to.")
    score: float | None = Field(default=None, description="The policy's score for the lead.")
    tier: str | None = Field(default=None, description="The score's tier (hot, warm, ...).")


class LeadDetail(LeadPublic):
    """One lead with its timeline (every event, its time and actor) and its decision records."""

    timeline: list[TimelineEvent]
    decisions: list[DecisionPublic]


class TimesRead(BaseModel):
    """How `received_since` and `received_until` given without an offset were read."""

    timezone: str = Field(description="The policy's zone, where they were read.")
    received_since: datetime | None = Field(description="The instant it was read as.")
    received_until: datetime | None = Field(description="The instant it was read as.")


class LeadPage(BaseModel):
    """One page of leads, oldest first; pass `next_cursor` as `cursor` for the next one."""

    items: list[LeadPublic]
    next_cursor: str | None = Field(description="None on the last page.")
    read_as: TimesRead | None = Field(
        default=None,
        description="Set when a received_* filter had no offset: the zone it was read in.",
    )
