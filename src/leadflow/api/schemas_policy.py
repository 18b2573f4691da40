"""The policy API's schemas: versions as read, the answer to a publish, and a dry run's answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class PolicyProblem(BaseModel):
    """An error or a warning at its line and column; `path` reads like `pools.x.members[1]`."""

    line: int | None
    column: int | None
    severity: Literal["error", "warning"]
    message: str
    path: str


class PolicyVersionPublic(BaseModel):
    version: int
    digest: str = Field(description="sha256 of the text: decisions name the policy by it.")
    active: bool
    created_at: datetime
    created_by: str
    activated_at: datetime | None
    message: str | None = Field(default=None, description="Why it was published.")


class PolicyPublic(PolicyVersionPublic):
    """A version with its YAML text."""

    text: str


class PolicyPublished(BaseModel):
    policy: PolicyPublic
    warnings: list[PolicyProblem]
    unchanged: bool = Field(
        default=False, description="The text was the live version's: no new version was made."
    )


class DryRunPublic(BaseModel):
    """Where the lead would go now, and the whole decision record; nothing was stored."""

    policy_version: int | None = Field(description="None for a draft's text.")
    outcome: str
    rep: str | None
    pool: str | None
    rule: str | None
    reason: str | None
    record: dict[str, Any]


class DryRunDraft(BaseModel):
    """A draft to try: its YAML text, and a lead (without one, `?last=` names a window)."""

    model_config = ConfigDict(extra="forbid")

    policy: str = Field(description="The draft's YAML text.")
    lead: dict[str, Any] | None = Field(default=None, description="As `POST /leads` takes it.")


class LandingPublic(BaseModel):
    """Where a lead landed: its status as routing left it, its owner, the rule that sent it."""

    status: str
    owner: str | None
    rule: str | None


class LeadChange(BaseModel):
    lead_id: str
    received_at: datetime
    changed: list[str] = Field(description="Which of owner, rule, status differ.")
    before: LandingPublic = Field(description="What live routing did.")
    after: LandingPublic = Field(description="What the policy tried would do.")


class RepChange(BaseModel):
    rep: str
    name: str
    before: int
    after: int


class DryRunWindowPublic(BaseModel):
    """The window's stored leads replayed under the policy tried, against live routing."""

    policy_version: int | None = Field(description="The version replayed; None for a draft.")
    days: int
    since: datetime
    until: datetime
    leads: int = Field(
        description="Replayed: received in the window, and those held when it opened."
    )
    changed: int = Field(description="Leads with another owner, rule or status.")
    changed_by: dict[str, int] = Field(
        description="owner, rule, status: the leads each differs for."
    )
    changes: list[LeadChange] = Field(description="The first 100 changed leads, oldest first.")
    reps: list[RepChange] = Field(description="Each rep's leads, live and under the policy tried.")
    warnings: list[PolicyProblem]
