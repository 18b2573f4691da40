"""How a route reaches the process's `Services`: built by `create_app`, kept on the app."""

from __future__ import annotations

from fastapi import Request

from leadflow.service.context import Services


async def get_services(request: Request) -> Services:
    """The app's Services. `async` because it does no I/O: a plain `def` dependency costs a
    thread-pool hop per request."""
    services: Services = request.app.state.services
    return services
