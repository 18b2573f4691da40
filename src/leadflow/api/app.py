"""The one place that builds the HTTP service: `create_app(settings)`.

Nothing happens at import time. `create_app` builds the process's `Services` (unless a test
hands its own in) and the app's metrics; the database is touched only when the app starts
(migrations to the latest schema) and released when it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from starlette.concurrency import run_in_threadpool

import leadflow
from leadflow import console
from leadflow.api import docs
from leadflow.api.errors import BodyLimit, install_error_handlers
from leadflow.api.metrics import Metrics
from leadflow.api.routes import (
    accounts,
    actions,
    health,
    intake,
    jobs,
    keys,
    leads,
    policy,
    reports,
    reps,
)
from leadflow.api.uploads import UPLOAD_PATHS
from leadflow.notify import Notifier
from leadflow.service.context import Services
from leadflow.service.holds import place_due_held
from leadflow.service.links import ensure_key
from leadflow.service.routing import SYSTEM
from leadflow.settings import Settings
from leadflow.store.migrate import upgrade
from leadflow.worker import Worker

log = logging.getLogger("leadflow.api")

API_PREFIX = "/api/v1"


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    """The leadflow API on `settings`' database; `services` to share one (tests, the CLI)."""
    services = services or Services.build(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(upgrade, services.store.engine)
        await run_in_threadpool(ensure_key, services)
        log.info("api.started database=%s", services.store.engine.dialect.name)
        worker = _start_worker(services) if settings.in_process_worker else None
        every = settings.held_check_seconds
        sweep = asyncio.create_task(_place_held_every(services, every)) if every else None
        checkpoints = (
            asyncio.create_task(_checkpoint_every(services, 1.0))
            if services.store.is_sqlite
            else None
        )
        try:
            yield
        finally:
            for task in (sweep, checkpoints):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            if worker is not None:
                await run_in_threadpool(worker.stop)
            if services.reports is not None:
                await run_in_threadpool(services.reports.close)
            services.store.close()
            log.info("api.stopped")

    app = FastAPI(
        title="leadflow",
        version=leadflow.__version__,
        summary="Lead distribution: every lead routed to the right rep, with the reason why.",
        docs_url=None,  # `docs`: /docs and /redoc from the package's files, not a CDN
        redoc_url=None,
        openapi_url=f"{API_PREFIX}/openapi.json",
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.metrics = Metrics()
    install_error_handlers(app)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, streamed=UPLOAD_PATHS)

    api = APIRouter(prefix=API_PREFIX)
    for resource in (
        leads.router,
        intake.router,
        accounts.router,
        reps.router,
        policy.router,
        keys.router,
        jobs.router,
        reports.router,
        health.router,
    ):
        api.include_router(resource)
    app.include_router(api)
    app.include_router(actions.router, include_in_schema=False)
    app.include_router(health.router, include_in_schema=False)
    app.include_router(docs.router)
    console.install(app)  # the pages at `/`, on the same use cases
    return app


def _start_worker(services: Services) -> Worker:
    """The server's own worker (`leadflow serve` without --no-worker): one command suffices."""
    worker = Worker(services, Notifier(services.settings, services.env))
    worker.start()
    return worker


async def _place_held_every(services: Services, seconds: float) -> None:
    """Place held leads that time has freed, every `seconds`, for as long as the server runs.

    A lead held on Friday night must reach a rep at nine on Monday without anyone touching a
    rep. Every process may do this: it runs under the routing lock, so twice is harmless.
    """
    while True:
        await asyncio.sleep(seconds)
        try:
            placed = await run_in_threadpool(place_due_held, services, SYSTEM)
        except Exception:  # a failed sweep must not end the sweeping; the next one retries
            log.exception("held.sweep_failed")
            continue
        if placed:
            log.info("held.placed count=%d", len(placed))


async def _checkpoint_every(services: Services, seconds: float) -> None:
    """Copy SQLite's write-ahead log into the database now and then, off the request path.

    Left to itself SQLite checkpoints inside whichever commit makes the log long enough, and
    that commit (and every request queued behind it) waits 100 ms or more. A PASSIVE
    checkpoint never blocks a writer; the server's connections do not checkpoint on commit.
    """
    while True:
        await asyncio.sleep(seconds)
        try:
            await run_in_threadpool(services.store.checkpoint)
        except Exception:  # the next round tries again; the log only grows meanwhile
            log.exception("sqlite.checkpoint_failed")
