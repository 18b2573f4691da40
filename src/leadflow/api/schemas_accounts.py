"""The API's schemas for accounts, their review queue, and imports."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class AccountCreate(BaseModel):
    """An account: created, or updated when `id` (or, without one, the same name) exists."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "acme",
                    "name": "Acme Corporation",
                    "domains": ["acme.com", "acme.co.uk"],
                    "owner": "alice",
                    "tier": "enterprise",
                    "industry": "manufacturing",
                    "employees": 5200,
                    "country": "US",
                }
            ]
        },
    )

    id: str | None = Field(default=None, min_length=1, max_length=200)
    name: str = Field(min_length=1, max_length=300)
    domains: list[str] = Field(default_factory=list, max_length=100)
    owner: str | None = Field(default=None, max_length=120)
    tier: str | None = Field(default=None, max_length=60)
    industry: str | None = Field(default=None, max_length=120)
    employees: int | None = Field(default=None, ge=0, le=2**31 - 1)
    country: str | None = Field(default=None, max_length=80)
    parent: str | None = Field(default=None, max_length=200)


class AccountPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    domains: list[str]
    owner: str | None
    tier: str | None
    industry: str | None
    employees: int | None
    country: str | None
    parent: str | None
    updated_at: datetime


class AccountPage(BaseModel):
    items: list[AccountPublic]
    next_cursor: str | None = Field(description="Pass as `after` for the next page; None: last.")


class AccountReviewPublic(BaseModel):
    """A lead whose company looks like an account's, but not surely enough to decide alone."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    lead_id: str
    account_id: str
    score: float
    reasons: list[str]
    status: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None


class ReviewDecision(BaseModel):
    """`{"accept": true}`: the lead belongs to the account (its account.* is filled)."""

    model_config = ConfigDict(extra="forbid")

    accept: bool


class RowProblem(BaseModel):
    line: int
    reason: str


class AccountImportResult(BaseModel):
    """What an account import did; `errors` lists the first 100 refused rows."""

    rows: int
    created: int
    updated: int
    failed: int
    errors: list[RowProblem]


class ImportResult(BaseModel):
    """What an import did. `errors` lists the first 100 refused rows; `failed` counts all."""

    rows: int
    added: int
    already: int = Field(description="Rows imported before: nothing was added for them.")
    outcomes: dict[str, int] = Field(description="What became of the added leads, by status.")
    failed: int
    notes: int = Field(
        description="Lines noted of rows kept: a value a transform could not read, a row kept "
        "as junk."
    )
    errors: list[RowProblem]
    dry_run: bool
    warnings: list[str] = Field(
        default_factory=list, description="Said of the whole file: a source that looks misspelt."
    )
