"""The simulator: replay on a virtual clock, holds released at the right instant, summaries."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from typing import Any

import pytest

from leadflow.core.decide import Decision, Outcome
from leadflow.policy import load_policy
from leadflow.simulate.simulator import SimulationError, Simulator
from leadflow.simulate.timeline import LeadArrival, LeadStatus, RepUpdate, TimelineItem

# 2026-11-23 is a Monday; New York is UTC-5 in November.
POLICY = """
version: 1
timezone: America/New_York
calendars:
  ny: {hours: {mon-fri: ["09:00-17:00"]}}
reps:
  - {id: ann, name: Ann, calendar: ny}
  - {id: ben, name: Ben, calendar: ny}
pools:
  team:
    strategy: round_robin
    members: [ann, ben]
    when_unavailable: hold
rules:
  - {name: all, route: team}
fallback: team
"""


def at(text: str) -> float:
    return datetime.fromisoformat(text).astimezone(UTC).timestamp()


def lead(lead_id: str, when: str, **fields: Any) -> LeadArrival:
    """A lead someone can reach (an email of its own, unless given), arriving at `when`."""
    reachable = {"email": f"{lead_id.lower()}@example.com", **fields}
    return LeadArrival(at(when), lead_id, reachable, 1, "leads.csv")


def run(policy_text: str, items: list[TimelineItem]) -> tuple[list[Decision], Simulator]:
    decisions: list[Decision] = []
    simulator = Simulator(load_policy(textwrap.dedent(policy_text)), decisions.append)
    simulator.run(items)
    return decisions, simulator


def test_a_lead_at_night_is_queued_and_assigned_when_working_time_starts() -> None:
    decisions, _ = run(POLICY, [lead("L1", "2026-11-23T22:00:00-05:00")])
    assert [d.outcome for d in decisions] == [Outcome.QUEUED, Outcome.ASSIGNED]
    assert decisions[1].at == datetime(2026, 11, 24, 14, 0, tzinfo=UTC)  # 09:00 in New York
    assert decisions[1].rep == "ann"


def test_a_friday_evening_lead_waits_for_monday_morning() -> None:
    decisions, simulator = run(POLICY, [lead("L1", "2026-11-27T18:00:00-05:00")])
    assert decisions[-1].at == datetime(2026, 11, 30, 14, 0, tzinfo=UTC)
    assert simulator.summary.held_seconds == [63 * 3600]


def test_held_leads_are_assigned_oldest_first_and_the_rotation_goes_on() -> None:
    decisions, _ = run(
        POLICY,
        [lead("L1", "2026-11-23T20:00:00-05:00"), lead("L2", "2026-11-23T21:00:00-05:00")],
    )
    assigned = [(d.lead_id, d.rep) for d in decisions if d.outcome is Outcome.ASSIGNED]
    assert assigned == [("L1", "ann"), ("L2", "ben")]


def test_a_lead_held_while_everyone_is_away_is_assigned_when_a_rep_is_back() -> None:
    policy = POLICY.replace("calendar: ny", "")
    away = {"presence": "away"}
    items: list[TimelineItem] = [
        RepUpdate(at("2026-11-23T10:00:00-05:00"), "ann", away, 1, "events.jsonl"),
        RepUpdate(at("2026-11-23T10:00:00-05:00"), "ben", away, 2, "events.jsonl"),
        lead("L1", "2026-11-23T10:05:00-05:00"),
        RepUpdate(at("2026-11-23T10:30:00-05:00"), "ben", {"presence": "available"}, 3, "e"),
    ]
    decisions, _ = run(policy, items)
    assert [(d.outcome, d.rep) for d in decisions] == [
        (Outcome.QUEUED, None),
        (Outcome.ASSIGNED, "ben"),
    ]
    assert decisions[1].at == datetime(2026, 11, 23, 15, 30, tzinfo=UTC)


def test_a_won_lead_frees_open_load_and_releases_a_held_lead() -> None:
    policy = POLICY.replace("calendar: ny}", "calendar: ny, caps: {open: 1}}")
    items: list[TimelineItem] = [
        lead("L1", "2026-11-23T10:00:00-05:00"),
        lead("L2", "2026-11-23T10:01:00-05:00"),
        lead("L3", "2026-11-23T10:02:00-05:00"),
        LeadStatus(at("2026-11-23T11:00:00-05:00"), "L1", "won", 1, "events.jsonl"),
    ]
    decisions, _ = run(policy, items)
    last = decisions[-1]
    assert (last.lead_id, last.outcome, last.rep) == ("L3", Outcome.ASSIGNED, "ann")
    assert last.at == datetime(2026, 11, 23, 16, 0, tzinfo=UTC)


def test_a_full_daily_cap_holds_the_lead_until_the_next_working_day() -> None:
    policy = POLICY.replace("calendar: ny}", "calendar: ny, caps: {per_day: 1}}")
    items: list[TimelineItem] = [
        lead("L1", "2026-11-23T10:00:00-05:00"),
        lead("L2", "2026-11-23T10:01:00-05:00"),
        lead("L3", "2026-11-23T10:02:00-05:00"),
    ]
    decisions, _ = run(policy, items)
    assert (decisions[-1].lead_id, decisions[-1].rep) == ("L3", "ann")
    assert decisions[-1].at == datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


def test_time_off_from_an_event_makes_the_rotation_skip_the_rep() -> None:
    policy = POLICY.replace("calendar: ny", "")
    off = {"time_off": [{"from": "2026-11-23", "to": "2026-11-23"}]}
    items: list[TimelineItem] = [
        RepUpdate(at("2026-11-23T08:00:00-05:00"), "ann", off, 1, "events.jsonl"),
        lead("L1", "2026-11-23T10:00:00-05:00"),
        lead("L2", "2026-11-23T11:00:00-05:00"),
        lead("L3", "2026-11-24T10:00:00-05:00"),
    ]
    decisions, _ = run(policy, items)
    assert [d.rep for d in decisions] == ["ben", "ben", "ann"]


def test_an_update_for_an_unknown_rep_names_the_file_and_line() -> None:
    items: list[TimelineItem] = [
        RepUpdate(at("2026-11-23T08:00:00-05:00"), "zed", {"active": False}, 7, "events.jsonl")
    ]
    with pytest.raises(SimulationError, match=r"events.jsonl line 7: rep: unknown rep 'zed'"):
        run(POLICY, items)


def test_a_lead_lost_while_queued_leaves_the_queue_and_is_counted() -> None:
    items: list[TimelineItem] = [
        lead("L1", "2026-11-23T22:00:00-05:00"),
        LeadStatus(at("2026-11-23T23:00:00-05:00"), "L1", "lost", 1, "events.jsonl"),
    ]
    decisions, simulator = run(POLICY, items)
    assert [d.outcome for d in decisions] == [Outcome.QUEUED]
    assert simulator.summary.to_dict()["outcomes"] == {"closed_while_queued": 1}
    assert simulator.held == {}


def test_a_lead_still_held_at_the_end_counts_as_queued() -> None:
    policy = POLICY.replace("calendar: ny", "active: false")
    _, simulator = run(policy, [lead("L1", "2026-11-23T10:00:00-05:00")])
    assert simulator.summary.to_dict()["outcomes"] == {"queued": 1}
    assert simulator.wake is None  # nothing but a person can make an inactive rep eligible


def test_only_leads_named_by_events_are_remembered() -> None:
    policy = load_policy(textwrap.dedent(POLICY.replace("calendar: ny", "")))
    simulator = Simulator(policy, track=frozenset({"L2"}))
    simulator.run(
        [lead("L1", "2026-11-23T10:00:00-05:00"), lead("L2", "2026-11-23T10:01:00-05:00")]
    )
    assert simulator.owners == {"L2": ("ben", "team")}


WEIGHTED = """
version: 1
timezone: UTC
reps:
  - {id: ann, name: Ann}
  - {id: ben, name: Ben}
  - {id: cy, name: Cy}
pools:
  team:
    strategy: weighted
    members: [{rep: ann, weight: 1}, {rep: ben, weight: 2}]
  solo: {strategy: round_robin, members: [cy]}
rules:
  - {name: vip, when: {vip: "yes"}, assign: cy}
  - {name: all, route: team}
fallback: team
"""


def test_the_summary_compares_each_rep_with_its_weighted_share() -> None:
    items: list[TimelineItem] = [lead(f"L{i}", f"2026-11-23T10:{i:02d}:00+00:00") for i in range(6)]
    items.append(lead("V", "2026-11-23T11:00:00+00:00", vip="yes"))
    _, simulator = run(WEIGHTED, items)
    summary = simulator.summary.to_dict()
    assert summary["per_rep"]["ann"] == {"leads": 2, "from_shared_pools": 2, "expected": 2.0}
    assert summary["per_rep"]["ben"] == {"leads": 4, "from_shared_pools": 4, "expected": 4.0}
    assert summary["per_rep"]["cy"] == {"leads": 1, "from_shared_pools": 0, "expected": 0.0}
    assert summary["per_pool"] == {"team": 6, "(direct assign)": 1}
    assert summary["fairness"] == {"rep": None, "deviation_percent": 0.0}


def test_the_fairness_figure_names_the_rep_furthest_from_its_share() -> None:
    away = {"presence": "away"}
    items: list[TimelineItem] = [
        RepUpdate(at("2026-11-23T09:00:00+00:00"), "ann", away, 1, "events.jsonl")
    ]
    items += [lead(f"L{i}", f"2026-11-23T10:{i:02d}:00+00:00") for i in range(6)]
    _, simulator = run(WEIGHTED, items)
    assert simulator.summary.to_dict()["fairness"] == {"rep": "ann", "deviation_percent": -100.0}
