"""Who is calling: the API key in `Authorization: Bearer <key>` (or `X-API-Key`), as an Actor.

No key: 401. A key whose role may not do this: 403. Health endpoints need no key. Verified
keys are remembered for a short while (`KEY_TTL`) in the app's `Services.keys`, so that a
request costs no key lookup; a key revoked through this process stops working at once, and
within that time in every other process.

The two ways of sending a key are declared as the OpenAPI document's security schemes
(`bearerKey`, `apiKeyHeader`), so that every route behind a key says so and /docs has an
Authorize button. They read the headers and refuse nothing themselves (`auto_error=False`):
the 401s are `current_actor`'s, in the API's error shape.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security, status
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from leadflow.api.deps import get_services
from leadflow.grammar import a
from leadflow.service.context import Services
from leadflow.service.keys import verify_key
from leadflow.service.routing import Actor

BEARER = HTTPBearer(
    scheme_name="bearerKey",
    bearerFormat="lf_<prefix>_<secret>",
    description="An API key: `Authorization: Bearer lf_…`.",
    auto_error=False,
)
API_KEY_HEADER = APIKeyHeader(
    name="X-API-Key",
    scheme_name="apiKeyHeader",
    description="The same API key in `X-API-Key: lf_…`, for clients that cannot set a bearer.",
    auto_error=False,
)


async def current_actor(
    services: Annotated[Services, Depends(get_services)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)],
    x_api_key: Annotated[str | None, Security(API_KEY_HEADER)],
) -> Actor:
    """The caller; 401 without a valid key. A bearer key wins over `X-API-Key`.

    `async`, so a remembered key costs no thread hop; a key not yet remembered is looked up
    in the thread pool, off the event loop.
    """
    token = bearer.credentials if bearer is not None else x_api_key
    if not token:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "an API key is required: Authorization: Bearer <key>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    known = services.keys.get(token)
    if known is not None:
        return known
    generation = services.keys.generation
    actor = await run_in_threadpool(verify_key, services, token)
    if actor is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "unknown or revoked API key",
            headers={"WWW-Authenticate": "Bearer"},
        )
    services.keys.remember(token, actor, generation)
    return actor


def require(*roles: str) -> Callable[..., Awaitable[Actor]]:
    """A dependency that lets only these roles through (403 otherwise)."""

    async def check(actor: Annotated[Actor, Depends(current_actor)], request: Request) -> Actor:
        if actor.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"{a(actor.role)} key may not {request.method} {request.url.path}",
            )
        return actor

    return check
