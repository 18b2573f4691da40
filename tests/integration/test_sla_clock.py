"""The SLA clock on a real database, on a fixed clock: started, reminded, met, breached,
reassigned, escalated; and the messages each step queues for the worker."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from databases import FixedClock
from leadflow.notify import DeliveryError
from leadflow.service import reps
from leadflow.service.context import Services
from leadflow.service.routing import Actor, NewLead, intake, reassign, record_event
from leadflow.store import jobs
from leadflow.store.tables import JobRow, LeadEventRow, LeadRow
from leadflow.worker import Worker
from recording import RecordingNotifier

FORM = Actor("website-form", "intake")
MANAGER = Actor("mia", "manager")
POLICY = """
version: 1
timezone: UTC
reps:
  - {id: ann, name: Ann Archer, email: ann@example.com, manager: max}
  - {id: ben, name: Ben Brook, email: ben@example.com, manager: max}
  - {id: cid, name: Cid Cole, email: cid@example.com, manager: max}
  - {id: dot, name: Dot Dean, email: dot@example.com, manager: max}
  - {id: max, name: Max Major, email: max@example.com, active: false}
pools:
  team: {strategy: round_robin, members: [ann, ben, cid], overflow: backup}
  backup: {strategy: round_robin, members: [dot]}
sla:
  - name: hot
    when: {score: {gte: 80}}
    first_touch: 5m
    remind: [3m]
    on_breach: [reassign, notify_manager]
    max_reassignments: 1
  - name: default
    first_touch: 1h
    on_breach: [notify_manager]
channels:
  mail: {type: email}
  ops: {type: webhook, url: "http://127.0.0.1:9/hook"}
notify:
  - {events: [lead.assigned, lead.reassigned, sla.reminder, sla.breached], to: owner, via: mail}
  - {events: [sla.breached], to: manager, via: mail}
  - {events: [lead.nurtured], via: ops, when: {form: nurture-me}}
acknowledge:
  via: mail
  templates:
    - {when: {form: demo}, template: demo_request}
    - {template: default}
rules:
  - {name: nurture, when: {score: {lt: 10}}, nurture: later}
  - {name: all, route: team}
fallback: team
"""

Publish = Callable[[Services, str], int]


@pytest.fixture
def svc(services: Services, publish_policy: Publish) -> Services:
    publish_policy(services, POLICY)
    return services


@pytest.fixture
def recorder() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def worker(svc: Services, recorder: RecordingNotifier) -> Worker:
    return Worker(svc, recorder, name="test-worker", senders=2)  # type: ignore[arg-type]


def take(svc: Services, **fields: Any) -> str:
    fields.setdefault("email", "jo@prospect.example")
    return intake(svc, NewLead(fields=fields, payload=dict(fields)), FORM).lead_id


def lead(svc: Services, lead_id: str) -> LeadRow:
    with svc.store.reading() as session:
        row = session.scalar(select(LeadRow).where(LeadRow.id == lead_id))
        assert row is not None
        return row


def timeline(svc: Services, lead_id: str, prefix: str = "sla.") -> list[tuple[str, dict[str, Any]]]:
    with svc.store.reading() as session:
        query = select(LeadEventRow).where(LeadEventRow.lead_id == lead_id)
        events = session.scalars(query.order_by(LeadEventRow.id))
        return [(e.type, e.data) for e in events if e.type.startswith(prefix)]


def owner_as(svc: Services, lead_id: str) -> Actor:
    owner = lead(svc, lead_id).owner
    return Actor(str(owner), "rep", owner)


def test_an_assigned_lead_starts_the_clock_of_the_first_tier_that_holds(
    svc: Services, clock: FixedClock
) -> None:
    lead_id = take(svc, score=90)
    row = lead(svc, lead_id)
    assert (row.sla_tier, row.sla_status) == ("hot", "pending")
    assert row.sla_due_at == clock.now + timedelta(minutes=5)
    assert row.first_assigned_at == clock.now
    assert [t for t, _ in timeline(svc, lead_id)] == ["sla.started"]


def test_the_clock_step_is_a_row_for_the_worker_written_with_the_lead(svc: Services) -> None:
    lead_id = take(svc, score=90)
    with svc.store.reading() as session:
        steps = session.scalars(select(JobRow).where(JobRow.kind == jobs.SLA)).all()
    assert [(s.lead_id, s.data["step"], s.data["n"]) for s in steps] == [(lead_id, "remind", 1)]


def test_nothing_is_due_before_its_time(svc: Services, worker: Worker, clock: FixedClock) -> None:
    take(svc, score=90)
    clock.advance(minutes=2, seconds=59)
    assert worker.sla_round() == 0


def test_the_reminder_goes_to_the_owner_when_due_and_only_once(
    svc: Services, worker: Worker, recorder: RecordingNotifier, clock: FixedClock
) -> None:
    lead_id = take(svc, score=90)
    owner = lead(svc, lead_id).owner
    clock.advance(minutes=3)
    assert worker.sla_round() == 1
    worker.delivery_round()
    assert worker.sla_round() == 0  # the next step (the deadline) is not due yet
    worker.delivery_round()
    assert recorder.to("sla.reminder") == [owner]
    assert timeline(svc, lead_id)[-1] == (
        "sla.reminded",
        {"tier": "hot", "reminder": 1, "rep": owner},
    )


def test_a_touch_before_the_deadline_meets_the_sla_and_the_deadline_does_nothing(
    svc: Services, worker: Worker, recorder: RecordingNotifier, clock: FixedClock
) -> None:
    lead_id = take(svc, score=90)
    clock.advance(minutes=4)
    record_event(svc, lead_id, "contacted", owner_as(svc, lead_id))
    clock.advance(minutes=10)
    worker.run_once()
    worker.run_once()
    row = lead(svc, lead_id)
    assert row.sla_status == "met"
    assert row.first_touch_seconds == 240.0
    assert recorder.to("sla.breached") == []
    assert [t for t, _ in timeline(svc, lead_id)] == ["sla.started", "sla.met"]


def test_accepting_a_lead_does_not_meet_its_sla(
    svc: Services, worker: Worker, clock: FixedClock
) -> None:
    lead_id = take(svc, score=90)
    record_event(svc, lead_id, "accepted", owner_as(svc, lead_id))
    assert lead(svc, lead_id).sla_status == "pending"


def test_a_touch_after_the_deadline_before_the_worker_acts_is_a_breach(
    svc: Services, clock: FixedClock
) -> None:
    lead_id = take(svc, score=90)
    clock.advance(minutes=6)
    record_event(svc, lead_id, "contacted", owner_as(svc, lead_id))
    row = lead(svc, lead_id)
    assert row.sla_status == "breached"
    breach = ("sla.breached", {"tier": "hot", "rep": row.owner, "late_touch": 60.0})
    assert timeline(svc, lead_id)[-1] == breach  # the rep: the team board counts it as theirs


def test_a_breach_reassigns_to_the_next_rep_of_the_pool_and_starts_a_new_clock(
    svc: Services, worker: Worker, recorder: RecordingNotifier, clock: FixedClock
) -> None:
    lead_id = take(svc, score=90)
    first = lead(svc, lead_id).owner
    clock.advance(minutes=3)
    worker.sla_round()  # the reminder
    clock.advance(minutes=2)
    worker.sla_round()  # the deadline
    worker.delivery_round()
    row = lead(svc, lead_id)
    assert row.owner not in (None, first)
    assert row.pool == "team"
    assert row.previous_owners == [first]
    assert (row.sla_status, row.sla_reassignments) == ("breached", 1)
    assert row.sla_due_at == clock.now + timedelta(minutes=5)
    assert recorder.to("sla.breached") == [first, "max"]
    assert recorder.to("lead.reassigned") == [row.owner]
    kinds = [t for t, _ in timeline(svc, lead_id)]
    assert kinds[-4:] == ["sla.reminded", "sla.breached", "sla.reassigned", "sla.started"]


def test_when_reassignments_run_out_the_lead_goes_to_the_overflow_and_is_escalated(
    svc: Services, worker: Worker, recorder: RecordingNotifier, clock: FixedClock
) -> None:
    lead_id = take(svc, score=90)
    owners = [lead(svc, lead_id).owner]
    for _ in range(2):
        clock.advance(minutes=5)
        worker.sla_round()
        worker.sla_round()
        owners.append(lead(svc, lead_id).owner)
    worker.delivery_round()
    row = lead(svc, lead_id)
    assert owners[2] == "dot"  # the team's overflow
    assert len(set(owners)) == 3
    assert row.sla_reassignments == 2
    escalations = [d for t, d in timeline(svc, lead_id) if t == "sla.escalated"]
    assert escalations == [{"tier": "hot", "manager": "max"}]
    assert recorder.to("sla.breached").count("max") == 2


def test_a_tier_without_reassign_only_tells_the_manager(
    svc: Services, worker: Worker, recorder: RecordingNotifier, clock: FixedClock
) -> None:
    lead_id = take(svc, score=50)
    owner = lead(svc, lead_id).owner
    clock.advance(hours=1)
    worker.run_once()
    worker.delivery_round()
    row = lead(svc, lead_id)
    assert (row.owner, row.sla_status, row.sla_reassignments) == (owner, "breached", 0)
    assert recorder.to("sla.breached") == [owner, "max"]


def test_a_step_claimed_twice_acts_once(
    svc: Services, worker: Worker, recorder: RecordingNotifier, clock: FixedClock
) -> None:
    lead_id = take(svc, score=90)
    clock.advance(minutes=3)
    with svc.store.writing() as session:
        (step,) = jobs.claim(session, "a-worker-that-dies", clock.now, 60, 10, (jobs.SLA,))
    clock.advance(seconds=61)  # its lease runs out: another worker takes the row again
    worker.sla_round()
    from leadflow.service.jobs import run_sla_steps

    run_sla_steps(svc, [step])  # the first worker wakes up and runs it too
    worker.delivery_round()
    assert recorder.to("sla.reminder") == [lead(svc, lead_id).owner]
    assert [t for t, _ in timeline(svc, lead_id)].count("sla.reminded") == 1


def test_a_rejected_lead_stops_the_clock_and_its_new_owner_gets_a_new_one(
    svc: Services, worker: Worker, clock: FixedClock
) -> None:
    lead_id = take(svc, score=90)
    first = lead(svc, lead_id).owner
    clock.advance(minutes=2)
    record_event(svc, lead_id, "rejected", owner_as(svc, lead_id))
    row = lead(svc, lead_id)
    assert row.owner != first
    assert row.sla_due_at == clock.now + timedelta(minutes=5)
    clock.advance(minutes=2)  # the first clock's reminder is due now, and must do nothing
    worker.sla_round()
    assert [t for t, _ in timeline(svc, lead_id)] == ["sla.started", "sla.stopped", "sla.started"]


def test_a_manager_reassignment_tells_the_new_owner(
    svc: Services, worker: Worker, recorder: RecordingNotifier
) -> None:
    lead_id = take(svc, score=50)
    reassign(svc, lead_id, MANAGER, to_rep="dot")
    worker.delivery_round()
    assert recorder.to("lead.reassigned") == ["dot"]


def test_a_nurture_lead_sends_nothing_unless_a_route_asks_for_it(
    svc: Services, worker: Worker, recorder: RecordingNotifier
) -> None:
    take(svc, score=5)
    take(svc, score=5, form="nurture-me")
    worker.delivery_round()
    assert [d.event for d in recorder.sent] == ["lead.nurtured"]
    assert lead(svc, take(svc, score=5)).sla_status is None


def test_the_prospect_gets_the_acknowledgment_chosen_by_the_lead(
    svc: Services, worker: Worker, recorder: RecordingNotifier
) -> None:
    take(svc, score=50, form="demo", email="demo@prospect.example")
    take(svc, score=50, email="plain@prospect.example")
    worker.delivery_round()
    acks = [
        (d.recipient.email, d.template) for d in recorder.sent if d.recipient.role == "prospect"
    ]
    assert acks == [
        ("demo@prospect.example", "demo_request"),
        ("plain@prospect.example", "default"),
    ]


def test_a_failed_delivery_is_retried_later_with_the_same_delivery_id(
    svc: Services, worker: Worker, recorder: RecordingNotifier, clock: FixedClock
) -> None:
    take(svc, score=50)
    recorder.failure = DeliveryError("the server said 503", retryable=True)
    worker.delivery_round()
    with svc.store.reading() as session:
        before = {r.delivery_id: r.due_at for r in session.scalars(select(JobRow))}
    assert worker.delivery_round() == 0  # backing off
    recorder.failure = None
    clock.advance(seconds=svc.settings.delivery_backoff_seconds)
    worker.delivery_round()
    assert {d.id for d in recorder.sent} == {k for k in before if k is not None}


def test_a_delivery_out_of_tries_is_dead_and_in_the_timeline(
    svc: Services, worker: Worker, recorder: RecordingNotifier, clock: FixedClock
) -> None:
    lead_id = take(svc, score=50)
    recorder.failure = DeliveryError("no such address", retryable=False)
    worker.delivery_round()
    with svc.store.reading() as session:
        states = {r.state for r in session.scalars(select(JobRow).where(JobRow.kind == "deliver"))}
    assert states == {"dead"}
    assert any(t == "notification.dead" for t, _ in timeline(svc, lead_id, "notification."))


SOLO = """
version: 1
timezone: UTC
reps:
  - {id: ann, name: Ann Archer, email: ann@example.com, manager: max}
  - {id: max, name: Max Major, email: max@example.com, active: false}
pools:
  solo: {strategy: round_robin, members: [ann]}
sla:
  - {name: hot, first_touch: 5m, on_breach: [reassign], max_reassignments: 2}
channels:
  mail: {type: email}
notify:
  - {events: [sla.breached], to: owner, via: mail}
  - {events: [sla.breached], to: manager, via: mail}
rules:
  - {name: all, route: solo}
fallback: solo
"""


def test_when_nobody_else_can_take_the_lead_it_stays_and_one_escalation_is_sent(
    services: Services, publish_policy: Publish, recorder: RecordingNotifier, clock: FixedClock
) -> None:
    publish_policy(services, SOLO)
    worker = Worker(services, recorder, name="solo", senders=1)  # type: ignore[arg-type]
    lead_id = take(services, score=90)
    clock.advance(minutes=5)
    worker.sla_round()
    worker.delivery_round()
    row = lead(services, lead_id)
    assert (row.owner, row.sla_status, row.sla_reassignments) == ("ann", "breached", 0)
    assert recorder.to("sla.breached") == ["ann", "max"]
    kinds = [t for t, _ in timeline(services, lead_id)]
    assert kinds[-3:] == ["sla.breached", "sla.not_reassigned", "sla.escalated"]


def test_a_lead_assigned_by_hand_is_reassigned_through_the_fallback_on_breach(
    svc: Services, worker: Worker, clock: FixedClock
) -> None:
    lead_id = take(svc, score=90)
    reassign(svc, lead_id, MANAGER, to_rep="dot")
    clock.advance(minutes=5)
    worker.sla_round()
    worker.sla_round()
    row = lead(svc, lead_id)
    assert row.owner not in (None, "dot")
    assert row.pool == "team"  # the fallback
    assert "dot" in row.previous_owners


BUSINESS = """
version: 1
timezone: America/New_York
calendars:
  ny: {hours: {mon-fri: ["09:00-17:00"]}, holidays: US}
reps:
  - {id: ann, name: Ann Archer, email: ann@example.com, calendar: ny}
pools:
  solo: {strategy: round_robin, members: [ann], respect_hours: false}
sla:
  - {name: working, first_touch: 2h, business_hours: true, remind: [1h]}
rules:
  - {name: all, route: solo}
fallback: solo
"""
# Wednesday 25 November 2026, 16:30 in New York; Thursday 26th is Thanksgiving (a US holiday)
WEDNESDAY_AFTERNOON = datetime(2026, 11, 25, 21, 30, tzinfo=UTC)


def test_a_business_hours_deadline_skips_the_night_and_a_holiday(
    services: Services, publish_policy: Publish, clock: FixedClock
) -> None:
    publish_policy(services, BUSINESS)
    clock.set(WEDNESDAY_AFTERNOON)
    row = lead(services, take(services))
    # 30 minutes on Wednesday, none on Thanksgiving, 90 on Friday from 09:00
    assert row.sla_due_at == datetime(2026, 11, 27, 15, 30, tzinfo=UTC)


def test_runtime_time_off_moves_a_new_deadline_and_counts_out_of_the_business_time_to_touch(
    services: Services, publish_policy: Publish, clock: FixedClock
) -> None:
    publish_policy(services, BUSINESS)
    clock.set(WEDNESDAY_AFTERNOON)
    off = reps.NewTimeOff("2026-11-27T09:00", "2026-11-27T12:00", "dentist")
    change = reps.RepUpdate(time_off_add=(off,), given=frozenset({"time_off_add"}))
    reps.update_rep(services, "ann", change, MANAGER)
    lead_id = take(services)
    row = lead(services, lead_id)
    # 30 minutes on Wednesday, then Friday from 12:00 (after the dentist): 13:30
    assert row.sla_due_at == datetime(2026, 11, 27, 18, 30, tzinfo=UTC)
    clock.set(datetime(2026, 11, 27, 18, 0, tzinfo=UTC))  # Friday 13:00
    record_event(services, lead_id, "contacted", Actor("ann", "rep", "ann"))
    row = lead(services, lead_id)
    assert row.sla_status == "met"
    assert row.first_touch_business_seconds == 30 * 60 + 60 * 60
    assert row.first_touch_seconds == (clock.now - WEDNESDAY_AFTERNOON).total_seconds()


def test_two_workers_claiming_at_once_never_take_the_same_row(
    svc: Services, make_services: Callable[[], Services], clock: FixedClock
) -> None:
    for _ in range(30):
        take(svc, score=50)
    other = make_services()
    with ThreadPoolExecutor(2) as pool:
        claims = list(
            pool.map(
                lambda s: _claim_all(s, clock.now),
                [svc, other],
            )
        )
    first, second = ({c.id for c in claimed} for claimed in claims)
    assert first and second
    assert not first & second
    assert len(first | second) == 60  # 30 messages to owners and 30 acknowledgments


def _claim_all(svc: Services, now: datetime) -> list[jobs.Claimed]:
    taken: list[jobs.Claimed] = []
    while True:
        with svc.store.writing() as session:
            got = jobs.claim(session, f"w{id(svc)}", now, 60, 5, (jobs.DELIVER,))
        if not got:
            return taken
        taken += got
        time.sleep(0.001)  # let the other worker in between


def test_a_reminder_run_after_its_deadline_breaches_instead_of_reminding(
    svc: Services, worker: Worker, recorder: RecordingNotifier, clock: FixedClock
) -> None:
    lead_id = take(svc, score=90)
    clock.advance(minutes=7)  # no worker ran for a while
    worker.sla_round()
    worker.delivery_round()
    assert recorder.to("sla.reminder") == []
    kinds = [t for t, _ in timeline(svc, lead_id)]
    assert kinds == ["sla.started", "sla.breached", "sla.reassigned", "sla.started"]


def test_the_breach_message_says_when_it_was_due_and_who_takes_the_lead(
    svc: Services, worker: Worker, recorder: RecordingNotifier, clock: FixedClock
) -> None:
    lead_id = take(svc, score=90)
    due = lead(svc, lead_id).sla_due_at
    assert due is not None
    clock.advance(minutes=5)
    worker.sla_round()
    worker.delivery_round()
    (breach, *_) = [d for d in recorder.sent if d.event == "sla.breached"]
    assert breach.context["sla"]["due_at"] == due.isoformat()
    assert breach.context["sla"]["moves_to"]["rep"] == lead(svc, lead_id).owner


def test_a_touch_logged_late_counts_at_the_time_the_rep_gives(
    svc: Services, clock: FixedClock
) -> None:
    lead_id = take(svc, score=90)
    clock.advance(minutes=8)  # the worker has not acted on the 5 minute deadline yet
    called = clock.now - timedelta(minutes=4)
    record_event(svc, lead_id, "contacted", owner_as(svc, lead_id), at=called)
    row = lead(svc, lead_id)
    assert (row.sla_status, row.first_touch_seconds) == ("met", 240.0)


def test_a_touch_cannot_be_dated_before_the_lead_was_assigned(
    svc: Services, clock: FixedClock
) -> None:
    lead_id = take(svc, score=90)
    clock.advance(minutes=8)
    record_event(
        svc, lead_id, "contacted", owner_as(svc, lead_id), at=clock.now - timedelta(days=1)
    )
    assert lead(svc, lead_id).first_touch_seconds == 0.0


def test_a_lead_queued_after_a_rejection_has_no_pending_sla(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(
        services,
        SOLO.replace(
            "solo: {strategy: round_robin, members: [ann]}",
            "solo: {strategy: round_robin, members: [ann], when_unavailable: hold}",
        ),
    )
    lead_id = take(services, score=90)
    record_event(services, lead_id, "rejected", Actor("ann", "rep", "ann"))
    row = lead(services, lead_id)
    assert (row.status, row.sla_status, row.sla_due_at) == ("queued", None, None)


def test_no_message_to_an_owner_is_queued_for_a_lead_without_one(
    services: Services, publish_policy: Publish, recorder: RecordingNotifier
) -> None:
    policy = (
        SOLO.replace(
            "  - {events: [sla.breached], to: owner, via: mail}",
            "  - {events: [sla.breached, lead.unassigned], to: owner, via: mail}",
        )
        .replace("fallback: solo\n", "")
        .replace("- {name: all, route: solo}", "- {name: none, when: {x: 1}, route: solo}")
    )
    publish_policy(services, policy)
    lead_id = take(services, score=90)
    assert lead(services, lead_id).status == "unassigned"
    with services.store.reading() as session:
        assert session.scalars(select(JobRow).where(JobRow.kind == "deliver")).all() == []
    skipped = [
        d for t, d in timeline(services, lead_id, "notification.") if t == "notification.skipped"
    ]
    assert [d["reason"] for d in skipped] == ["the lead has no owner"]
