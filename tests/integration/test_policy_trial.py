"""A dry run of an edited policy over the stored leads of the last days, on both databases.

Each test routes leads live, one at a time at its own instant (the service's clock set to the
lead's `received_at`, as `leadflow demo` does), then replays them under an edited text and
checks what the trial says against what the test knows the edit does.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from databases import FixedClock
from leadflow.service import policy_trial
from leadflow.service.context import Services
from leadflow.service.errors import Forbidden, Invalid
from leadflow.service.holds import place_held
from leadflow.service.policy_trial import Landing, trial_run
from leadflow.service.routing import Actor, NewLead, intake, record_event
from leadflow.store.tables import AuditRow, DecisionRow, LeadEventRow, LeadRow, RoutingClockRow

FORM = Actor("website-form", "intake")
MANAGER = Actor("maria", "manager")
Publish = Callable[[Services, str], int]


def team_policy(threshold: int = 1000, general: str = "") -> str:
    """Ann, Ben and Cy in a round robin; Dana for companies of `threshold` people or more."""
    return f"""\
version: 1
timezone: UTC
reps:
  - {{id: ann, name: Ann Archer, email: ann@example.com}}
  - {{id: ben, name: Ben Booth, email: ben@example.com}}
  - {{id: cy, name: Cy Cole, email: cy@example.com}}
  - {{id: dana, name: Dana Diaz, email: dana@example.com}}
pools:
  general: {{strategy: round_robin, members: [ann, ben, cy]{general}}}
  enterprise: {{strategy: round_robin, members: [dana], overflow: general}}
rules:
  - name: enterprise
    when: {{employees: {{gte: {threshold}}}}}
    route: enterprise
fallback: general
"""


LIVE = team_policy()
_numbers = itertools.count(1)


def take(svc: Services, clock: FixedClock, at: datetime, **fields: Any) -> str:
    """Route one lead live at `at`; its id."""
    clock.set(at)
    email = f"lead{next(_numbers)}@example.com"
    fields = {"email": email, **fields}
    new = NewLead(fields=fields, payload=dict(fields), received_at=at)
    return intake(svc, new, FORM).lead_id


@pytest.fixture
def now(clock: FixedClock) -> datetime:
    return clock.now


def test_lowering_the_enterprise_threshold_moves_exactly_the_leads_it_names(
    services: Services, publish_policy: Publish, clock: FixedClock, now: datetime
) -> None:
    publish_policy(services, LIVE)
    start = now - timedelta(days=2)
    sizes = [50, 600, 2000, 700, 10]  # live: ann, ben, dana, cy, ann
    ids = [
        take(services, clock, start + timedelta(hours=i), employees=n) for i, n in enumerate(sizes)
    ]
    clock.set(now)
    trial = trial_run(services, team_policy(threshold=500), MANAGER)
    # 500 or more to Dana: 600 and 700 move to her, and the round robin then gives 10 to Ben.
    assert [(m.lead_id, m.before, m.after) for m in trial.moves] == [
        (ids[1], Landing("assigned", "ben"), Landing("assigned", "dana")),
        (ids[3], Landing("assigned", "cy"), Landing("assigned", "dana")),
        (ids[4], Landing("assigned", "ann"), Landing("assigned", "ben")),
    ]


def test_the_changes_name_the_owner_and_the_rule_each_lead_would_get(
    services: Services, publish_policy: Publish, clock: FixedClock, now: datetime
) -> None:
    publish_policy(services, LIVE)
    start = now - timedelta(days=2)
    ids = [
        take(services, clock, start + timedelta(hours=i), employees=n)
        for i, n in enumerate([50, 600])
    ]
    clock.set(now)
    trial = trial_run(services, team_policy(threshold=500), MANAGER)
    [change] = trial.changes
    assert (change.lead_id, change.before.rule, change.after.rule) == (ids[1], None, "enterprise")
    assert (trial.changed, trial.changed_by) == (1, {"owner": 1, "rule": 1, "status": 0})


def test_renaming_a_rule_changes_the_rule_of_its_leads_and_moves_none(
    services: Services, publish_policy: Publish, clock: FixedClock, now: datetime
) -> None:
    publish_policy(services, LIVE)
    start = now - timedelta(days=2)
    for i, n in enumerate([50, 2000, 10]):
        take(services, clock, start + timedelta(hours=i), employees=n)
    clock.set(now)
    renamed = LIVE.replace("name: enterprise", "name: big-companies")
    trial = trial_run(services, renamed, MANAGER)
    assert (trial.moved, trial.moves) == (0, [])
    assert (trial.changed, trial.changed_by) == (1, {"owner": 0, "rule": 1, "status": 0})
    assert (trial.changes[0].before.rule, trial.changes[0].after.rule) == (
        "enterprise",
        "big-companies",
    )


def test_the_reps_table_counts_each_reps_leads_before_and_after(
    services: Services, publish_policy: Publish, clock: FixedClock, now: datetime
) -> None:
    publish_policy(services, LIVE)
    start = now - timedelta(days=2)
    for i, n in enumerate([50, 600, 2000, 700, 10]):
        take(services, clock, start + timedelta(hours=i), employees=n)
    clock.set(now)
    trial = trial_run(services, team_policy(threshold=500), MANAGER)
    assert [(r.rep, r.name, r.before, r.after, r.change) for r in trial.reps] == [
        ("ann", "Ann Archer", 2, 1, -1),
        ("ben", "Ben Booth", 1, 1, 0),
        ("cy", "Cy Cole", 1, 0, -1),
        ("dana", "Dana Diaz", 1, 3, 2),
    ]
    assert (trial.leads, trial.moved) == (5, 3)


def test_replaying_the_active_policy_moves_nothing_when_the_window_opens_mid_rotation(
    services: Services, publish_policy: Publish, clock: FixedClock, now: datetime
) -> None:
    publish_policy(services, LIVE)
    before_window = now - timedelta(days=9)
    for i in range(2):  # ann, ben: the window opens with Cy next in the rotation
        take(services, clock, before_window + timedelta(hours=i))
    for i in range(4):
        take(services, clock, now - timedelta(days=3) + timedelta(hours=i))
    clock.set(now)
    trial = trial_run(services, LIVE, MANAGER)
    assert (trial.leads, trial.moved, trial.changed) == (4, 0, 0)


# Ann, Ben and Cy work 09:00-17:00 UTC on weekdays; a lead outside those hours waits.
OFFICE = LIVE.replace(
    "timezone: UTC\n", 'timezone: UTC\ncalendars:\n  office: {hours: {mon-fri: ["09:00-17:00"]}}\n'
)
OFFICE = OFFICE.replace("email: ann@example.com", "email: ann@example.com, calendar: office")
OFFICE = OFFICE.replace("email: ben@example.com", "email: ben@example.com, calendar: office")
OFFICE = OFFICE.replace("email: cy@example.com", "email: cy@example.com, calendar: office")
OFFICE = OFFICE.replace(
    "members: [ann, ben, cy]", "members: [ann, ben, cy], when_unavailable: hold"
)


def test_a_lead_held_when_the_window_opened_is_replayed_and_keeps_the_rotation_in_step(
    services: Services, publish_policy: Publish, clock: FixedClock, now: datetime
) -> None:
    publish_policy(services, OFFICE)
    monday_nine = now.replace(hour=9, minute=0)  # `now` is a Monday, 15:00 UTC
    take(services, clock, monday_nine - timedelta(days=2))  # Saturday: held until Monday, ann
    clock.set(monday_nine)
    place_held(services, None, MANAGER)
    take(services, clock, monday_nine + timedelta(hours=1))  # ben
    clock.set(now)
    trial = trial_run(services, OFFICE, MANAGER, days=1)
    assert (trial.leads, trial.carried, trial.moved, trial.changed) == (2, 1, 0, 0)


def test_leads_received_before_the_window_are_not_replayed(
    services: Services, publish_policy: Publish, clock: FixedClock, now: datetime
) -> None:
    publish_policy(services, LIVE)
    take(services, clock, now - timedelta(days=10), employees=600)
    inside = take(services, clock, now - timedelta(days=1), employees=600)
    clock.set(now)
    trial = trial_run(services, team_policy(threshold=500), MANAGER, days=7)
    assert trial.leads == 1
    assert [m.lead_id for m in trial.moves] == [inside]


def test_a_longer_window_replays_the_older_leads_too(
    services: Services, publish_policy: Publish, clock: FixedClock, now: datetime
) -> None:
    publish_policy(services, LIVE)
    take(services, clock, now - timedelta(days=10), employees=600)
    take(services, clock, now - timedelta(days=1), employees=600)
    clock.set(now)
    trial = trial_run(services, team_policy(threshold=500), MANAGER, days=14)
    assert (trial.leads, trial.moved) == (2, 2)


def test_a_pool_that_holds_counts_its_leads_held_on_arrival_and_still_held(
    services: Services, publish_policy: Publish, clock: FixedClock, now: datetime
) -> None:
    publish_policy(services, LIVE)
    start = now - timedelta(hours=3)
    for i in range(3):
        take(services, clock, start + timedelta(minutes=i))
    clock.set(now)
    # One lead a day for each of ann, ben and cy... and only ann in the pool: two wait for tomorrow.
    edited = LIVE.replace("members: [ann, ben, cy]", "members: [ann], when_unavailable: hold")
    edited = edited.replace(
        "{id: ann, name: Ann Archer, email: ann@example.com}",
        "{id: ann, name: Ann Archer, email: ann@example.com, caps: {per_day: 1}}",
    )
    trial = trial_run(services, edited, MANAGER)
    assert trial.held_on_arrival == (0, 2)
    assert trial.landed["queued"] == (0, 2)


def test_a_lead_won_in_the_window_frees_its_reps_open_cap_in_the_replay(
    services: Services, publish_policy: Publish, clock: FixedClock, now: datetime
) -> None:
    publish_policy(services, LIVE)
    first = take(services, clock, now - timedelta(hours=5))  # ann
    clock.set(now - timedelta(hours=4))
    record_event(services, first, "won", MANAGER)
    take(services, clock, now - timedelta(hours=3))  # ben
    clock.set(now)
    edited = LIVE.replace("members: [ann, ben, cy]", "members: [ann], when_unavailable: hold")
    edited = edited.replace(
        "{id: ann, name: Ann Archer, email: ann@example.com}",
        "{id: ann, name: Ann Archer, email: ann@example.com, caps: {open: 1}}",
    )
    trial = trial_run(services, edited, MANAGER)
    # Without the win replayed, Ann would still have one open lead and the second would wait.
    assert trial.held_on_arrival == (0, 0)
    assert [r.after for r in trial.reps if r.rep == "ann"] == [2]


def test_leads_received_at_one_instant_are_each_replayed_once_across_batches(
    services: Services,
    publish_policy: Publish,
    clock: FixedClock,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(policy_trial, "BATCH", 2)
    publish_policy(services, LIVE)
    at = now - timedelta(hours=1)
    for _ in range(5):
        take(services, clock, at)
    clock.set(now)
    trial = trial_run(services, LIVE, MANAGER)
    assert (trial.leads, trial.moved) == (5, 0)


def test_only_the_first_moves_are_listed_and_all_are_counted(
    services: Services,
    publish_policy: Publish,
    clock: FixedClock,
    now: datetime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(policy_trial, "SHOWN_MOVES", 2)
    publish_policy(services, LIVE)
    for i in range(3):
        take(services, clock, now - timedelta(hours=5 - i), employees=700)
    clock.set(now)
    trial = trial_run(services, team_policy(threshold=500), MANAGER)
    assert (trial.moved, len(trial.moves)) == (3, 2)


def test_a_policy_with_an_error_is_refused_with_its_line_and_nothing_is_replayed(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, LIVE)
    broken = LIVE.replace("route: enterprise", "route: nowhere")
    with pytest.raises(Invalid) as refused:
        trial_run(services, broken, MANAGER)
    (problem,) = [p for p in refused.value.detail["problems"] if p["severity"] == "error"]
    assert problem["line"] == broken.splitlines().index("    route: nowhere") + 1


def test_a_rep_may_not_try_a_policy(services: Services, publish_policy: Publish) -> None:
    publish_policy(services, LIVE)
    with pytest.raises(Forbidden):
        trial_run(services, LIVE, Actor("ann", "rep", "ann"))


def test_more_days_than_the_most_are_refused(services: Services, publish_policy: Publish) -> None:
    publish_policy(services, LIVE)
    with pytest.raises(Invalid) as refused:
        trial_run(services, LIVE, MANAGER, days=policy_trial.MOST_DAYS + 1)
    assert refused.value.detail["field"] == "days"


def test_a_trial_writes_nothing(
    services: Services, publish_policy: Publish, clock: FixedClock, now: datetime
) -> None:
    publish_policy(services, LIVE)
    for i in range(4):
        take(services, clock, now - timedelta(hours=4 - i), employees=600)
    clock.set(now)
    tables = (LeadRow.seq, DecisionRow.id, LeadEventRow.id, AuditRow.id)

    def counts() -> list[Any]:
        with services.store.reading() as session:
            rows = [session.scalar(select(func.count(c))) for c in tables]
            return [*rows, session.scalar(select(RoutingClockRow.version))]

    before = counts()
    trial_run(services, team_policy(threshold=500), MANAGER)
    assert counts() == before
