"""The queues a person works through, read for `/queues`: account matches to review, junk,
messages that failed for good and held leads, each with its count and its newest items."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from leadflow.imports.accounts import AccountIn
from leadflow.notify import DeliveryError
from leadflow.service.accounts import save_accounts
from leadflow.service.context import Services
from leadflow.service.errors import Forbidden
from leadflow.service.queues import queues
from leadflow.service.routing import Actor, NewLead, intake
from leadflow.worker import Worker
from recording import RecordingNotifier

FORM = Actor("website-form", "intake")
MANAGER = Actor("mia@example.com", "manager")
POLICY = """
version: 1
timezone: UTC
reps:
  - {id: ann, name: Ann Archer, email: ann@example.com}
  - {id: ben, name: Ben Brook, email: ben@example.com}
  - {id: eve, name: Eve East, email: eve@example.com, active: false}
pools:
  team: {strategy: round_robin, members: [ann, ben]}
  big: {strategy: round_robin, members: [eve], when_unavailable: hold}
junk: {blocked_domains: [spam.example]}
accounts: {accept: 0.99, review: 0.5}
channels:
  crm: {type: webhook, url: "https://crm.example.com/hook"}
notify:
  - {events: [lead.assigned], via: crm, when: {company: Hooli}}
rules:
  - {name: big, when: {company: Big}, route: big}
fallback: team
"""
GLOBEX = AccountIn(name="Globex Corporation", id="globex", domains=("globex.com",), owner="ben")

Publish = Callable[[Services, str], int]


def post(svc: Services, **fields: Any) -> str:
    fields.setdefault("email", "jo@prospect.example")
    return intake(svc, NewLead(fields=fields, payload=dict(fields)), FORM).lead_id


@pytest.fixture
def svc(services: Services, publish_policy: Publish) -> Services:
    publish_policy(services, POLICY)
    return services


def test_a_weak_account_match_is_listed_with_its_lead_account_and_score(svc: Services) -> None:
    save_accounts(svc, [GLOBEX], MANAGER)
    lead_id = post(svc, email="hank@gmail.com", company="Globexx Corporation")
    (review,) = queues(svc, MANAGER).reviews.items
    assert (review.lead and review.lead.id, review.account_id, review.account_name) == (
        lead_id,
        "globex",
        "Globex Corporation",
    )
    assert 0.5 <= review.score < 0.99 and review.reasons[0].startswith("name_fuzzy")


def test_junk_is_listed_newest_first_with_its_reason(svc: Services) -> None:
    first = post(svc, email="a@spam.example")
    second = post(svc, email="b@spam.example")
    junk = queues(svc, MANAGER).junk
    assert [j.lead.id for j in junk.items] == [second, first]
    assert junk.items[0].reason == "blocked_domain: spam.example"


def test_a_queue_lists_its_newest_items_and_counts_them_all(svc: Services) -> None:
    for n in range(4):
        post(svc, email=f"{n}@spam.example")
    junk = queues(svc, MANAGER, limit=3).junk
    assert (junk.total, len(junk.items)) == (4, 3)


def test_a_message_that_failed_for_good_is_listed_with_its_error_and_not_its_links(
    svc: Services,
) -> None:
    lead_id = post(svc, company="Hooli")
    recorder = RecordingNotifier()
    recorder.failure = DeliveryError("channel crm: HTTP 410 gone", retryable=False)
    worker = Worker(svc, recorder, name="test-worker", senders=1)  # type: ignore[arg-type]
    try:
        worker.delivery_round()
    finally:
        worker.stop()
    (failed,) = queues(svc, MANAGER).failed.items
    assert (failed.channel, failed.event, failed.lead and failed.lead.id) == (
        "crm",
        "lead.assigned",
        lead_id,
    )
    assert failed.last_error == "channel crm: HTTP 410 gone"
    assert not hasattr(failed, "data")


def test_a_held_lead_says_which_pool_it_waits_for_and_why_each_member_cannot_take_it(
    svc: Services,
) -> None:
    lead_id = post(svc, company="Big")
    (held,) = queues(svc, MANAGER).held.items
    assert (held.lead.id, held.pool, held.members) == (lead_id, "big", [("eve", "inactive")])
    assert held.reason == "held for pool big: no member eligible"


def test_an_empty_database_has_empty_queues(svc: Services) -> None:
    found = queues(svc, MANAGER)
    totals = [q.total for q in (found.reviews, found.junk, found.failed, found.held)]
    assert totals == [0, 0, 0, 0]


def test_a_rep_may_not_read_the_queues(svc: Services) -> None:
    with pytest.raises(Forbidden):
        queues(svc, Actor("ann@example.com", "rep", "ann"))
