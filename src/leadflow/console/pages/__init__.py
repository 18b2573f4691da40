"""The console's pages, a module each; `ROUTERS` is what `leadflow.console.install` mounts."""

from __future__ import annotations

from leadflow.console.pages import signin

ROUTERS = [signin.router]
