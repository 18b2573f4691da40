"""`/accounts`: the accounts leads are matched to, their review queue, and CSV imports.

Each handler translates and calls one use case of `leadflow.service.accounts` or
`leadflow.service.imports`; managers and admins change accounts, reps read them.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from leadflow.api.auth import require
from leadflow.api.deps import get_services
from leadflow.api.params import KnownQuery
from leadflow.api.schemas import RowId
from leadflow.api.schemas_accounts import (
    AccountCreate,
    AccountImportResult,
    AccountPage,
    AccountPublic,
    AccountReviewPublic,
    ReviewDecision,
    RowProblem,
)
from leadflow.api.uploads import opened, received_file
from leadflow.imports.accounts import AccountIn
from leadflow.service import accounts, imports
from leadflow.service.context import Services
from leadflow.service.routing import Actor

router = APIRouter(prefix="/accounts", tags=["accounts"], dependencies=[KnownQuery])

Svc = Annotated[Services, Depends(get_services)]
Reader = Annotated[Actor, Depends(require("rep", "manager", "admin"))]
Manager = Annotated[Actor, Depends(require("manager", "admin"))]


@router.post("", response_model=AccountPublic, status_code=201)
def post_account(
    body: AccountCreate, response: Response, services: Svc, actor: Manager
) -> AccountPublic:
    """Create an account (201), or update the one with this id or name (200)."""
    item = accounts.clean(AccountIn(**{**body.model_dump(), "domains": tuple(body.domains)}))
    ((account_id, created),) = accounts.save_accounts(services, [item], actor)
    if not created:
        response.status_code = 200
    return AccountPublic.model_validate(accounts.get_account(services, account_id))


@router.get("", response_model=AccountPage)
def list_accounts(
    services: Svc,
    actor: Reader,
    after: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AccountPage:
    """Accounts by id, a page at a time."""
    rows = accounts.list_accounts(services, after, limit)
    items = [AccountPublic.model_validate(row) for row in rows]
    return AccountPage(items=items, next_cursor=items[-1].id if len(items) == limit else None)


@router.post("/import", response_model=AccountImportResult)
async def import_accounts(request: Request, services: Svc, actor: Manager) -> AccountImportResult:
    """A CSV file as the body (any common delimiter; UTF-8 or Latin-1): an account a row.

    Columns: id (optional), name, domains, owner, tier, industry, employees, country, parent.
    Rows that fail are listed with their line; the others are saved.
    """
    async with received_file(request, services.settings.max_import_bytes) as path:

        def run() -> imports.AccountImport:
            with opened(path) as file:
                return imports.import_accounts(services, file, actor)

        done = await run_in_threadpool(run)
    errors = [RowProblem(line=line, reason=reason) for line, reason in done.errors]
    return AccountImportResult(
        rows=done.rows,
        created=done.created,
        updated=done.updated,
        failed=done.failed,
        errors=errors,
    )


@router.get("/reviews", response_model=list[AccountReviewPublic])
def list_reviews(
    services: Svc,
    actor: Reader,
    status: Annotated[str | None, Query(pattern="^(open|accepted|rejected)$")] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AccountReviewPublic]:
    """Weak lead-to-account matches waiting for a person (or settled, by `status`)."""
    rows = accounts.list_reviews(services, status, limit)
    return [AccountReviewPublic.model_validate(row) for row in rows]


@router.post("/reviews/{review_id}", response_model=AccountReviewPublic)
def settle_review(
    review_id: RowId, body: ReviewDecision, services: Svc, actor: Manager
) -> AccountReviewPublic:
    """Accept (the lead's account.* is filled) or reject a weak match."""
    row = accounts.settle_review(services, review_id, body.accept, actor)
    return AccountReviewPublic.model_validate(row)


@router.get("/{account_id}", response_model=AccountPublic)
def get_account(account_id: str, services: Svc, actor: Reader) -> AccountPublic:
    return AccountPublic.model_validate(accounts.get_account(services, account_id))


@router.delete("/{account_id}", status_code=204)
def delete_account(account_id: str, services: Svc, actor: Manager) -> Response:
    accounts.delete_account(services, account_id, actor)
    return Response(status_code=204)
