"""SLAs in a simulation: clocks from the history's first touches, breaches acted on as live."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from rich.console import Console

from leadflow.core.decide import Decision, Outcome, decide, reassign
from leadflow.core.lead import Lead
from leadflow.core.state import RoutingState
from leadflow.policy import load_policy
from leadflow.simulate.runner import run_simulation
from leadflow.simulate.simulator import Simulator
from leadflow.simulate.sla_report import NO_SLA, NO_TOUCHES
from leadflow.simulate.timeline import (
    LeadArrival,
    LeadStatus,
    TimelineError,
    TimelineItem,
    read_leads,
    timeline,
)

# Three reps in a round robin, an overflow of one, and two tiers: `hot` moves a lead once
# after 5 minutes without a touch, then escalates; `default` only tells the manager.
POLICY = """
version: 1
timezone: UTC
reps:
  - {id: ann, name: Ann, manager: mia}
  - {id: ben, name: Ben, manager: mia}
  - {id: cy, name: Cy, manager: mia}
  - {id: dee, name: Dee, manager: mia}
  - {id: mia, name: Mia, active: false}
pools:
  team: {strategy: round_robin, members: [ann, ben, cy], overflow: backup}
  backup: {strategy: round_robin, members: [dee]}
rules:
  - {name: all, route: team}
fallback: backup
sla:
  - name: hot
    when: {score: {gte: 80}}
    first_touch: 5m
    on_breach: [reassign, notify_manager]
    max_reassignments: 1
  - name: default
    first_touch: 1h
    on_breach: [notify_manager]
"""

# 2026-11-27 is a Friday; New York is UTC-5 then.
BUSINESS = """
version: 1
timezone: America/New_York
calendars:
  ny: {hours: {mon-fri: ["09:00-17:00"]}}
reps:
  - {id: ann, name: Ann, calendar: ny}
  - {id: ben, name: Ben, calendar: ny}
pools:
  team: {strategy: round_robin, members: [ann, ben]}
rules:
  - {name: all, route: team}
sla:
  - {name: hours, first_touch: 2h, business_hours: true, on_breach: [reassign],
     max_reassignments: 1}
"""

DAY = "2026-11-23T"


def at(text: str) -> float:
    return datetime.fromisoformat(text).astimezone(UTC).timestamp()


def lead(lead_id: str, when: str, touch: str | None = None, **fields: Any) -> LeadArrival:
    """A lead someone can reach (an email of its own, unless given), arriving at `when`."""
    touched = None if touch is None else at(touch)
    reachable = {"email": f"{lead_id.lower()}@example.com", **fields}
    return LeadArrival(at(when), lead_id, reachable, 1, "leads.csv", touched)


def status(lead_id: str, when: str, what: str) -> LeadStatus:
    return LeadStatus(at(when), lead_id, what, 1, "events.jsonl")


def run(items: list[TimelineItem], policy: str = POLICY) -> tuple[list[Decision], Simulator]:
    decisions: list[Decision] = []
    simulator = Simulator(load_policy(textwrap.dedent(policy)), decisions.append)
    simulator.run(items)
    return decisions, simulator


def tier(simulator: Simulator, name: str) -> dict[str, Any]:
    figures: dict[str, Any] = simulator.summary.to_dict()["sla"]["tiers"][name]
    return figures


def owners(decisions: list[Decision], lead_id: str) -> list[str | None]:
    return [d.rep for d in decisions if d.lead_id == lead_id]


# Met and breached


def test_a_lead_touched_before_its_deadline_met_its_sla() -> None:
    _, simulator = run([lead("L1", DAY + "10:00Z", touch=DAY + "10:40Z")])
    figures = tier(simulator, "default")
    assert (figures["met"], figures["breached"]) == (1, 0)


def test_a_lead_touched_after_its_deadline_breached_its_sla() -> None:
    _, simulator = run([lead("L1", DAY + "10:00Z", touch=DAY + "11:30Z")])
    figures = tier(simulator, "default")
    assert (figures["met"], figures["breached"]) == (0, 1)


def test_a_lead_never_touched_is_breached_at_its_deadline_and_its_manager_told() -> None:
    _, simulator = run([lead("L1", DAY + "10:00Z")])
    figures = tier(simulator, "default")
    assert (figures["breached"], figures["managers_told"], figures["touched"]) == (1, 1, 0)


def test_a_touch_at_the_very_deadline_meets_it() -> None:
    _, simulator = run([lead("L1", DAY + "10:00Z"), status("L1", DAY + "11:00Z", "contacted")])
    assert tier(simulator, "default")["met"] == 1


def test_a_status_event_that_meets_an_sla_is_the_touch_when_first_touch_at_is_absent() -> None:
    items: list[TimelineItem] = [
        lead("L1", DAY + "10:00Z"),
        status("L1", DAY + "10:20Z", "meeting_booked"),
    ]
    _, simulator = run(items)
    figures = tier(simulator, "default")
    assert (figures["met"], figures["median_to_first_touch_seconds"]) == (1, 1200.0)


def test_first_touch_at_wins_over_a_status_event() -> None:
    items: list[TimelineItem] = [
        lead("L1", DAY + "10:00Z", touch=DAY + "11:30Z"),
        status("L1", DAY + "10:20Z", "contacted"),
    ]
    _, simulator = run(items)
    assert tier(simulator, "default")["breached"] == 1


def test_a_lead_closed_before_a_touch_has_no_verdict() -> None:
    _, simulator = run([lead("L1", DAY + "10:00Z"), status("L1", DAY + "10:30Z", "closed")])
    figures = tier(simulator, "default")
    assert (figures["closed_before_touch"], figures["met_percent"]) == (1, None)


def test_a_breached_lead_closed_before_a_touch_stays_counted_as_breached_only() -> None:
    items: list[TimelineItem] = [
        lead("L1", DAY + "10:00Z", score=90),  # breached at 10:05, moved to ben
        status("L1", DAY + "10:07Z", "closed"),
    ]
    _, simulator = run(items)
    figures = tier(simulator, "hot")
    assert (figures["breached"], figures["closed_before_touch"], figures["leads"]) == (1, 0, 1)


# Tiers


def test_the_first_tier_whose_when_holds_sets_the_deadline() -> None:
    ten_minutes = DAY + "10:10Z"
    items: list[TimelineItem] = [
        lead("hot", DAY + "10:00Z", touch=ten_minutes, score=90),
        lead("cold", DAY + "10:00Z", touch=ten_minutes, score=10),
    ]
    _, simulator = run(items)
    assert (tier(simulator, "hot")["breached"], tier(simulator, "default")["met"]) == (1, 1)


def test_a_business_hours_deadline_runs_across_the_weekend() -> None:
    friday = lead("L1", "2026-11-27T16:30:00-05:00")  # 30 minutes on Friday, 90 on Monday
    decisions, _ = run([friday], BUSINESS)
    moved = decisions[-1]
    assert (moved.reason, moved.at) == ("sla_reassign", datetime(2026, 11, 30, 15, 30, tzinfo=UTC))


def test_time_to_first_touch_is_counted_in_working_time_too() -> None:
    friday = lead("L1", "2026-11-27T16:30:00-05:00", touch="2026-11-30T10:00:00-05:00")
    _, simulator = run([friday], BUSINESS)
    figures = tier(simulator, "hours")
    wall, working = 65.5 * 3600, 1.5 * 3600
    assert (figures["median_to_first_touch_seconds"], figures["met"]) == (wall, 1)
    assert figures["median_to_first_touch_business_seconds"] == working


# Reassignment and escalation


def test_a_breach_reassigns_to_the_next_rep_never_to_a_previous_owner() -> None:
    touched = DAY + "10:08Z"  # in time for its second owner
    items: list[TimelineItem] = [
        lead("L1", DAY + "10:00Z", touch=touched, score=90),  # ann
        lead("L2", DAY + "10:01Z", touch=DAY + "10:02Z"),  # ben
        lead("L3", DAY + "10:02Z", touch=DAY + "10:03Z"),  # cy: next in the rotation is ann
    ]
    decisions, _ = run(items)
    assert owners(decisions, "L1") == ["ann", "ben"]


def test_a_reassignment_advances_the_rotation_as_live_would() -> None:
    items: list[TimelineItem] = [
        lead("L1", DAY + "10:00Z", touch=DAY + "10:30Z", score=90),
        lead("L2", DAY + "10:06Z", touch=DAY + "10:07Z"),  # after L1's deadline at 10:05
    ]
    decisions, _ = run(items)
    policy = load_policy(textwrap.dedent(POLICY))
    state, instant = RoutingState(), datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    first = decide(Lead("L1", {"score": 90}), policy, state, instant)
    state.apply(first.changes)
    again = reassign(
        Lead("L1", {"score": 90}, frozenset({"ann"})), "team", "all", policy, state,
        instant.replace(minute=5), to_overflow=False, from_rep="ann",
    )  # fmt: skip
    assert again is not None
    state.release("ann", "team")
    state.apply(again.changes)
    live = decide(Lead("L2", {}), policy, state, instant.replace(minute=6))
    assert owners(decisions, "L2") == [live.rep] == ["cy"]


def test_a_reassignment_is_a_decision_with_its_reason() -> None:
    decisions, _ = run([lead("L1", DAY + "10:00Z", touch=DAY + "10:08Z", score=90)])
    moved = decisions[-1]
    assert (moved.outcome, moved.rep, moved.reason) == (Outcome.ASSIGNED, "ben", "sla_reassign")
    assert moved.record["sla_reassign"]["from"] == "ann"


def test_when_reassignments_run_out_the_lead_goes_to_the_overflow_and_is_escalated() -> None:
    decisions, simulator = run([lead("L1", DAY + "10:00Z", touch=DAY + "10:12Z", score=90)])
    figures = tier(simulator, "hot")
    assert owners(decisions, "L1") == ["ann", "ben", "dee"]
    assert decisions[-1].pool == "backup"
    assert (figures["reassignments"], figures["reassignments_to_overflow"]) == (2, 1)
    assert (figures["escalations"], figures["managers_told"]) == (1, 2)


def test_when_nobody_else_can_take_the_lead_it_stays_breached_with_its_owner() -> None:
    decisions, simulator = run([lead("L1", DAY + "10:00Z", score=90)])  # never touched
    figures = tier(simulator, "hot")
    assert owners(decisions, "L1") == ["ann", "ben", "dee"]  # dee's breach finds nobody
    assert (figures["not_reassigned"], figures["escalations"], figures["pending"]) == (1, 2, 0)


def test_a_breached_lead_then_touched_in_time_by_a_new_owner_stays_breached() -> None:
    _, simulator = run([lead("L1", DAY + "10:00Z", touch=DAY + "10:08Z", score=90)])
    figures = tier(simulator, "hot")
    assert (figures["breached"], figures["met"], figures["met_after_reassignment"]) == (1, 0, 1)


def test_a_lead_assigned_by_an_assign_rule_is_reassigned_through_the_fallback_as_live() -> None:
    direct = POLICY.replace("- {name: all, route: team}", "- {name: all, assign: ann}")
    decisions, simulator = run([lead("L1", DAY + "10:00Z", score=90)], direct)
    assert owners(decisions, "L1") == ["ann", "dee"]  # backup is the fallback
    assert tier(simulator, "hot")["breached"] == 1


def test_the_reassigned_lead_counts_for_its_new_rep() -> None:
    _, simulator = run([lead("L1", DAY + "10:00Z", touch=DAY + "10:08Z", score=90)])
    summary = simulator.summary.to_dict()
    assert (summary["per_rep"]["ben"]["leads"], summary["outcomes"]) == (1, {"assigned": 1})


def test_a_deadline_is_acted_on_in_time_order_before_later_leads() -> None:
    items: list[TimelineItem] = [
        lead("L1", DAY + "10:00Z", score=90),
        lead("L2", DAY + "10:04Z", touch=DAY + "10:04Z"),  # before the 10:05 deadline: ben
        lead("L3", DAY + "10:06Z", touch=DAY + "10:06Z"),  # after it: L1 went to cy
    ]
    decisions, _ = run(items)
    assert [(d.lead_id, d.rep) for d in decisions] == [
        ("L1", "ann"),
        ("L2", "ben"),
        ("L1", "cy"),
        ("L3", "ann"),
        ("L1", "dee"),  # at 10:10, cy's deadline: reassignments ran out
    ]


def test_only_leads_whose_clock_runs_are_remembered() -> None:
    policy = load_policy(textwrap.dedent(POLICY))
    simulator = Simulator(policy, track=frozenset())  # no event names a lead
    for item in [
        lead("L1", DAY + "10:00Z", touch=DAY + "10:10Z"),
        lead("L2", DAY + "10:01Z"),
        lead("L3", DAY + "12:00Z", touch=DAY + "12:01Z"),
    ]:
        simulator.step(item)
    assert simulator.clocks is not None and simulator.clocks.remembered() == 1  # L3's


# The summary


def test_the_summary_gives_the_share_met_and_the_median_time_to_first_touch() -> None:
    items: list[TimelineItem] = [
        lead("L1", DAY + "10:00Z", touch=DAY + "10:10Z"),
        lead("L2", DAY + "10:00Z", touch=DAY + "10:20Z"),
        lead("L3", DAY + "10:00Z", touch=DAY + "10:30Z"),
        lead("L4", DAY + "10:00Z"),
    ]
    _, simulator = run(items)
    overall = simulator.summary.to_dict()["sla"]["overall"]
    assert (overall["leads"], overall["met_percent"]) == (4, 75.0)
    assert overall["median_to_first_touch_seconds"] == 1200.0


def test_the_text_summary_has_a_column_per_tier_and_one_for_all() -> None:
    _, simulator = run([lead("L1", DAY + "10:00Z", touch=DAY + "10:10Z")])
    console = Console(record=True, width=100)
    simulator.summary.render(console)
    rows = [line.split("│")[1:-1] for line in console.export_text().splitlines()]
    cells = {row[0].strip(): [c.strip() for c in row[1:]] for row in rows if len(row) == 4}
    assert cells["Met %"] == ["-", "100.0%", "100.0%"]  # hot, default, all tiers


def test_a_policy_without_sla_reports_sla_not_measured() -> None:
    no_sla = POLICY.split("sla:")[0]
    _, simulator = run([lead("L1", DAY + "10:00Z", touch=DAY + "10:10Z")], no_sla)
    console = Console(record=True, width=200)
    simulator.summary.render(console)
    assert simulator.summary.to_dict()["sla"] == {"measured": False, "why_not": NO_SLA}
    assert "SLA: not measured: the policy has no sla tiers." in console.export_text()


# Files


def write_files(folder: Path, leads: str, events: list[dict[str, Any]] | None = None) -> None:
    (folder / "policy.yaml").write_text(textwrap.dedent(POLICY))
    (folder / "leads.csv").write_text(textwrap.dedent(leads))
    lines = b"".join(orjson.dumps(e) + b"\n" for e in events or [])
    (folder / "events.jsonl").write_bytes(lines)


LEADS = """\
    id,received_at,email,score,first_touch_at
    L1,2026-11-23T10:00,l1@example.com,90,2026-11-23T10:30
    L2,2026-11-23T10:01,l2@example.com,10,2026-11-23T10:20
    L3,2026-11-23T10:02,l3@example.com,85,
    L4,2026-11-23T10:03,l4@example.com,85,2026-11-23T10:04
    L5,2026-11-23T10:06,l5@example.com,20,
"""


def simulate(folder: Path, out: str) -> dict[str, Any]:
    summary = run_simulation(
        folder / "policy.yaml", folder / "leads.csv", folder / "events.jsonl", folder / out
    )
    return summary.to_dict()


def test_a_history_without_touches_reports_sla_not_measured_and_moves_no_lead(
    tmp_path: Path,
) -> None:
    write_files(tmp_path, "id,received_at,email,score\nL1,2026-11-23T10:00,l1@example.com,90\n")
    summary = simulate(tmp_path, "decisions.jsonl")
    assert summary["sla"] == {"measured": False, "why_not": NO_TOUCHES}
    assert len((tmp_path / "decisions.jsonl").read_bytes().splitlines()) == 1


def test_a_status_event_that_meets_an_sla_is_touch_data(tmp_path: Path) -> None:
    write_files(
        tmp_path,
        "id,received_at,email,score\nL1,2026-11-23T10:00,l1@example.com,90\n",
        [{"at": "2026-11-23T10:02", "type": "lead.status", "lead_id": "L1", "status": "won"}],
    )
    assert simulate(tmp_path, "decisions.jsonl")["sla"]["overall"]["met"] == 1


def test_the_same_inputs_with_sla_give_byte_identical_decisions(tmp_path: Path) -> None:
    write_files(tmp_path, LEADS)
    simulate(tmp_path, "first.jsonl")
    simulate(tmp_path, "second.jsonl")
    first = (tmp_path / "first.jsonl").read_bytes()
    assert b'"sla_reassign"' in first
    assert first == (tmp_path / "second.jsonl").read_bytes()


def test_first_touch_at_is_the_leads_history_not_a_field_the_rules_read(tmp_path: Path) -> None:
    write_files(tmp_path, LEADS)
    first = next(read_leads(tmp_path / "leads.csv", "UTC"))
    assert (first.fields, first.first_touch) == (
        {"email": "l1@example.com", "score": "90"},
        at("2026-11-23T10:30Z"),
    )


def test_an_empty_first_touch_at_means_never_touched(tmp_path: Path) -> None:
    write_files(tmp_path, LEADS)
    third = list(read_leads(tmp_path / "leads.csv", "UTC"))[2]
    assert (third.fields, third.first_touch) == ({"email": "l3@example.com", "score": "85"}, None)


def test_a_first_touch_before_the_lead_was_received_names_the_line_and_field(
    tmp_path: Path,
) -> None:
    (tmp_path / "leads.jsonl").write_text(
        '{"id": "L1", "received_at": "2026-11-23T10:00", "first_touch_at": "2026-11-23T09:00"}\n'
    )
    with pytest.raises(TimelineError, match="line 1: first_touch_at: '2026-11-23T09:00' is bef"):
        list(read_leads(tmp_path / "leads.jsonl", "UTC"))


def test_first_touch_at_survives_sorting_on_disk(tmp_path: Path) -> None:
    (tmp_path / "leads.jsonl").write_text(
        '{"id": "L2", "received_at": "2026-11-23T11:00", "first_touch_at": "2026-11-23T11:05"}\n'
        '{"id": "L1", "received_at": "2026-11-23T10:00"}\n'
    )
    items = list(timeline(tmp_path / "leads.jsonl", None, "UTC", chunk_size=1))
    assert [(i.lead_id, getattr(i, "first_touch", None)) for i in items] == [
        ("L1", None),
        ("L2", at("2026-11-23T11:05Z")),
    ]
