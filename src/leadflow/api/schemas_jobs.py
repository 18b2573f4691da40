"""API schemas of the worker's rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class JobPublic(BaseModel):
    """A row of the worker: a delivery or an SLA step, where it stands, and its last error."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str = Field(
        description="deliver (a message), sla (a reminder or a deadline), digest (a weekly digest)"
    )
    lead_id: str | None
    state: str = Field(description="pending, done, skipped or dead")
    due_at: datetime
    attempts: int
    lease_until: datetime | None = Field(description="Claimed by `worker` until then.")
    worker: str | None
    delivery_id: str | None = Field(description="The same on every try: receivers dedupe by it.")
    data: dict[str, Any]
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None
