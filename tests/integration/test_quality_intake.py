"""The steps before routing in the service: junk, duplicates, accounts and scores, stored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import pytest
from sqlalchemy import select

from leadflow.imports.accounts import AccountIn
from leadflow.service import quality as service_quality
from leadflow.service.accounts import list_reviews, save_accounts, settle_review
from leadflow.service.context import Services
from leadflow.service.errors import Conflict
from leadflow.service.routing import (
    Actor,
    NewLead,
    Routed,
    intake,
    reassign,
    record_event,
    restore,
)
from leadflow.store.tables import DecisionRow, JobRow, LeadEventRow, LeadRow, RepStateRow

FORM = Actor("website-form", "intake")
MANAGER = Actor("maria", "manager")
Publish = Callable[[Services, str], int]


class SettableClock(Protocol):
    def set(self, now: datetime) -> None: ...


BASE = """
version: 1
timezone: UTC
reps:
  - {id: ann, name: Ann, email: ann@example.com}
  - {id: ben, name: Ben, email: ben@example.com}
  - {id: cy, name: Cy, email: cy@example.com}
pools:
  team: {strategy: round_robin, members: [ann, ben, cy]}
channels:
  ops: {type: webhook, url: "https://hooks.example.com/ops"}
rules:
  - {name: account, when: {account.owner: {exists: true}}, assign: account_owner}
  - {name: hot, when: {tier: hot}, assign: cy}
  - {name: everyone, when: {email: {exists: true}}, route: team}
fallback: team
"""
JUNK = "junk: {honeypots: [fax_2], refuse_disposable: true, blocked_domains: [rival.com]}\n"
DEDUPE = "dedupe: {window: 30d}\n"
SCORING = """
scoring:
  fit:
    - {name: big, when: {employees: {gte: 1000}}, points: 50}
  intent:
    - {name: demo, when: {form: demo}, points: 30}
  tiers: {hot: 70, warm: 40, cold: 0}
"""


def take(svc: Services, **fields: Any) -> Routed:
    return intake(svc, NewLead(fields=dict(fields), payload=dict(fields)), FORM)


def row(svc: Services, lead_id: str) -> LeadRow:
    with svc.store.reading() as session:
        found = session.scalars(select(LeadRow).where(LeadRow.id == lead_id)).one()
        session.expunge(found)
        return found


def timeline(svc: Services, lead_id: str) -> list[str]:
    with svc.store.reading() as session:
        query = select(LeadEventRow.type).where(LeadEventRow.lead_id == lead_id)
        return list(session.scalars(query.order_by(LeadEventRow.id)))


def decision(svc: Services, lead_id: str) -> dict[str, Any]:
    with svc.store.reading() as session:
        query = select(DecisionRow.record).where(DecisionRow.lead_id == lead_id)
        return session.scalars(query.order_by(DecisionRow.id.desc())).first() or {}


# Junk


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"email": "a@acme.com", "fax_2": "bot"}, "honeypot"),
        ({"email": "a@mailinator.com"}, "disposable_email"),
        ({"email": "spy@sales.rival.com"}, "blocked_domain"),
    ],
)
def test_a_junk_lead_is_kept_with_its_reason_and_routed_to_nobody(
    services: Services, publish_policy: Publish, fields: dict[str, Any], reason: str
) -> None:
    publish_policy(services, BASE + JUNK)
    routed = take(services, **fields)
    stored = row(services, routed.lead_id)
    assert (routed.status, routed.owner) == ("junk", None)
    assert stored.status == "junk" and (stored.junk_reason or "").startswith(reason)
    assert timeline(services, routed.lead_id) == ["received", "junk"]


def test_a_lead_with_no_usable_email_or_phone_is_kept_as_unreachable_junk(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, BASE)
    routed = take(services, email="not-an-email", country="US")
    stored = row(services, routed.lead_id)
    assert (routed.status, routed.owner, routed.reason) == (
        "junk",
        None,
        "unreachable: no valid email or phone",
    )
    assert stored.junk_reason == "unreachable: no valid email or phone"
    assert timeline(services, routed.lead_id) == ["received", "junk"]


def test_an_unreachable_lead_is_routed_when_the_policy_turns_the_screen_off(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, BASE + "junk: {unreachable: false}\n")
    routed = take(services, email="not-an-email", country="US", employees=3)
    assert (routed.status, routed.owner) == ("assigned", "ann")


NOTE = {
    "kind": "unreadable_value",
    "field": "Company Size",
    "value": "lots",
    "transform": "integer",
    "to": "employees",
    "reason": "not a number: 'lots'",
}


def test_a_doors_note_is_a_quality_event_in_the_leads_timeline(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, BASE)
    new = NewLead({"email": "a@acme.com"}, {"email": "a@acme.com"}, notes=(NOTE,))
    routed = intake(services, new, FORM)
    assert timeline(services, routed.lead_id) == ["received", "quality", "assigned"]
    assert decision(services, routed.lead_id)["quality"]["notes"] == [NOTE]


def test_a_restored_leads_new_decision_keeps_the_notes_it_came_with(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, BASE)
    new = NewLead({"email": "a@acme.com"}, {"email": "a@acme.com"}, route=False, notes=(NOTE,))
    stored = intake(services, new, FORM)
    restore(services, stored.lead_id, MANAGER)
    assert decision(services, stored.lead_id)["quality"]["notes"] == [NOTE]


def test_a_junk_lead_sends_no_notification_when_no_route_names_junk(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, BASE + JUNK + "notify:\n  - {events: [lead.assigned], via: ops}\n")
    take(services, email="a@mailinator.com")
    with services.store.reading() as session:
        assert session.scalars(select(JobRow)).all() == []


def test_a_route_that_names_lead_junk_announces_it(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, BASE + JUNK + "notify:\n  - {events: [lead.junk], via: ops}\n")
    take(services, email="a@mailinator.com")
    with services.store.reading() as session:
        events = [job.data["event"] for job in session.scalars(select(JobRow))]
    assert events == ["lead.junk"]


def test_a_junk_lead_moves_no_rotation(services: Services, publish_policy: Publish) -> None:
    publish_policy(services, BASE + JUNK)
    take(services, email="a@mailinator.com")
    assert take(services, email="real@acme.com").owner == "ann"


def test_restoring_a_junk_lead_routes_it(services: Services, publish_policy: Publish) -> None:
    publish_policy(services, BASE + JUNK)
    junk = take(services, email="a@mailinator.com")
    restored = restore(services, junk.lead_id, MANAGER)
    assert (restored.status, restored.owner) == ("assigned", "ann")
    assert timeline(services, junk.lead_id)[-2:] == ["restored", "assigned"]


def test_only_a_held_back_lead_can_be_restored(services: Services, publish_policy: Publish) -> None:
    publish_policy(services, BASE)
    routed = take(services, email="a@acme.com")
    with pytest.raises(Conflict):
        restore(services, routed.lead_id, MANAGER)


# Duplicates


def test_a_duplicate_keeps_the_open_leads_owner_and_moves_no_rotation(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, BASE + DEDUPE)
    first = take(services, email="jane@acme.com")
    again = take(services, email="Jane+webinar@ACME.com")
    assert (again.status, again.owner) == ("merged", first.owner)
    assert take(services, email="other@acme.com").owner == "ben"  # the rotation did not move


def test_a_duplicate_counts_against_no_cap(services: Services, publish_policy: Publish) -> None:
    publish_policy(services, BASE + DEDUPE)
    first = take(services, email="jane@acme.com")
    take(services, email="jane@acme.com")
    with services.store.reading() as session:
        counts = dict(session.execute(select(RepStateRow.rep_id, RepStateRow.day_count)).all())
    assert counts[first.owner or ""] == 1


def test_both_timelines_say_a_lead_was_merged(services: Services, publish_policy: Publish) -> None:
    publish_policy(services, BASE + DEDUPE)
    first = take(services, email="jane@acme.com")
    again = take(services, phone="+1 415 555 0123", email="j.doe@other.com")
    again_too = take(services, phone="(415) 555-0123", country="US")
    assert again.status == "assigned"  # a new email: a new person
    assert row(services, again_too.lead_id).duplicate_of == again.lead_id
    assert timeline(services, again.lead_id)[-1] == "duplicate"
    assert timeline(services, again_too.lead_id) == ["received", "merged"]
    assert decision(services, again_too.lead_id)["matched_by"] == "phone"
    assert first.lead_id != again.lead_id


def test_the_same_name_at_the_same_company_domain_is_a_duplicate(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, BASE + DEDUPE)
    first = take(services, first_name="Jane", last_name="Doe", email="jane@acme.com")
    again = take(services, first_name="jane", last_name="DOE", email="jdoe@acme.com")
    assert (again.status, row(services, again.lead_id).duplicate_of) == ("merged", first.lead_id)


def test_a_lead_older_than_the_window_is_not_a_duplicate(
    services: Services, publish_policy: Publish, clock: SettableClock
) -> None:
    publish_policy(services, BASE + "dedupe: {window: 7d}\n")
    take(services, email="jane@acme.com")
    clock.set(datetime(2026, 11, 16, 15, tzinfo=UTC) + timedelta(days=8))
    assert take(services, email="jane@acme.com").status == "assigned"


def test_a_closed_lead_is_not_a_duplicate_target(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, BASE + DEDUPE)
    first = take(services, email="jane@acme.com")
    record_event(services, first.lead_id, "lost", MANAGER)
    assert take(services, email="jane@acme.com").status == "assigned"


def test_without_a_dedupe_section_nothing_is_merged(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, BASE)
    take(services, email="jane@acme.com")
    assert take(services, email="jane@acme.com").status == "assigned"


# Accounts


ACME = AccountIn(name="Acme Corporation", id="acme", domains=("acme.com",), owner="ben", tier="a")


def test_a_lead_from_an_accounts_domain_goes_to_the_account_owner(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, BASE)
    save_accounts(services, [ACME], MANAGER)
    routed = take(services, email="jane@eu.acme.com")
    stored = row(services, routed.lead_id)
    assert (routed.owner, routed.rule, stored.account_id) == ("ben", "account", "acme")
    assert stored.fields["account"]["tier"] == "a"
    assert decision(services, routed.lead_id)["quality"]["account"]["reasons"] == ["domain_exact"]


def test_an_account_saved_by_another_process_is_matched_by_this_one(
    services: Services, publish_policy: Publish, make_services: Callable[[], Services]
) -> None:
    publish_policy(services, BASE)
    take(services, email="warm@up.com")  # this process builds its index, with no accounts
    save_accounts(make_services(), [ACME], MANAGER)
    assert take(services, email="jane@acme.com").owner == "ben"


def test_a_weak_account_match_waits_for_review_and_decides_nothing(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, BASE + "accounts: {accept: 0.99, review: 0.5}\n")
    save_accounts(services, [ACME], MANAGER)
    routed = take(services, email="jane@gmail.com", company="Acme Corp")
    (review,) = list_reviews(services, "open", 10)
    assert (routed.owner, review.lead_id, review.account_id) == ("ann", routed.lead_id, "acme")
    assert row(services, routed.lead_id).account_id is None


def test_accepting_a_review_fills_the_leads_account(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, BASE + "accounts: {accept: 0.99, review: 0.5}\n")
    save_accounts(services, [ACME], MANAGER)
    routed = take(services, email="jane@gmail.com", company="Acme Corp")
    (review,) = list_reviews(services, "open", 10)
    settle_review(services, review.id, True, MANAGER)
    stored = row(services, routed.lead_id)
    assert (stored.account_id, stored.fields["account"]["owner"]) == ("acme", "ben")
    with pytest.raises(Conflict):
        settle_review(services, review.id, False, MANAGER)


def test_saving_an_account_again_by_name_updates_it(
    services: Services, publish_policy: Publish
) -> None:
    saved = save_accounts(services, [AccountIn(name="Globex, Inc.")], MANAGER)
    again = save_accounts(services, [AccountIn(name="GLOBEX", owner="cy")], MANAGER)
    assert saved == [("globex", True)] and again == [("globex", False)]


# Scores


def test_the_score_and_tier_are_stored_and_used_by_rules(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, BASE + SCORING)
    routed = take(services, email="cio@bigco.com", employees=5000, form="demo")
    stored = row(services, routed.lead_id)
    assert (stored.score, stored.tier, routed.owner) == (80, "hot", "cy")
    points = decision(services, routed.lead_id)["quality"]["score"]["points"]
    assert [p["rule"] for p in points] == ["big", "demo"]


def test_a_score_sent_with_the_lead_is_replaced_by_the_policys(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, BASE + SCORING)
    routed = take(services, email="a@smallco.com", score=99)
    assert row(services, routed.lead_id).score == 0
    assert decision(services, routed.lead_id)["quality"]["score_given"] == 99


# What a review of the change found


def test_a_lead_in_nurture_is_not_a_duplicate_target_so_the_newcomer_reaches_a_rep(
    services: Services, publish_policy: Publish
) -> None:
    nurture = "  - {name: students, when: {title: student}, nurture: students}\n"
    publish_policy(services, BASE.replace("rules:\n", "rules:\n" + nurture) + DEDUPE)
    first = take(services, email="jane@acme.com", title="student")
    again = take(services, email="jane@acme.com", title="cto")
    assert (first.status, again.status, again.owner) == ("nurture", "assigned", "ann")


def test_a_merged_lead_cannot_be_reassigned(services: Services, publish_policy: Publish) -> None:
    publish_policy(services, BASE + DEDUPE)
    take(services, email="jane@acme.com")
    again = take(services, email="jane@acme.com")
    with pytest.raises(Conflict):
        reassign(services, again.lead_id, MANAGER)


def test_a_company_sent_as_a_number_is_no_name_and_no_error(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, BASE)
    save_accounts(services, [ACME], MANAGER)
    assert take(services, email="a@gmail.com", company=123, country=["US"]).status == "assigned"


def test_a_tier_sent_with_the_lead_is_not_kept_under_scoring(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, BASE + SCORING.replace("cold: 0", "cold: 10"))
    routed = take(services, email="a@smallco.com", tier="hot")
    stored = row(services, routed.lead_id)
    assert (stored.tier, "tier" in stored.fields, routed.owner) == (None, False, "ann")


def test_restoring_a_stored_lead_matches_its_account_afresh(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, BASE)
    save_accounts(services, [ACME], MANAGER)
    new = NewLead(fields={"email": "jane@acme.com"}, payload={}, route=False)
    stored = intake(services, new, FORM)
    moved = AccountIn(name=ACME.name, id="acme", domains=ACME.domains, owner="cy")
    save_accounts(services, [moved], MANAGER)
    assert restore(services, stored.lead_id, MANAGER).owner == "cy"


def test_a_large_account_index_is_rebuilt_before_the_next_routing_not_under_the_lock(
    services: Services,
    publish_policy: Publish,
    make_services: Callable[[], Services],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(service_quality, "REBUILD_IN_PLACE", 0)  # every index counts as large
    publish_policy(services, BASE)
    take(services, email="warm@up.com")  # this process builds its index, with no accounts
    save_accounts(make_services(), [ACME], MANAGER)
    first = take(services, email="jane@acme.com")  # matched against the index it had
    second = take(services, email="joe@acme.com")  # rebuilt before this one's transaction
    assert (first.rule, second.rule) == ("everyone", "account")


def test_two_rows_of_one_name_in_a_batch_make_one_account(
    services: Services, publish_policy: Publish
) -> None:
    batch = [AccountIn(name="Initech LLC"), AccountIn(name="INITECH", owner="cy")]
    assert save_accounts(services, batch, MANAGER) == [("initech", True), ("initech", False)]


def test_an_sla_tier_can_be_chosen_by_the_score_tier(
    services: Services, publish_policy: Publish
) -> None:
    sla = (
        "sla:\n  - {name: fast, when: {tier: hot}, first_touch: 5m}\n"
        "  - {name: slow, first_touch: 1d}\n"
    )
    publish_policy(services, BASE + SCORING + sla)
    hot = take(services, email="cio@bigco.com", employees=5000, form="demo")
    cold = take(services, email="intern@smallco.com")
    assert (row(services, hot.lead_id).sla_tier, row(services, cold.lead_id).sla_tier) == (
        "fast",
        "slow",
    )
