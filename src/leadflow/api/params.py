"""Query parameters read strictly: an unknown one is refused, and a time may leave out its zone.

A parameter a route does not take is a 422 naming it, never silently dropped: `?sorce=web`
must not answer every source, nor `PUT /policy?activte=false` make the text live.

    @router.get("", dependencies=[KnownQuery])

A time without an offset (`2026-11-30`, `2026-11-30T09:00`) is read in a zone the route
chooses (the policy's, for leads), and the answer says which; one with an offset is that
instant.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from leadflow.api.auth import current_actor
from leadflow.service.routing import Actor


async def known_query_only(
    request: Request, actor: Annotated[Actor, Depends(current_actor)]
) -> None:
    """Refuse (422, one entry per name, `"in": "query"`) a query parameter the route does not
    declare, here or in any of its dependencies. After the key is checked (a request without
    one is a 401 whatever its query; the route's own check reuses the actor found here)."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = declared_query(route)
    unknown = [name for name in dict.fromkeys(request.query_params) if name not in known]
    if unknown:
        takes = f"it takes {', '.join(sorted(known))}" if known else "it takes none"
        raise RequestValidationError(
            [
                {
                    "loc": ("query", name),
                    "msg": f"not a parameter of {request.method} {route.path}: {takes}",
                    "type": "extra_forbidden",
                }
                for name in unknown
            ]
        )


KnownQuery = Depends(known_query_only)


def declared_query(route: APIRoute) -> set[str]:
    """The query parameters a route reads, by the names a client sends (aliases); a walk of a
    few dependencies, cheaper than a cache of routes (which are not hashable)."""
    return _query_names(route.dependant)


def _query_names(dependant: Dependant) -> set[str]:
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def parse_time(name: str, value: str | None) -> datetime | None:
    """A query's date or time; naive when it gave no offset (see `in_zone`). A 422 naming
    `name` for text that is neither.

    >>> parse_time("since", "2026-11-30")
    datetime.datetime(2026, 11, 30, 0, 0)
    """
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise RequestValidationError([_bad_time(name, value)]) from None


def naive(at: datetime | None) -> bool:
    return at is not None and at.tzinfo is None


def in_zone(at: datetime | None, zone: str | None) -> datetime | None:
    """A time without an offset read in `zone`; one with an offset as it is.

    >>> in_zone(datetime(2026, 11, 30), "America/New_York").isoformat()
    '2026-11-30T00:00:00-05:00'
    """
    if at is None or not naive(at) or zone is None:
        return at
    return at.replace(tzinfo=ZoneInfo(zone))


def _bad_time(name: str, value: str) -> dict[str, Any]:
    message = "expected a date (2026-11-30) or a time (2026-11-30T09:00, an offset optional)"
    if " " in value.strip():  # a `+` sent unencoded arrives as a space
        message += "; send the + of an offset as %2B"
    return {"loc": ("query", name), "msg": message, "type": "datetime_parsing", "input": value}
