"""The simulator runs the steps before routing as live does: junk, dedupe, accounts, scoring.

Three reps in a round robin with no calendar, so that every lead is placed when it arrives
and the order of the owners shows how the rotation moved.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from leadflow.core.decide import Decision, Outcome
from leadflow.policy import load_policy
from leadflow.quality.accounts import Account, AccountIndex
from leadflow.simulate.simulator import Simulator
from leadflow.simulate.timeline import LeadArrival, LeadStatus, TimelineItem

POLICY = """\
version: 1
timezone: UTC
reps:
  - {id: ivy, name: Ivy}
  - {id: oto, name: Oto}
  - {id: rua, name: Rua}
pools:
  desk: {strategy: round_robin, members: [ivy, oto, rua]}
fallback: desk
"""

ACCOUNT_RULE = """\
rules:
  - name: account-owner
    when: {account.owner: {exists: true}}
    assign: account_owner
"""

SCORING = """\
scoring:
  fit:
    - {name: big-company, when: {employees: {gte: 500}}, points: 40}
  intent:
    - {name: asked-for-demo, when: {form: demo}, points: 45}
  tiers: {hot: 80, warm: 30, cold: 0}
rules:
  - name: hot-to-rua
    when: {tier: hot}
    assign: rua
"""

WINDOW = "dedupe: {window: 30d}\n"


def at(day: int, hour: int = 10) -> float:
    return datetime(2026, 3, day, hour, tzinfo=UTC).timestamp()


def arrival(lead_id: str, when: float, **fields: Any) -> LeadArrival:
    return LeadArrival(when, lead_id, fields, 1, "leads.csv")


def won(lead_id: str, when: float) -> LeadStatus:
    return LeadStatus(when, lead_id, "won", 1, "events.jsonl")


def run(
    items: list[TimelineItem], extra: str = "", accounts: AccountIndex | None = None
) -> tuple[list[Decision], Simulator]:
    decisions: list[Decision] = []
    simulator = Simulator(load_policy(POLICY + extra), decisions.append, accounts=accounts)
    simulator.run(items)
    return decisions, simulator


def owners(decisions: list[Decision]) -> list[tuple[str, str | None]]:
    return [(d.lead_id, d.rep) for d in decisions]


# junk


def test_a_lead_that_fills_a_honeypot_is_counted_as_junk_and_gets_no_decision() -> None:
    items: list[TimelineItem] = [arrival("L1", at(2), email="bot@spam.example", hp="gotcha")]
    decisions, simulator = run(items, "junk: {honeypots: [hp]}\n")
    assert decisions == []
    assert simulator.summary.outcomes["junk"] == 1
    assert simulator.summary.junk == {"honeypot": 1}


def test_a_junk_lead_does_not_move_the_rotation() -> None:
    items: list[TimelineItem] = [
        arrival("L1", at(2, 9), email="bot@spam.example", hp="x"),
        arrival("L2", at(2, 10), email="real@buyer.example"),
    ]
    decisions, _ = run(items, "junk: {honeypots: [hp]}\n")
    assert owners(decisions) == [("L2", "ivy")]


def test_a_lead_with_no_usable_email_or_phone_is_junk_as_unreachable() -> None:
    items: list[TimelineItem] = [arrival("L1", at(2), email="not-an-email", country="US")]
    decisions, simulator = run(items)
    assert decisions == []
    assert simulator.summary.junk == {"unreachable": 1}


def test_an_unreachable_lead_is_routed_when_the_policy_turns_the_screen_off() -> None:
    items: list[TimelineItem] = [arrival("L1", at(2), email="not-an-email", country="US")]
    decisions, _ = run(items, "junk: {unreachable: false}\n")
    assert owners(decisions) == [("L1", "ivy")]


MAPPED = """\
intake:
  webflow:
    fields:
      Company Size: {to: employees, transform: integer}
"""


def test_a_value_its_transform_cannot_read_is_noted_in_the_decision_record() -> None:
    lead = arrival(
        "L1", at(2), email="a@buyer.example", source="webflow", **{"Company Size": "lots"}
    )
    decisions, _ = run([lead], MAPPED)
    (note,) = decisions[0].record["quality"]["notes"]
    assert (note["field"], note["value"], note["transform"]) == ("Company Size", "lots", "integer")


def test_the_summary_counts_the_notes_by_kind() -> None:
    lead = arrival(
        "L1", at(2), email="a@buyer.example", source="webflow", **{"Company Size": "lots"}
    )
    _, simulator = run([lead], MAPPED)
    assert simulator.summary.to_dict()["quality"]["notes"] == {"unreadable_value": 1}


# dedupe


def test_a_second_lead_with_the_same_email_is_merged_with_the_first_leads_owner() -> None:
    items: list[TimelineItem] = [
        arrival("L1", at(2, 9), email="sam@buyer.example"),
        arrival("L2", at(2, 10), email="Sam@Buyer.example"),
    ]
    decisions, _ = run(items, WINDOW)
    second = decisions[1]
    assert (second.lead_id, second.outcome, second.rep) == ("L2", Outcome.MERGED, "ivy")
    assert second.record["merged_into"] == "L1"


def test_a_merged_lead_does_not_move_the_rotation() -> None:
    items: list[TimelineItem] = [
        arrival("L1", at(2, 9), email="sam@buyer.example"),
        arrival("L2", at(2, 10), email="sam@buyer.example"),
        arrival("L3", at(2, 11), email="kim@other.example"),
    ]
    decisions, _ = run(items, WINDOW)
    assert owners(decisions) == [("L1", "ivy"), ("L2", "ivy"), ("L3", "oto")]


def test_a_won_lead_is_no_longer_a_duplicate_target() -> None:
    items: list[TimelineItem] = [
        arrival("L1", at(2, 9), email="sam@buyer.example"),
        won("L1", at(2, 10)),
        arrival("L2", at(2, 11), email="sam@buyer.example"),
    ]
    decisions, _ = run(items, WINDOW)
    assert [(d.lead_id, d.outcome, d.rep) for d in decisions] == [
        ("L1", Outcome.ASSIGNED, "ivy"),
        ("L2", Outcome.ASSIGNED, "oto"),
    ]


def test_a_lead_with_the_same_email_after_the_window_is_a_new_lead() -> None:
    items: list[TimelineItem] = [
        arrival("L1", datetime(2026, 3, 2, 9, tzinfo=UTC).timestamp(), email="sam@buyer.example"),
        arrival("L2", datetime(2026, 4, 2, 9, tzinfo=UTC).timestamp(), email="sam@buyer.example"),
    ]
    decisions, _ = run(items, WINDOW)
    assert [(d.lead_id, d.outcome) for d in decisions] == [
        ("L1", Outcome.ASSIGNED),
        ("L2", Outcome.ASSIGNED),
    ]


def test_without_a_dedupe_section_the_same_email_is_routed_twice() -> None:
    items: list[TimelineItem] = [
        arrival("L1", at(2, 9), email="sam@buyer.example"),
        arrival("L2", at(2, 10), email="sam@buyer.example"),
    ]
    decisions, _ = run(items)
    assert owners(decisions) == [("L1", "ivy"), ("L2", "oto")]


# accounts

NORTHWIND = AccountIndex(
    [Account(id="nw", name="Northwind Traders", domains=("northwind.example",), owner="rua")]
)


def test_a_lead_from_an_accounts_domain_gets_the_account_in_its_fields() -> None:
    items: list[TimelineItem] = [arrival("L1", at(2), email="lee@northwind.example")]
    decisions, _ = run(items, ACCOUNT_RULE, NORTHWIND)
    saw = decisions[0].record["saw"]
    assert saw["account.owner"] == "rua"


def test_an_account_owner_rule_sends_the_lead_to_the_accounts_owner() -> None:
    items: list[TimelineItem] = [arrival("L1", at(2), email="lee@northwind.example")]
    decisions, _ = run(items, ACCOUNT_RULE, NORTHWIND)
    assert (decisions[0].rep, decisions[0].rule) == ("rua", "account-owner")


def test_the_decision_record_says_which_account_matched_and_why() -> None:
    items: list[TimelineItem] = [arrival("L1", at(2), email="lee@northwind.example")]
    decisions, _ = run(items, ACCOUNT_RULE, NORTHWIND)
    matched = decisions[0].record["quality"]["account"]
    assert (matched["id"], matched["reasons"], matched["verdict"]) == (
        "nw",
        ["domain_exact"],
        "accept",
    )


def test_a_lead_from_a_free_mail_domain_matches_no_account() -> None:
    items: list[TimelineItem] = [arrival("L1", at(2), email="lee@gmail.com")]
    _, simulator = run(items, ACCOUNT_RULE, NORTHWIND)
    assert simulator.summary.accounts == {"none": 1}


def test_the_summary_counts_the_leads_matched_by_each_kind_of_evidence() -> None:
    items: list[TimelineItem] = [
        arrival("L1", at(2, 9), email="lee@northwind.example"),
        arrival("L2", at(2, 10), email="max@northwind.example"),
    ]
    _, simulator = run(items, ACCOUNT_RULE, NORTHWIND)
    assert (simulator.summary.accounts, simulator.summary.match_reasons) == (
        {"matched": 2},
        {"domain_exact": 2},
    )


# scoring


def test_a_score_tier_is_read_by_a_later_rule() -> None:
    items: list[TimelineItem] = [
        arrival("L1", at(2), email="ana@bigco.example", employees=900, form="demo")
    ]
    decisions, _ = run(items, SCORING)
    assert (decisions[0].rep, decisions[0].rule) == ("rua", "hot-to-rua")


def test_a_lead_below_the_tier_is_not_taken_by_the_tier_rule() -> None:
    items: list[TimelineItem] = [arrival("L1", at(2), email="ana@bigco.example", employees=900)]
    decisions, _ = run(items, SCORING)
    assert (decisions[0].rep, decisions[0].rule) == ("ivy", None)


def test_the_summary_counts_the_leads_of_each_tier() -> None:
    items: list[TimelineItem] = [
        arrival("L1", at(2, 9), email="ana@bigco.example", employees=900, form="demo"),
        arrival("L2", at(2, 10), email="bo@bigco.example", employees=900),
        arrival("L3", at(2, 11), email="cai@small.example", employees=4),
    ]
    _, simulator = run(items, SCORING)
    assert simulator.summary.tiers == {"hot": 1, "warm": 1, "cold": 1}


def test_the_decision_record_carries_the_score_and_the_points_of_each_rule() -> None:
    items: list[TimelineItem] = [
        arrival("L1", at(2), email="ana@bigco.example", employees=900, form="demo")
    ]
    decisions, _ = run(items, SCORING)
    scored = decisions[0].record["quality"]["score"]
    assert (scored["score"], scored["tier"], scored["fit"], scored["intent"]) == (85, "hot", 40, 45)
    assert scored["points"] == [
        {"rule": "big-company", "kind": "fit", "points": 40},
        {"rule": "asked-for-demo", "kind": "intent", "points": 45},
    ]
