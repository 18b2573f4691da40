"""Reports on live history (SQLite and PostgreSQL): facts derived from what routing stored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from databases import FixedClock
from leadflow.reports.engine import Query
from leadflow.reports.periods import Period
from leadflow.service import reports
from leadflow.service.context import Services
from leadflow.service.errors import Forbidden
from leadflow.service.routing import Actor, NewLead, intake, reassign, record_event
from leadflow.store.tables import LeadEventRow

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


@pytest.fixture
def team(services: Services, publish_policy: Callable[[Services, str], int]) -> Services:
    publish_policy(services, TEAM)
    return services


def take(svc: Services, n: int, source: str = "web") -> str:
    email = f"lead{n}@example.com"
    fields = {"email": email, "source": source}
    return intake(svc, NewLead(fields=fields, payload=fields, source=source), FORM).lead_id


def as_owner(svc: Services, lead_id: str) -> Actor:
    from leadflow.service.queries import lead_history

    owner = lead_history(svc, lead_id, MANAGER).lead.owner
    return Actor(f"{owner}@example.com", "rep", owner)


def week() -> Period:
    return Period.of(date(2026, 11, 16), date(2026, 11, 22), "UTC")


def test_the_live_summary_counts_what_reps_did_with_times_the_test_chose(
    team: Services, clock: FixedClock
) -> None:
    first, second, third, fourth = (take(team, n) for n in range(4))
    clock.advance(seconds=90)
    record_event(team, first, "contacted", as_owner(team, first))
    clock.advance(seconds=210)  # 300 s after assignment
    record_event(team, second, "contacted", as_owner(team, second))
    record_event(team, third, "accepted", as_owner(team, third))
    clock.advance(seconds=600)
    record_event(team, second, "meeting_booked", as_owner(team, second))
    got = reports.report_summary(team, MANAGER, Query(week()))["overall"]
    assert got["leads"] == 4
    assert got["assigned"] == 4
    assert got["time_to_assign"]["p50_seconds"] == 0  # routed in the request
    assert got["time_to_first_touch"]["p50_seconds"] == 90  # 90, 300: the lower middle
    assert got["time_to_first_touch"]["p99_seconds"] == 300
    assert got["time_to_first_touch"]["never"] == 0.5
    assert got["accepted_share"] == 0.25
    assert got["meeting_share"] == 0.25
    assert fourth  # taken in, never touched


def test_a_rejection_and_a_manual_reassignment_are_both_reassignments_with_reasons(
    team: Services, clock: FixedClock
) -> None:
    rejected, moved, _ = (take(team, n) for n in range(3))
    record_event(team, rejected, "rejected", as_owner(team, rejected), note="not my region")
    owner = as_owner(team, moved).rep_id
    reassign(team, moved, MANAGER, "ben" if owner == "ann" else "ann")
    got = reports.report_summary(team, MANAGER, Query(week()))["overall"]
    assert got["reassignments"] == 2
    assert got["reassigned_share"] == pytest.approx(2 / 3)
    assert got["reassign_reasons"] == {"rejected": 1, "manual": 1}
    assert got["reject_reasons"] == {"not my region": 1}


def test_grouped_by_rep_the_first_assignment_counts_for_the_rep_who_got_it(
    team: Services,
) -> None:
    for n in range(5):
        take(team, n)
    query = Query(week(), "rep")
    groups = reports.report_summary(team, MANAGER, query)["groups"]
    assert {g["group"]: g["figures"]["leads"] for g in groups} == {"ann": 3, "ben": 2}


def test_a_refresh_derives_only_the_leads_that_moved_since_the_last_one(
    team: Services, clock: FixedClock
) -> None:
    lead = take(team, 1)
    take(team, 2)
    assert reports.refresh_facts(team) == 2
    assert reports.refresh_facts(team) == 0
    clock.advance(seconds=30)
    record_event(team, lead, "contacted", as_owner(team, lead))
    assert reports.refresh_facts(team) == 1
    got = reports.report_summary(team, MANAGER, Query(week()))["overall"]
    assert got["time_to_first_touch"]["p50_seconds"] == 30


def test_a_lead_that_moves_while_its_facts_are_derived_is_derived_again_before_storing(
    team: Services, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The derivation runs outside the write (intake waits for writes): a timeline that grew
    in between must not leave the older facts stored under a mark that has passed it."""
    lead = take(team, 1)
    derive = reports._derive
    calls = []

    def derive_then_contact(session: Any, lead_ids: Any) -> Any:
        out = derive(session, lead_ids)
        if not calls:  # the read's derivation: the rep touches the lead right after it
            clock.advance(seconds=50)
            record_event(team, lead, "contacted", as_owner(team, lead))
        calls.append(list(lead_ids))
        return out

    monkeypatch.setattr(reports, "_derive", derive_then_contact)
    assert reports.refresh_facts(team) == 1
    assert calls == [[lead], [lead]]  # derived again inside the write
    monkeypatch.undo()
    got = reports.report_summary(team, MANAGER, Query(week()))["overall"]
    assert got["funnel"]["contacted"]["count"] == 1
    assert got["time_to_first_touch"]["p50_seconds"] == 50


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_an_event_committed_after_a_later_one_is_read_by_the_next_refresh(
    team: Services, clock: FixedClock
) -> None:
    """PostgreSQL hands out ids before commit: the refresh between waits for the missing one."""
    slow, quick = take(team, 1), take(team, 2)
    assert reports.refresh_facts(team) == 2
    clock.advance(seconds=40)
    late = team.store.engine.connect()
    try:
        late.execute(  # takes its id now, commits after the next event and the next refresh
            insert(LeadEventRow).values(
                lead_id=slow, at=clock(), type="contacted", actor="ann@example.com", data={}
            )
        )
        record_event(team, quick, "contacted", as_owner(team, quick))
        assert reports.refresh_facts(team) == 1  # quick's event; slow's id is not there yet
        late.commit()
    finally:
        late.close()
    assert reports.refresh_facts(team) == 1  # slow's, below the mark
    assert reports.refresh_facts(team) == 0
    got = reports.report_summary(team, MANAGER, Query(week()))["overall"]
    assert got["time_to_first_touch"]["never"] == 0
    assert got["time_to_first_touch"]["p99_seconds"] == 40


def test_leads_of_the_week_before_are_in_the_previous_period(
    team: Services, clock: FixedClock
) -> None:
    take(team, 1)
    clock.advance(days=7)
    take(team, 2)
    take(team, 3)
    later = Period.of(date(2026, 11, 23), date(2026, 11, 29), "UTC")
    got = reports.report_summary(team, MANAGER, Query(later))
    assert (got["overall"]["leads"], got["previous"]["overall"]["leads"]) == (2, 1)
    assert got["period"]["from"] == (date(2026, 11, 16) + timedelta(days=7)).isoformat()


def test_a_rep_may_not_read_reports(team: Services) -> None:
    with pytest.raises(Forbidden):
        reports.report_summary(team, Actor("ann@example.com", "rep", "ann"), Query(week()))
