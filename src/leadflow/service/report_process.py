"""Reports in processes of their own, so that counting history does not slow intake.

A report over a month of leads is a second or more of work, much of it Python (refreshing the
facts of the leads that moved, building the figures). In the server's process that Python takes
turns with intake's on one interpreter lock: with reports asked back to back during a load of
200 leads/s, intake's p99 grew by 130–200 ms (`bench/report_intake_bench.py`); from another
process, it stayed within the run's noise. So `leadflow serve` runs reports in a small pool of
child processes (`report_processes`, 1 by default; 0 runs them in the server, as tests and the
CLI do). Each child is spawned at the first report, builds its own `Services` from the same
settings, and is kept; a child that dies is replaced and the report asked again once.

Who may read a report and whether its query is valid is decided in the server before a child is
asked: only a query and its answer cross between processes.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from leadflow.settings import Settings

if TYPE_CHECKING:
    from leadflow.reports.engine import Query
    from leadflow.service.context import Services

log = logging.getLogger("leadflow.reports")

NICENESS = 10  # added to the server's: a report waits for intake, not the other way round
_here: Services | None = None  # in a child: its own services


class ReportProcesses:
    """A pool of child processes that answer reports (started at the first one)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings.model_copy(update={"report_processes": 0})
        self._size = settings.report_processes
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def run(self, name: str, query: Query, bucket: str) -> Any:
        """`service.reports`' report `name` ("summary", "dashboard") answered in a child."""
        for attempt in (1, 2):
            pool = self._started()
            try:
                return pool.submit(_answer, name, query, bucket).result()
            except BrokenProcessPool:
                log.warning("report.process_died attempt=%d", attempt)
                self._replace(pool)
        raise RuntimeError("the report processes died twice in a row")

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _started(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=self._size,
                    mp_context=multiprocessing.get_context("spawn"),  # no fork of a threaded server
                    initializer=_start,
                    initargs=(self._settings,),
                )
            return self._pool

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken:
                self._pool = None
        broken.shutdown(wait=False, cancel_futures=True)


def _start(settings: Settings) -> None:
    """A child's start: its own store and caches, on the server's settings, and a lower CPU
    priority than the server's, so that when the cores are busy intake is served first."""
    global _here
    from leadflow.service.context import Services

    with contextlib.suppress(OSError):  # a platform without nice(): the same priority
        os.nice(NICENESS)

    _here = Services.build(settings)


def _answer(name: str, query: Query, bucket: str) -> Any:
    from leadflow.service import reports

    assert _here is not None, "the child was started by _start"
    if name == "summary":
        return reports.summary_here(_here, query, bucket)
    if name == "dashboard":
        return reports.dashboard_here(_here, query, bucket)
    raise ValueError(f"no report named {name!r}")
