"""The weekly digest on a real database: figures of a week the test builds, sent once per
manager and week with two workers and after a worker dies, and again the week after.

The history (America/New_York; the digest of Mon 23 Nov 2026 08:00 covers 16 - 22 Nov):

| Lead | Rep | Week | What happened | First touch | SLA (1h) |
|---|---|---|---|---|---|
| P1 | ann | before (10 Nov) | contacted after 20 min | 20m | met |
| A | ann | this | accepted, contacted after 10 min, meeting booked | 10m | met |
| C | ann | this | nothing (the worker breaches it) | never | breached |
| B | ben | this | contacted after 30 min, won | 30m | met |
| D | ben | this | contacted after 2 h | 2h | breached |
| E | ben | this | contacted after 5 min | 5m | met |
| X | cid | this | (another manager's team) | never | breached |
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from databases import FixedClock
from leadflow.notify import Delivery
from leadflow.service.context import Services
from leadflow.service.digest import EVENT, run_digests, schedule
from leadflow.service.routing import Actor, NewLead, intake, record_event
from leadflow.store import jobs
from leadflow.store.tables import JobRow
from leadflow.worker import Worker
from recording import RecordingNotifier

FORM = Actor("website-form", "intake")
POLICY = """
version: 1
timezone: America/New_York
reps:
  - {id: ann, name: Ann Archer, email: ann@example.com, manager: max}
  - {id: ben, name: Ben Brook, email: ben@example.com, manager: max}
  - {id: max, name: Max Major, email: max@example.com, active: false}
  - {id: cid, name: Cid Cole, email: cid@example.com, manager: zoe}
  - {id: zoe, name: Zoe Zed, email: zoe@example.com, active: false}
pools:
  team: {strategy: round_robin, members: [ann, ben]}
  other: {strategy: round_robin, members: [cid]}
sla:
  - {name: default, first_touch: 1h}
channels:
  mail: {type: email}
  team-slack: {type: slack, url: "${SLACK_URL}"}
reports:
  digest: {at: "monday 08:00", channels: [team-slack]}
rules:
  - {name: to-ann, when: {rep_hint: ann}, assign: ann}
  - {name: to-ben, when: {rep_hint: ben}, assign: ben}
  - {name: to-cid, when: {rep_hint: cid}, assign: cid}
  - {name: all, route: team}
fallback: team
"""
BEFORE = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)  # Tue 10 Nov, 10:00 in New York
WEEK = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)  # Mon 16 Nov, 10:00 in New York
SEND = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # Mon 23 Nov, 08:00 in New York (EST)
NEXT_SEND = SEND + timedelta(days=7)

Publish = Callable[[Services, str], int]


@pytest.fixture
def svc(services: Services, publish_policy: Publish, clock: FixedClock) -> Services:
    clock.set(BEFORE - timedelta(days=1))
    publish_policy(services, POLICY)
    return services


def take(svc: Services, rep: str, **fields: Any) -> str:
    fields = {"email": f"{rep}-{len(fields)}@prospect.example", "rep_hint": rep, **fields}
    return intake(svc, NewLead(fields=fields, payload=dict(fields)), FORM).lead_id


def act(svc: Services, lead_id: str, rep: str, event: str) -> None:
    record_event(svc, lead_id, event, Actor(rep, "rep", rep))


def build_history(svc: Services, clock: FixedClock) -> dict[str, str]:
    """The leads of the table above; their ids by letter."""
    ids: dict[str, str] = {}
    clock.set(BEFORE)
    ids["P1"] = take(svc, "ann", name="Pat Prior", company="Prior Inc")
    clock.advance(minutes=20)
    act(svc, ids["P1"], "ann", "contacted")
    clock.set(WEEK)
    ids["A"] = take(svc, "ann", name="Amy Able", company="Able Co")
    ids["C"] = take(svc, "ann", name="<script>alert(1)</script>", company="Evil & Co")
    ids["B"] = take(svc, "ben", name="Bo Best", company="Best Ltd")
    ids["D"] = take(svc, "ben", name="Dee Late", company="Late LLC")
    ids["E"] = take(svc, "ben", name="Eve Early", company="Early AG")
    ids["X"] = take(svc, "cid", name="Xavier Other", company="Other Org")
    clock.advance(minutes=5)
    act(svc, ids["A"], "ann", "accepted")
    act(svc, ids["E"], "ben", "contacted")
    clock.advance(minutes=5)
    act(svc, ids["A"], "ann", "contacted")
    clock.advance(minutes=20)
    act(svc, ids["B"], "ben", "contacted")
    clock.advance(minutes=31)  # past every deadline of the 10:00 leads
    drain(Worker(svc, RecordingNotifier(), name="sla-worker"))  # type: ignore[arg-type]
    clock.set(WEEK + timedelta(hours=2))
    act(svc, ids["D"], "ben", "contacted")  # after its deadline: breached, late
    clock.set(WEEK + timedelta(days=1))
    act(svc, ids["A"], "ann", "meeting_booked")
    act(svc, ids["B"], "ben", "won")
    return ids


def drain(worker: Worker) -> None:
    """Rounds until a round claims nothing: what is due is done."""
    while worker.run_once():
        pass


def digests(recorder: RecordingNotifier) -> list[Delivery]:
    return [d for d in recorder.sent if d.event == EVENT]


def emails_to(deliveries: list[Delivery]) -> list[str | None]:
    return sorted(d.recipient.email for d in deliveries if d.channel["type"] == "email")


def cells(delivery: Delivery, rep: str) -> dict[str, tuple[str, str]]:
    rows = delivery.context["digest"]["reps"]
    (row,) = [r for r in rows if r["id"] == rep]
    return {c["key"]: (c["shown"], c["change"]) for c in row["cells"]}


def test_each_manager_gets_their_teams_week_with_the_change_from_the_week_before(
    svc: Services, clock: FixedClock
) -> None:
    ids = build_history(svc, clock)
    recorder = RecordingNotifier()
    clock.set(SEND)
    drain(Worker(svc, recorder, name="w1"))  # type: ignore[arg-type]
    sent = digests(recorder)
    assert emails_to(sent) == ["max@example.com", "zoe@example.com"]
    (to_max,) = [d for d in sent if d.recipient.rep_id == "max"]
    digest = to_max.context["digest"]
    assert digest["period"] == {
        "from": "2026-11-16",
        "to": "2026-11-22",
        "zone": "America/New_York",
        "label": "16 - 22 Nov 2026",
    }
    assert [r["id"] for r in digest["reps"]] == ["ann", "ben"]
    assert cells(to_max, "ann") == {
        "leads": ("2", "+1"),
        "accepted": ("50%", "+50 pts"),  # A of A and C; P1 was not accepted
        "first_touch": ("10m", "-10m"),  # only A touched; P1 took 20 minutes
        "sla_met": ("50%", "-50 pts"),
        "meetings": ("1", "+1"),
        "won": ("0", "0"),
    }
    assert cells(to_max, "ben") == {
        "leads": ("3", "+3"),
        "accepted": ("0%", ""),  # no lead the week before: no change to say
        "first_touch": ("30m", ""),  # 5m, 30m, 2h: the median is 30m
        "sla_met": ("67%", ""),
        "meetings": ("0", "0"),
        "won": ("1", "+1"),
    }
    team = {c["key"]: c["shown"] for c in digest["team"]}
    assert team == {
        "leads": "5",
        "accepted": "20%",
        "first_touch": "10m",  # 5m, 10m, 30m, 2h: nearest rank
        "sla_met": "60%",
        "meetings": "1",
        "won": "1",
    }
    assert digest["breaches"] == 2
    breached = [(b["id"], b["rep"], b["company"]) for b in digest["breached_leads"]]
    assert sorted(breached) == sorted(
        [(ids["C"], "ann", "Evil & Co"), (ids["D"], "ben", "Late LLC")]
    )
    assert all(
        b["link"] == f"http://127.0.0.1:8000/leads/{b['id']}" for b in digest["breached_leads"]
    )


def test_another_managers_team_is_not_in_the_digest(svc: Services, clock: FixedClock) -> None:
    ids = build_history(svc, clock)
    recorder = RecordingNotifier()
    clock.set(SEND)
    drain(Worker(svc, recorder, name="w1"))  # type: ignore[arg-type]
    (to_zoe,) = [d for d in digests(recorder) if d.recipient.rep_id == "zoe"]
    digest = to_zoe.context["digest"]
    assert [r["id"] for r in digest["reps"]] == ["cid"]
    assert [b["id"] for b in digest["breached_leads"]] == [ids["X"]]


def test_the_digest_goes_to_the_manager_by_email_and_to_the_channel(
    svc: Services, clock: FixedClock
) -> None:
    build_history(svc, clock)
    recorder = RecordingNotifier()
    clock.set(SEND)
    drain(Worker(svc, recorder, name="w1"))  # type: ignore[arg-type]
    to_max = [d for d in digests(recorder) if d.context["digest"]["manager"]["id"] == "max"]
    assert sorted((d.channel["name"], d.recipient.role) for d in to_max) == [
        ("mail", "manager"),
        ("team-slack", "channel"),
    ]


def test_nothing_is_sent_before_the_time_in_the_managers_zone(
    svc: Services, clock: FixedClock
) -> None:
    build_history(svc, clock)
    recorder = RecordingNotifier()
    worker = Worker(svc, recorder, name="w1")  # type: ignore[arg-type]
    clock.set(SEND - timedelta(minutes=1))  # 07:59 in New York: 12:59 UTC
    drain(worker)
    assert digests(recorder) == []
    clock.set(SEND)
    drain(worker)
    assert emails_to(digests(recorder)) == ["max@example.com", "zoe@example.com"]


def test_two_workers_at_once_send_one_email_per_manager(
    svc: Services, make_services: Callable[[], Services], clock: FixedClock
) -> None:
    build_history(svc, clock)
    clock.set(SEND)
    recorders = [RecordingNotifier(), RecordingNotifier()]
    workers = [
        Worker(svc, recorders[0], name="w1"),  # type: ignore[arg-type]
        Worker(make_services(), recorders[1], name="w2"),  # type: ignore[arg-type]
    ]
    start = threading.Barrier(2)

    def run(worker: Worker) -> None:
        start.wait()
        for _ in range(3):  # both schedule, both claim, both send
            drain(worker)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = digests(recorders[0]) + digests(recorders[1])
    assert emails_to(sent) == ["max@example.com", "zoe@example.com"]
    assert len(sent) == 4  # and one Slack message per manager
    with svc.store.reading() as session:
        rows = session.scalars(select(JobRow).where(JobRow.kind == jobs.DIGEST)).all()
    per_week = sorted((r.data["manager"], r.data["from"], r.state) for r in rows)
    assert per_week == [("max", "2026-11-16", "done"), ("zoe", "2026-11-16", "done")]


def test_a_worker_that_died_mid_digest_is_taken_over_after_its_lease_and_sends_once(
    svc: Services, clock: FixedClock
) -> None:
    build_history(svc, clock)
    recorder = RecordingNotifier()
    worker = Worker(svc, recorder, name="w2")  # type: ignore[arg-type]
    clock.set(SEND)
    with svc.store.writing() as session:  # the first worker claims both digests, then dies
        dead = jobs.claim(session, "w1-died", clock.now, 60, 10, (jobs.DIGEST,))
    assert len(dead) == 2
    drain(worker)
    assert digests(recorder) == []  # their leases still run
    clock.advance(seconds=61)
    drain(worker)
    assert emails_to(digests(recorder)) == ["max@example.com", "zoe@example.com"]
    assert run_digests(svc, dead) == 0  # the first worker wakes up: its claims are stale
    drain(worker)
    assert emails_to(digests(recorder)) == ["max@example.com", "zoe@example.com"]


def test_the_next_week_sends_again_with_that_weeks_figures(
    svc: Services, clock: FixedClock
) -> None:
    build_history(svc, clock)
    recorder = RecordingNotifier()
    worker = Worker(svc, recorder, name="w1")  # type: ignore[arg-type]
    clock.set(SEND)
    drain(worker)
    clock.set(SEND + timedelta(days=1))
    drain(worker)
    assert len(emails_to(digests(recorder))) == 2  # a day later: nothing more
    clock.set(NEXT_SEND)
    drain(worker)
    sent = [d for d in digests(recorder) if d.recipient.rep_id == "max"]
    assert [d.context["digest"]["period"]["from"] for d in sent] == ["2026-11-16", "2026-11-23"]
    assert cells(sent[1], "ann")["leads"] == ("0", "-2")
    assert cells(sent[1], "ben")["leads"] == ("0", "-3")


def test_two_workers_scheduling_at_once_make_one_row_per_manager_and_week(
    svc: Services, make_services: Callable[[], Services], clock: FixedClock
) -> None:
    others = [svc, make_services()]
    start = threading.Barrier(2)
    made: list[int] = []

    def run(s: Services) -> None:
        start.wait()
        made.append(schedule(s))

    threads = [threading.Thread(target=run, args=(s,)) for s in others]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(made) in ([0, 2], [1, 1])  # whoever inserts first, two rows in all
    with svc.store.reading() as session:
        rows = session.scalars(select(JobRow).where(JobRow.kind == jobs.DIGEST)).all()
    assert sorted((r.data["manager"], r.due_at.replace(tzinfo=UTC)) for r in rows) == [
        ("max", datetime(2026, 11, 16, 13, tzinfo=UTC)),  # Mon 16 Nov 08:00 in New York
        ("zoe", datetime(2026, 11, 16, 13, tzinfo=UTC)),
    ]


def test_a_digest_moved_to_another_day_is_sent_that_day_and_not_on_the_old_one(
    svc: Services, publish_policy: Publish, clock: FixedClock
) -> None:
    recorder = RecordingNotifier()
    worker = Worker(svc, recorder, name="w1")  # type: ignore[arg-type]
    clock.set(WEEK)
    drain(worker)  # rows for Monday 23 Nov
    publish_policy(svc, POLICY.replace('at: "monday 08:00"', 'at: "tuesday 09:00"'))
    clock.set(SEND)
    drain(worker)
    assert digests(recorder) == []  # Monday's rows are skipped: the digest is now on Tuesday
    clock.set(datetime(2026, 11, 24, 14, 0, tzinfo=UTC))  # Tue 24 Nov 09:00 in New York
    drain(worker)
    sent = [d for d in digests(recorder) if d.recipient.rep_id == "max"]
    assert [d.context["digest"]["period"]["from"] for d in sent] == ["2026-11-17"]


def test_a_digest_moved_to_a_later_hour_the_same_day_waits_for_it(
    svc: Services, publish_policy: Publish, clock: FixedClock
) -> None:
    recorder = RecordingNotifier()
    worker = Worker(svc, recorder, name="w1")  # type: ignore[arg-type]
    clock.set(WEEK)
    drain(worker)  # rows for Monday 23 Nov 08:00
    publish_policy(svc, POLICY.replace('at: "monday 08:00"', 'at: "monday 09:30"'))
    clock.set(SEND)
    drain(worker)
    assert digests(recorder) == []  # the row now waits for 09:30
    clock.set(SEND + timedelta(hours=1, minutes=30))
    drain(worker)
    assert emails_to(digests(recorder)) == ["max@example.com", "zoe@example.com"]


def test_a_digest_moved_later_before_any_scheduler_saw_it_waits_for_its_new_time(
    svc: Services, publish_policy: Publish, clock: FixedClock
) -> None:
    recorder = RecordingNotifier()
    clock.set(WEEK)
    drain(Worker(svc, recorder, name="w1"))  # type: ignore[arg-type]
    publish_policy(svc, POLICY.replace('at: "monday 08:00"', 'at: "monday 09:30"'))
    clock.set(SEND)
    with svc.store.writing() as session:  # a worker claims the old rows at the old time
        claimed = jobs.claim(session, "w2", clock.now, 60, 10, (jobs.DIGEST,))
    assert run_digests(svc, claimed) == 0
    with svc.store.reading() as session:
        rows = session.scalars(select(JobRow).where(JobRow.kind == jobs.DIGEST)).all()
    assert {(r.state, r.due_at, r.attempts) for r in rows} == {
        ("pending", SEND + timedelta(hours=1, minutes=30), 0)
    }
