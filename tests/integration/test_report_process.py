"""Reports answered by a child process (`service.report_process`), as `leadflow serve` runs them.

The child counts on its own connection to the same database; a manager's figures must be the
ones counted in the server, and a child that dies must not take reports with it.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from datetime import date

import pytest

from databases import FixedClock
from leadflow.reports.engine import Query
from leadflow.reports.periods import Period
from leadflow.service import reports
from leadflow.service.context import Services
from leadflow.service.routing import Actor, NewLead, intake
from leadflow.settings import Settings

FORM = Actor("website-form", "intake")
MANAGER = Actor("mia", "manager")
TEAM = """
version: 1
timezone: UTC
reps:
  - {id: ann, name: Ann Archer}
  - {id: ben, name: Ben Brook}
pools:
  team: {strategy: round_robin, members: [ann, ben]}
fallback: team
"""
WEEK = Query(Period.of(date(2026, 11, 16), date(2026, 11, 22), "UTC"), "source")


def _take(svc: Services, n: int, source: str) -> None:
    fields = {"email": f"lead{n}@example.com", "source": source}
    intake(svc, NewLead(fields=fields, payload=fields, source=source), FORM)


def _apart(database_url: str, clock: FixedClock) -> Services:
    settings = Settings(database_url=database_url, pool_size=2, report_processes=1)
    return Services.build(settings, clock=clock)


def test_a_report_from_the_child_process_counts_what_the_server_stored(
    services: Services,
    database_url: str,
    clock: FixedClock,
    publish_policy: Callable[[Services, str], int],
) -> None:
    publish_policy(services, TEAM)
    for n, source in enumerate(["web", "web", "web", "chat"]):
        _take(services, n, source)
    apart = _apart(database_url, clock)
    try:
        assert apart.reports is not None
        got = reports.report_summary(apart, MANAGER, WEEK)
    finally:
        if apart.reports is not None:
            apart.reports.close()
        apart.store.close()
    assert got["overall"]["leads"] == 4
    assert got["overall"]["assigned"] == 4
    assert {g["group"]: g["figures"]["leads"] for g in got["groups"]} == {"web": 3, "chat": 1}
    here = reports.report_summary(services, MANAGER, WEEK)
    assert got["overall"] == here["overall"]


def test_a_child_that_dies_is_replaced_and_the_report_answered(
    services: Services,
    database_url: str,
    clock: FixedClock,
    publish_policy: Callable[[Services, str], int],
    caplog: pytest.LogCaptureFixture,
) -> None:
    publish_policy(services, TEAM)
    _take(services, 1, "web")
    apart = _apart(database_url, clock)
    assert apart.reports is not None
    try:
        assert reports.report_summary(apart, MANAGER, WEEK)["overall"]["leads"] == 1
        pool = apart.reports._started()
        for pid in list(pool._processes):  # the one child, killed as the OOM killer would
            os.kill(pid, signal.SIGKILL)
        _take(services, 2, "web")
        assert reports.report_summary(apart, MANAGER, WEEK)["overall"]["leads"] == 2
        assert "report.process_died attempt=1" in caplog.text  # the child was replaced
    finally:
        apart.reports.close()
        apart.store.close()
