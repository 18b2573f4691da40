"""`/keys`: list, make and revoke API keys (admin only).

A key's secret is in the answer that makes it and nowhere else. Each handler translates and
calls one use case of `leadflow.service.keys`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends, Path, status

from leadflow.api.auth import require
from leadflow.api.deps import get_services
from leadflow.api.params import KnownQuery
from leadflow.api.schemas_keys import KeyCreate, KeyCreated, KeyPublic
from leadflow.service import keys
from leadflow.service.context import Services
from leadflow.service.routing import Actor

router = APIRouter(prefix="/keys", tags=["keys"], dependencies=[KnownQuery])

Svc = Annotated[Services, Depends(get_services)]
Admin = Annotated[Actor, Depends(require("admin"))]


@router.get("", response_model=list[KeyPublic])
def list_keys(services: Svc, actor: Admin) -> list[KeyPublic]:
    """Every key, revoked ones too, oldest first; never a secret."""
    return [KeyPublic.model_validate(asdict(key)) for key in keys.list_keys(services)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=KeyCreated)
def create_key(body: KeyCreate, services: Svc, actor: Admin) -> KeyCreated:
    """Make a key; the answer holds its token, shown this once."""
    made = keys.create_key(services, body.role, body.name, rep_id=body.rep_id, by=actor.name)
    return KeyCreated.model_validate(asdict(made))


@router.delete("/{key_id}", response_model=KeyPublic)
def revoke_key(
    key_id: Annotated[int, Path(ge=1, le=2**31 - 1)], services: Svc, actor: Admin
) -> KeyPublic:
    """Revoke a key: refused at once by this process, within 30 s by every other one.

    Revoking a revoked key answers as the first time did.
    """
    return KeyPublic.model_validate(asdict(keys.revoke_key(services, key_id, by=actor.name)))
