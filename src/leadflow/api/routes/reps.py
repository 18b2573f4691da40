"""`/reps`: who is available, with what caps and time off, and their load; change it day to day.

Each handler translates and calls one use case of `leadflow.service.reps`; roles are checked
here (who may call at all) and in the use case (a rep key: only its own presence).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Depends

from leadflow.api.auth import require
from leadflow.api.deps import get_services
from leadflow.api.params import KnownQuery
from leadflow.api.schemas_reps import RepPatch, RepPublic
from leadflow.service import reps
from leadflow.service.context import Services
from leadflow.service.routing import Actor

router = APIRouter(prefix="/reps", tags=["reps"], dependencies=[KnownQuery])

Svc = Annotated[Services, Depends(get_services)]
Reader = Annotated[Actor, Depends(require("rep", "manager", "admin"))]


@router.get("", response_model=list[RepPublic])
def list_reps(services: Svc, actor: Reader) -> list[RepPublic]:
    """Every rep of the active policy with presence, caps, time off and today's load."""
    return [_public(view) for view in reps.list_reps(services, actor)]


@router.get("/{rep_id}", response_model=RepPublic)
def get_rep(rep_id: str, services: Svc, actor: Reader) -> RepPublic:
    """One rep with presence, caps, time off and today's load."""
    return _public(reps.get_rep(services, rep_id, actor))


@router.patch("/{rep_id}", response_model=RepPublic)
def patch_rep(rep_id: str, patch: RepPatch, services: Svc, actor: Reader) -> RepPublic:
    """Change presence, active, caps or time off; held leads the rep may now take are placed."""
    given = set(patch.model_fields_set)
    if not patch.time_off_add:
        given.discard("time_off_add")
    if not patch.time_off_remove:
        given.discard("time_off_remove")
    caps = None if patch.caps is None else patch.caps.model_dump(exclude_unset=True)
    change = reps.RepUpdate(
        presence=patch.presence,
        active=patch.active,
        caps=caps,
        time_off_add=tuple(reps.NewTimeOff(t.from_, t.to, t.note) for t in patch.time_off_add),
        time_off_remove=tuple(patch.time_off_remove),
        given=frozenset(given),
    )
    return _public(reps.update_rep(services, rep_id, change, actor))


def _public(view: reps.RepView) -> RepPublic:
    return RepPublic.model_validate(asdict(view))
