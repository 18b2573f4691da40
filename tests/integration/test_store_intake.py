"""Intake on a real database: what is stored for a lead, and idempotent retries."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from leadflow.service.context import Services
from leadflow.service.errors import Conflict
from leadflow.service.routing import Actor, NewLead, Routed, intake, record_event
from leadflow.store.tables import DecisionRow, LeadEventRow, LeadRow, RoutingClockRow

FORM = Actor("website-form", "intake")
POLICY = """
version: 1
timezone: UTC
reps:
  - {id: ann, name: Ann, email: ann@example.com}
  - {id: ben, name: Ben, email: ben@example.com}
pools:
  team: {strategy: round_robin, members: [ann, ben]}
rules:
  - {name: us, when: {country: US}, route: team}
fallback: team
"""
PAYLOAD = {"Email": "Jo@Example.com ", "Country": "us", "utm": {"source": "ads"}}
FIELDS = {  # as cleaned before routing: the email's domain, the region
    "email": "jo@example.com",
    "country": "US",
    "email_domain": "example.com",
    "email_free": False,
    "email_disposable": False,
    "company_domain": "example.com",
    "region": "AMER",
}

Publish = Callable[[Services, str], int]


def lead_count(svc: Services) -> int:
    with svc.store.reading() as session:
        return session.scalar(select(func.count()).select_from(LeadRow)) or 0


def new_lead(idempotency_key: str | None = None, external_id: str | None = None) -> NewLead:
    return NewLead(
        fields=dict(FIELDS),
        payload=dict(PAYLOAD),
        source="web",
        external_id=external_id,
        idempotency_key=idempotency_key,
    )


def count(svc: Services, table: type) -> int:
    with svc.store.reading() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def clock_version(svc: Services) -> int:
    with svc.store.reading() as session:
        return session.scalars(select(RoutingClockRow.version)).one()


def test_a_lead_is_stored_with_its_payload_as_received_and_its_fields(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, POLICY)
    routed = intake(services, new_lead(), FORM)
    with services.store.reading() as session:
        row = session.scalars(select(LeadRow).where(LeadRow.id == routed.lead_id)).one()
    # the source joins the fields rules read (a rule may say `source: web`)
    assert (row.payload, row.fields, row.source) == (PAYLOAD, {**FIELDS, "source": "web"}, "web")
    assert row.received_at == services.clock()


def test_a_routed_lead_has_its_owner_and_one_decision_record_naming_rule_and_policy(
    services: Services, publish_policy: Publish
) -> None:
    version = publish_policy(services, POLICY)
    routed = intake(services, new_lead(), FORM)
    with services.store.reading() as session:
        row = session.scalars(select(LeadRow).where(LeadRow.id == routed.lead_id)).one()
        decisions = session.scalars(select(DecisionRow).where(DecisionRow.lead_id == row.id)).all()
    assert (routed.status, routed.owner, routed.pool, routed.rule) == (
        "assigned",
        "ann",
        "team",
        "us",
    )
    assert (row.status, row.owner, row.pool, row.rule) == ("assigned", "ann", "team", "us")
    assert [(d.id, d.outcome, d.rep, d.policy_version) for d in decisions] == [
        (routed.decision_id, "assigned", "ann", version)
    ]
    assert decisions[0].record["rep"] == "ann"


def test_a_routed_lead_has_a_timeline_of_received_then_assigned_with_time_and_actor(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, POLICY)
    routed = intake(services, new_lead(), FORM)
    with services.store.reading() as session:
        query = select(LeadEventRow).where(LeadEventRow.lead_id == routed.lead_id)
        events = session.scalars(query.order_by(LeadEventRow.id)).all()
    assert [(e.type, e.actor, e.at) for e in events] == [
        ("received", "website-form", services.clock()),
        ("assigned", "leadflow", services.clock()),
    ]
    assert events[1].data["decision_id"] == routed.decision_id


def test_a_lead_taken_in_before_any_policy_is_unassigned_with_an_alert_not_dropped(
    services: Services,
) -> None:
    routed = intake(services, new_lead(), FORM)
    with services.store.reading() as session:
        query = select(LeadEventRow.type).where(LeadEventRow.lead_id == routed.lead_id)
        types = session.scalars(query.order_by(LeadEventRow.id)).all()
    assert (routed.status, routed.owner) == ("unassigned", None)
    assert "no active policy" in (routed.reason or "")
    assert list(types) == ["received", "alert"]


def test_a_retry_with_the_same_idempotency_key_replays_the_first_answer_and_stores_nothing(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, POLICY)
    first = intake(services, new_lead(idempotency_key="key-1"), FORM)
    again = intake(services, new_lead(idempotency_key="key-1"), FORM)
    assert again.replayed and not first.replayed
    assert again.as_dict() == first.as_dict()
    assert (count(services, LeadRow), count(services, DecisionRow)) == (1, 1)


def test_a_retry_with_the_same_external_id_replays_the_first_answer_and_stores_nothing(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, POLICY)
    first = intake(services, new_lead(external_id="crm-42"), FORM)
    again = intake(services, new_lead(external_id="crm-42", idempotency_key="other"), FORM)
    assert again.replayed
    assert again.as_dict() == first.as_dict()
    assert (count(services, LeadRow), count(services, DecisionRow)) == (1, 1)


def test_a_replayed_intake_does_not_move_the_rotation(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, POLICY)
    intake(services, new_lead(idempotency_key="key-1"), FORM)
    before = clock_version(services)
    intake(services, new_lead(idempotency_key="key-1"), FORM)
    after = clock_version(services)
    second = intake(services, new_lead(idempotency_key="key-2"), FORM)
    assert (after, second.owner) == (before, "ben")


def test_a_replay_keeps_the_first_answer_after_the_lead_moved_on(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, POLICY)
    first = intake(services, new_lead(idempotency_key="key-1"), FORM)
    record_event(services, first.lead_id, "won", Actor("boss", "manager"))
    again = intake(services, new_lead(idempotency_key="key-1"), FORM)
    assert (again.status, again.owner, again.decision_id) == ("assigned", "ann", first.decision_id)


def test_the_same_key_posted_at_once_through_two_processes_stores_one_lead(
    services: Services, publish_policy: Publish, make_services: Callable[[], Services]
) -> None:
    publish_policy(services, POLICY)
    sides = [services, make_services()]

    def post(i: int) -> Routed:
        return intake(sides[i % 2], new_lead(idempotency_key="same"), FORM)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(post, range(8)))
    assert len({a.lead_id for a in answers}) == 1
    assert sorted(a.replayed for a in answers) == [False] + [True] * 7
    assert (count(services, LeadRow), count(services, DecisionRow)) == (1, 1)


def test_the_same_external_id_posted_at_once_under_different_keys_stores_one_lead(
    services: Services, publish_policy: Publish, make_services: Callable[[], Services]
) -> None:
    publish_policy(services, POLICY)
    sides = [services, make_services()]

    def post(i: int) -> Routed:
        return intake(sides[i % 2], new_lead(idempotency_key=f"k{i}", external_id="crm-7"), FORM)

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(post, range(8)))
    assert len({a.lead_id for a in answers}) == 1
    assert (count(services, LeadRow), count(services, DecisionRow)) == (1, 1)


def test_an_idempotency_key_reused_with_another_body_is_a_conflict_and_stores_nothing(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, POLICY)
    first = NewLead({"email": "a@x.example"}, {"email": "a@x.example"}, idempotency_key="K")
    intake(services, first, FORM)
    other = NewLead({"email": "b@x.example"}, {"email": "b@x.example"}, idempotency_key="K")
    with pytest.raises(Conflict, match="Idempotency-Key"):
        intake(services, other, FORM)
    assert lead_count(services) == 1


def test_an_external_id_taken_by_another_source_is_a_conflict_not_a_replay(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, POLICY)
    first = NewLead({"email": "a@x.example"}, {}, source="typeform", external_id="7")
    intake(services, first, FORM)
    other = NewLead({"email": "b@x.example"}, {}, source="webflow", external_id="7")
    with pytest.raises(Conflict, match="external_id '7' already belongs"):
        intake(services, other, FORM)
    assert lead_count(services) == 1
