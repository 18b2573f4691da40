"""How a route reaches the process's `Services`: built by `create_app`, kept on the app."""

from __future__ import annotations

from fastapi import Request

from leadflow.service.context import Services


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services
