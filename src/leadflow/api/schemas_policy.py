"""The policy API's schemas: versions as read, the answer to a publish, and a dry run's answer."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


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


class DryRunPublic(BaseModel):
    """Where the lead would go now, and the whole decision record; nothing was stored."""

    policy_version: int
    outcome: str
    rep: str | None
    pool: str | None
    rule: str | None
    reason: str | None
    record: dict[str, Any]
