"""The keys API's schemas: a key as listed (`KeyPublic`), asked for (`KeyCreate`), and made."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from leadflow.service.keys import ROLES


class KeyPublic(BaseModel):
    """A key without its secret: the secret is shown once, when the key is made."""

    id: int
    name: str = Field(description="Who holds it: the actor in the audit log and timelines.")
    prefix: str = Field(description="The `lf_<prefix>_` at the start of the key.")
    role: str
    rep_id: str | None
    created_at: datetime
    revoked_at: datetime | None


class KeyCreated(KeyPublic):
    """A new key, with the token itself: shown this once; only its hash is kept."""

    token: str


class KeyCreate(BaseModel):
    """A key for a role; a `rep` key (and only a `rep` key) names its rep."""

    model_config = ConfigDict(extra="forbid")

    role: str = Field(json_schema_extra={"enum": list(ROLES)})
    name: str = Field(min_length=1, max_length=120, description="Who will hold it.")
    rep_id: str | None = Field(default=None, min_length=1, max_length=120, validate_default=True)

    @field_validator("role")
    @classmethod
    def _known_role(cls, value: str) -> str:
        if value not in ROLES:
            raise ValueError(f"expected one of {', '.join(ROLES)}")
        return value

    @field_validator("rep_id")
    @classmethod
    def _only_for_a_rep(cls, value: str | None, info: ValidationInfo) -> str | None:
        role = info.data.get("role")  # absent when the role itself was refused
        if role == "rep" and value is None:
            raise ValueError("a rep key needs the rep it belongs to")
        if role is not None and role != "rep" and value is not None:
            raise ValueError("only a rep key belongs to a rep")
        return value
