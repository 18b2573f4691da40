"""Who is calling: the API key in `Authorization: Bearer <key>` (or `X-API-Key`), as an Actor.

No key: 401. A key whose role may not do this: 403. Health endpoints need no key. Verified
keys are remembered for a short while (`KEY_TTL`), so that a request costs no key lookup;
a revoked key stops working within that time.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool

from leadflow.api.deps import get_services
from leadflow.service.context import Services
from leadflow.service.keys import verify_key
from leadflow.service.routing import Actor

KEY_TTL = 30.0  # seconds a verified key is trusted without a lookup

_known: dict[str, tuple[float, Actor]] = {}
_lock = threading.Lock()


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
    digest = hashlib.sha256(token.encode()).hexdigest()
    now = time.monotonic()
    with _lock:
        known = _known.get(digest)
    if known is not None and now - known[0] < KEY_TTL:
        return known[1]
    actor = await run_in_threadpool(verify_key, services, token)
    if actor is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "unknown or revoked API key",
            headers={"WWW-Authenticate": "Bearer"},
        )
    with _lock:
        if len(_known) > 10_000:
            _known.clear()
        _known[digest] = (now, actor)
    return actor


def require(*roles: str) -> Callable[..., Awaitable[Actor]]:
    """A dependency that lets only these roles through (403 otherwise)."""

    async def check(actor: Annotated[Actor, Depends(current_actor)], request: Request) -> Actor:
        if actor.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                f"a {actor.role} key may not {request.method} {request.url.path}",
            )
        return actor

    return check


def forget_keys() -> None:
    """Drop every remembered key (tests; after revoking a key)."""
    with _lock:
        _known.clear()
