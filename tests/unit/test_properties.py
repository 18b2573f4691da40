"""Invariants of routing over random teams and random streams of leads and events.

A scenario is a policy (1-6 reps with calendars, time off, caps and skills from a small set; a
pool with a random strategy, an overflow and a fallback) and a stream of steps at increasing
times: a lead arrives, a rep goes away or comes back, a rep closes a lead. Each property replays
the stream through `decide` and `RoutingState.apply`, as live routing does.
"""

from __future__ import annotations

import copy
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from leadflow.core import (
    Caps,
    Decision,
    Lead,
    Member,
    Outcome,
    Period,
    Policy,
    Pool,
    Rep,
    RoutingState,
    Rule,
    compile_condition,
    decide,
)
from leadflow.core.calendar import Calendar
from leadflow.core.eligibility import Context, Scope, pool_scope, reason_excluded
from leadflow.core.policy import ActionKind, Strategy

T0 = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)  # a Monday
HOUR = 3600.0
WEEKDAYS = {day: ((540, 1020),) for day in range(5)}  # 09:00-17:00
CALENDARS = {
    "us-east": Calendar("us-east", "America/New_York", WEEKDAYS),
    "tokyo": Calendar("tokyo", "Asia/Tokyo", WEEKDAYS),
    "nights": Calendar("nights", "UTC", {day: ((0, 360), (1320, 1440)) for day in range(7)}),
}
ZONE = {None: "UTC", "us-east": "America/New_York", "tokyo": "Asia/Tokyo", "nights": "UTC"}
TIME_OFF = [(), (), ((2, 30),), ((24, 72),), ((5, 6), (40, 100))]  # hours after T0
VIP = compile_condition({"vip": True})


@dataclass(frozen=True)
class Arrive:
    after: int  # minutes after the previous step
    fields: dict[str, Any]
    previous_owners: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Presence:
    rep: str
    presence: str


@dataclass(frozen=True)
class Close:
    rep: str


Step = Arrive | Presence | Close


@st.composite
def reps(draw: st.DrawFn) -> dict[str, Rep]:
    team = {}
    for i in range(draw(st.integers(1, 6))):
        calendar = draw(st.sampled_from([None, "us-east", "tokyo", "nights"]))
        off = draw(st.sampled_from(TIME_OFF))
        start = T0.timestamp()
        team[f"rep{i}"] = Rep(
            id=f"rep{i}",
            name=f"Rep {i}",
            calendar=calendar,
            timezone=ZONE[calendar],
            skills=frozenset(draw(st.sets(st.sampled_from(["es", "de"])))),
            active=draw(st.sampled_from([True] * 7 + [False])),
            caps=Caps(
                per_day=draw(st.sampled_from([None, 1, 2, 3])),
                per_week=draw(st.sampled_from([None, 2, 4, 7])),
                open=draw(st.sampled_from([None, 1, 2, 4])),
            ),
            time_off=tuple(Period(start + a * HOUR, start + b * HOUR) for a, b in off),
        )
    return team


@st.composite
def policies(draw: st.DrawFn) -> Policy:
    team = draw(reps())
    ids = list(team)
    order = draw(st.permutations(ids))
    members = order[: draw(st.integers(1, len(order)))]
    strategy = draw(
        st.sampled_from([Strategy.ROUND_ROBIN, Strategy.WEIGHTED, Strategy.LEAST_LOADED])
    )
    weights = [draw(st.integers(1, 3)) for _ in members]
    backup_members = draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))
    pools = {
        "team": Pool(
            "team",
            strategy,
            tuple(Member(rep, w) for rep, w in zip(members, weights, strict=True)),
            overflow=draw(st.sampled_from([None, "backup"])),
            respect_hours=draw(st.booleans()),
            caps=Caps(
                per_day=draw(st.sampled_from([None, 1, 2])),
                open=draw(st.sampled_from([None, 2])),
            ),
            skills_from=draw(st.sampled_from([(), ("language",)])),
        ),
        "backup": Pool(
            "backup",
            Strategy.ROUND_ROBIN,
            tuple(Member(rep) for rep in backup_members),
            respect_hours=False,
            caps=Caps(per_week=draw(st.sampled_from([None, 3]))),
        ),
    }
    rules = (
        Rule(
            "vip",
            VIP,
            ActionKind.ASSIGN,
            draw(st.sampled_from(ids)),
            else_pool=draw(st.sampled_from([None, "team"])),
            respect_hours=draw(st.booleans()),
        ),
        Rule("everyone", None, ActionKind.ROUTE, "team"),
    )
    return Policy(
        timezone="UTC",
        reps=team,
        pools=pools,
        rules=rules,
        fallback=draw(st.sampled_from([None, "backup"])),
        calendars=CALENDARS,
    )


def steps(ids: list[str]) -> st.SearchStrategy[list[Step]]:
    arrive = st.builds(
        Arrive,
        after=st.sampled_from([1, 10, 60, 240, 900]),
        fields=st.fixed_dictionaries(
            {},
            optional={
                "vip": st.just(True),
                "language": st.sampled_from(["es", "de", "ES"]),
            },
        ),
        previous_owners=st.frozensets(st.sampled_from(ids), max_size=1),
    )
    presence = st.builds(Presence, st.sampled_from(ids), st.sampled_from(["away", "available"]))
    close = st.builds(Close, st.sampled_from(ids))
    return st.lists(st.one_of(arrive, arrive, arrive, presence, close), min_size=10, max_size=40)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Policy, list[Step]]:
    policy = draw(policies())
    return policy, draw(steps(list(policy.reps)))


@dataclass
class Routed:
    lead: Lead
    at: datetime
    decision: Decision
    before: RoutingState  # the state the decision was made in, before its changes


@dataclass
class Released:
    rep: str
    pool: str | None


def replay(policy: Policy, stream: list[Step]) -> Iterator[Routed | Released]:
    """Run the stream; yield each decision with the state it saw, and each lead closed."""
    state = RoutingState()
    open_leads: dict[str, list[str | None]] = defaultdict(list)  # rep -> pools of open leads
    at = T0
    for n, step in enumerate(stream):
        if isinstance(step, Presence):
            state.update_rep(step.rep, {"presence": step.presence})
        elif isinstance(step, Close):
            if open_leads[step.rep]:
                pool = open_leads[step.rep].pop(0)
                state.release(step.rep, pool)
                yield Released(step.rep, pool)
        else:
            at += timedelta(minutes=step.after)
            lead = Lead(f"lead-{n}", step.fields, step.previous_owners)
            decision = decide(lead, policy, state, at)
            yield Routed(lead, at, decision, copy.deepcopy(state))
            state.apply(decision.changes)
            if decision.rep is not None:
                open_leads[decision.rep].append(decision.pool)


def decisions(policy: Policy, stream: list[Step]) -> list[Decision]:
    return [e.decision for e in replay(policy, stream) if isinstance(e, Routed)]


def scope_of(policy: Policy, decision: Decision, lead: Lead) -> Scope:
    if decision.pool is not None:
        return pool_scope(policy.pools[decision.pool], lead)
    (rule,) = [r for r in policy.rules if r.name == decision.rule]
    return Scope(None, rule.respect_hours)


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_every_assigned_rep_was_eligible_when_the_lead_was_assigned(
    scenario: tuple[Policy, list[Step]],
) -> None:
    policy, stream = scenario
    for event in replay(policy, stream):
        if isinstance(event, Routed) and event.decision.rep is not None:
            ctx = Context(policy, event.before, event.lead, event.at.timestamp())
            scope = scope_of(policy, event.decision, event.lead)
            assert reason_excluded(ctx, scope, event.decision.rep) is None


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_no_cap_is_ever_exceeded(scenario: tuple[Policy, list[Step]]) -> None:
    policy, stream = scenario
    days: dict[tuple[str | None, str], list[date]] = defaultdict(list)  # (pool, rep) -> days
    opened: Counter[tuple[str | None, str]] = Counter()
    for event in replay(policy, stream):
        if isinstance(event, Released):
            opened[(None, event.rep)] -= 1
            if event.pool is not None:
                opened[(event.pool, event.rep)] -= 1
            continue
        rep_id, pool = event.decision.rep, event.decision.pool
        if rep_id is None:
            continue
        rep = policy.reps[rep_id]
        day = event.at.astimezone(ZoneInfo(rep.timezone)).date()
        monday = day - timedelta(days=day.weekday())
        counted = [(None, rep.caps)] + ([] if pool is None else [(pool, policy.pools[pool].caps)])
        for where, caps in counted:
            days[(where, rep_id)].append(day)
            opened[(where, rep_id)] += 1
            seen = days[(where, rep_id)]
            if caps.per_day is not None:
                assert seen.count(day) <= caps.per_day, (where, rep_id, "per_day")
            if caps.per_week is not None:
                week = sum(1 for d in seen if d - timedelta(days=d.weekday()) == monday)
                assert week <= caps.per_week, (where, rep_id, "per_week")
            if caps.open is not None:
                assert opened[(where, rep_id)] <= caps.open, (where, rep_id, "open")


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_every_lead_gets_an_outcome_and_an_unplaced_one_says_why(
    scenario: tuple[Policy, list[Step]],
) -> None:
    policy, stream = scenario
    for decision in decisions(policy, stream):
        assert (decision.rep is not None) == (decision.outcome is Outcome.ASSIGNED)
        if decision.outcome in (Outcome.UNASSIGNED, Outcome.QUEUED):
            assert decision.reason
        assert decision.record["outcome"] == decision.outcome.value


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_decide_is_deterministic(scenario: tuple[Policy, list[Step]]) -> None:
    policy, stream = scenario
    first = decisions(policy, stream)
    second = decisions(policy, stream)
    assert first == second
    assert [d.record for d in first] == [d.record for d in second]


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_decide_only_reads_the_state(scenario: tuple[Policy, list[Step]]) -> None:
    policy, stream = scenario
    for event in replay(policy, stream):
        if isinstance(event, Routed):
            state = copy.deepcopy(event.before)
            again = decide(event.lead, policy, state, event.at)
            assert state == event.before
            assert again == event.decision


def one_pool(strategy: Strategy, weights: list[int]) -> Policy:
    members = tuple(Member(f"rep{i}", w) for i, w in enumerate(weights))
    return Policy(
        timezone="UTC",
        reps={m.rep: Rep(m.rep, m.rep) for m in members},
        pools={"team": Pool("team", strategy, members)},
        rules=(Rule("everyone", None, ActionKind.ROUTE, "team"),),
    )


@settings(max_examples=100, deadline=None)
@given(k=st.integers(1, 6), n=st.integers(0, 60))
def test_round_robin_over_always_eligible_reps_gives_counts_within_one(k: int, n: int) -> None:
    policy = one_pool(Strategy.ROUND_ROBIN, [1] * k)
    stream: list[Step] = [Arrive(1, {}) for _ in range(n)]
    counts = Counter(d.rep for d in decisions(policy, stream))
    per_rep = [counts[f"rep{i}"] for i in range(k)]
    assert sum(per_rep) == n
    assert max(per_rep) - min(per_rep) <= 1


@settings(max_examples=100, deadline=None)
@given(weights=st.lists(st.integers(1, 4), min_size=1, max_size=5), periods=st.integers(1, 4))
def test_weighted_windows_are_exact_when_everyone_is_eligible(
    weights: list[int], periods: int
) -> None:
    policy = one_pool(Strategy.WEIGHTED, weights)
    total = sum(weights)
    stream: list[Step] = [Arrive(1, {}) for _ in range(total * periods + total)]
    picks = [d.rep for d in decisions(policy, stream)]
    expected = {f"rep{i}": w for i, w in enumerate(weights)}
    for start in range(len(picks) - total + 1):
        assert Counter(picks[start : start + total]) == expected, f"window at {start}"
