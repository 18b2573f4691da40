"""The console's pages, a module each; `ROUTERS` is what `leadflow.console.install` mounts."""

from __future__ import annotations

from leadflow.console.pages import (
    admin,
    home,
    inbox,
    leads,
    policy,
    queues,
    reports,
    signin,
    team,
)

ROUTERS = [
    signin.router,
    home.router,
    inbox.router,
    leads.router,
    team.router,
    policy.router,
    queues.router,
    reports.router,
    admin.router,
]
