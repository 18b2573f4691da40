"""Who is calling: the API key in `Authorization: Bearer <key>` (or `X-API-Key`), as an Actor.

No key: 401. A key whose role may not do this: 403. Health endpoints need no key. Verified
keys are remembered for a short while (`KEY_TTL`) in the app's `Services.keys`, so that a
request costs no key lookup; a key revoked through this process stops working at once, and
within that time in every other process.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool

from leadflow.api.deps import get_services
from leadflow.grammar import a
from leadflow.service.context import Services
from leadflow.service.keys import verify_key
from leadflow.service.routing import Actor


async def current_actor(
    services: Annotated[Services, Depends(get_services)],
    authorization: Annotated[str | None, Header()] = None,
    x_api_key: Annotated[str | None, Header()] = None,
) -> Actor:
    """The caller; 401 without a valid key.

    `async`, so a remembered key costs no thread hop; a key not yet remembered is looked up
    in the thread pool, off the event loop.
    """
    token = x_api_key
    if authorization is not None:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() == "bearer" and value:
            token = value.strip()
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
