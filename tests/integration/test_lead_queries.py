"""The console's reads of leads: newest-first pages both ways, filters, search, the export, and
a lead's whole story in a bounded number of queries. Each test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, select, text

from databases import FixedClock
from leadflow.service import queries
from leadflow.service.context import Services
from leadflow.service.lead_story import lead_story
from leadflow.service.queries import LeadFilter, browse_leads, export_leads, lead_choices
from leadflow.service.reps import RepUpdate, update_rep
from leadflow.service.routing import Actor, NewLead, intake, reassign
from leadflow.store.migrate import upgrade
from leadflow.store.tables import LeadEventRow, LeadRow

FORM = Actor("website-form", "intake")
MANAGER = Actor("maria@example.com", "manager")
Publish = Callable[[Services, str], int]
TEAM = """
version: 1
timezone: UTC
reps:
  - {id: ann, name: Ann Archer, email: ann@example.com}
  - {id: ben, name: Ben Brook, email: ben@example.com}
pools:
  team: {strategy: round_robin, members: [ann, ben]}
  big: {strategy: round_robin, members: [ben], overflow: team}
rules:
  - {name: big, when: {employees: {gte: 1000}}, route: big}
fallback: team
"""
_numbers = itertools.count(1)


def take(svc: Services, source: str | None = None, **fields: Any) -> str:
    n = next(_numbers)
    lead = {"email": f"lead{n}@example.com", **fields}
    return intake(svc, NewLead(fields=lead, payload=lead, source=source), FORM).lead_id


def emails(leads: list[LeadRow]) -> list[str]:
    return [lead.fields["email"] for lead in leads]


@pytest.fixture
def team(services: Services, publish_policy: Publish) -> Services:
    publish_policy(services, TEAM)
    return services


def test_the_console_lists_the_newest_lead_first(team: Services) -> None:
    ids = [take(team) for _ in range(3)]
    page = browse_leads(team, MANAGER, LeadFilter())
    assert [lead.id for lead in page.leads] == ids[::-1]


def test_paging_older_then_newer_shows_every_lead_once_and_comes_back(team: Services) -> None:
    ids = [take(team) for _ in range(7)][::-1]  # newest first
    seen, pages = [], []
    page = browse_leads(team, MANAGER, LeadFilter(), limit=3)
    while True:
        pages.append([lead.id for lead in page.leads])
        seen += pages[-1]
        if page.older is None:
            break
        page = browse_leads(team, MANAGER, LeadFilter(), before=page.older, limit=3)
    back = browse_leads(team, MANAGER, LeadFilter(), after=page.newer, limit=3)
    assert seen == ids
    assert [lead.id for lead in back.leads] == pages[-2]


def test_the_first_page_has_no_newer_page_and_the_last_no_older(team: Services) -> None:
    for _ in range(4):
        take(team)
    first = browse_leads(team, MANAGER, LeadFilter(), limit=2)
    last = browse_leads(team, MANAGER, LeadFilter(), before=first.older, limit=2)
    assert (first.newer, first.older is not None) == (None, True)
    assert (last.newer is not None, last.older) == (True, None)


def test_the_api_still_pages_oldest_first(team: Services) -> None:
    ids = [take(team) for _ in range(3)]
    page = queries.list_leads(team, MANAGER, LeadFilter(), limit=2)
    rest = queries.list_leads(team, MANAGER, LeadFilter(), page.next_cursor, limit=2)
    assert [lead.id for lead in page.leads + rest.leads] == ids


@pytest.mark.parametrize(
    "typed",
    ["ZOË", "zoe", "mül", "muller", "northwind h", "priya@north", "Zoe Muller"],
)
def test_a_search_finds_a_lead_by_email_name_or_company_whatever_the_case_and_accents(
    team: Services, typed: str
) -> None:
    take(team, email="priya@northwind.com", first_name="Zoë", last_name="Müller",
         company="Northwind Health")  # fmt: skip
    take(team, email="tom@kessler.com", first_name="Tom", last_name="Becker", company="Kessler")
    page = browse_leads(team, MANAGER, LeadFilter(text=typed))
    assert emails(page.leads) == ["priya@northwind.com"]


@pytest.mark.parametrize("window", [1, 4, 1000])
def test_a_search_pages_through_the_same_leads_whether_its_matches_are_near_or_far(
    team: Services, monkeypatch: pytest.MonkeyPatch, window: int
) -> None:
    monkeypatch.setattr(queries, "WINDOW", window)
    kinds = ["acme", "acme", "other", "other", "other", "acme", "acme", "acme", "other", "acme"]
    ids = [take(team, company=f"{kind} {i}") for i, kind in enumerate(kinds)]
    wanted = [i for i, kind in zip(ids, kinds, strict=True) if kind == "acme"][::-1]
    seen, page = [], browse_leads(team, MANAGER, LeadFilter(text="acme"), limit=2)
    while True:
        seen += [lead.id for lead in page.leads]
        if page.older is None:
            break
        page = browse_leads(team, MANAGER, LeadFilter(text="acme"), before=page.older, limit=2)
    back = browse_leads(team, MANAGER, LeadFilter(text="acme"), after=page.newer, limit=2)
    assert seen == wanted
    assert [lead.id for lead in back.leads] == wanted[-4:-2]


def test_a_date_range_holds_the_leads_received_in_it(team: Services, clock: FixedClock) -> None:
    start = clock.now
    take(team)
    clock.now = start + timedelta(days=1)
    inside = [take(team), take(team)]
    clock.now = start + timedelta(days=2)
    take(team)
    day = LeadFilter(
        received_since=start + timedelta(days=1), received_until=start + timedelta(days=2)
    )
    assert [lead.id for lead in browse_leads(team, MANAGER, day).leads] == inside[::-1]


def test_a_percent_sign_or_underscore_in_a_search_is_taken_literally(team: Services) -> None:
    take(team, email="a_b@example.com")
    take(team, email="axb@example.com")
    assert emails(browse_leads(team, MANAGER, LeadFilter(text="a_b")).leads) == ["a_b@example.com"]
    assert browse_leads(team, MANAGER, LeadFilter(text="%")).leads == []


def test_a_lead_is_found_by_its_email_as_sent_when_cleaning_dropped_it(team: Services) -> None:
    take(team, email="not-an-email", phone="+14155550123")
    page = browse_leads(team, MANAGER, LeadFilter(text="not-an-email"))
    assert len(page.leads) == 1


def test_the_filters_by_rule_and_source_hold_together(team: Services) -> None:
    take(team, source="webinar", employees=5000)
    take(team, source="webinar", employees=10)
    take(team, source="website", employees=5000)
    page = browse_leads(team, MANAGER, LeadFilter(rule="big", source="webinar"))
    assert [(lead.rule, lead.source) for lead in page.leads] == [("big", "webinar")]


def test_a_rep_browses_only_the_leads_it_owns(team: Services) -> None:
    for _ in range(4):
        take(team)
    page = browse_leads(team, Actor("ann@example.com", "rep", "ann"), LeadFilter())
    assert {lead.owner for lead in page.leads} == {"ann"}
    assert len(page.leads) == 2


def test_an_unknown_sla_status_is_invalid_naming_it(team: Services) -> None:
    with pytest.raises(queries.Invalid) as refused:
        browse_leads(team, MANAGER, LeadFilter(sla_status="late"))
    assert refused.value.detail["field"] == "sla_status"


def test_an_unknown_status_is_invalid_naming_it_and_the_statuses(team: Services) -> None:
    with pytest.raises(queries.Invalid) as refused:
        queries.list_leads(team, MANAGER, LeadFilter(status="bogus"))
    assert refused.value.detail["field"] == "status"
    assert "assigned" in refused.value.message and "nurture" in refused.value.message


NURTURE_TINY = TEAM.replace(
    "rules:\n", "rules:\n  - {name: tiny, when: {employees: {lt: 5}}, nurture: tiny}\n"
)


def test_the_unowned_filter_holds_only_the_leads_nobody_owns(
    team: Services, publish_policy: Publish
) -> None:
    take(team)
    publish_policy(team, NURTURE_TINY)
    nobody = take(team, employees=2)
    page = queries.list_leads(team, MANAGER, LeadFilter(unowned=True))
    assert [lead.id for lead in page.leads] == [nobody]


def test_the_export_yields_every_matching_lead_across_batches_newest_first(
    team: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "EXPORT_BATCH", 2)
    ids = [take(team, source="webinar", first_name=f"N{i}") for i in range(5)]
    take(team, source="website")
    rows = list(export_leads(team, MANAGER, LeadFilter(source="webinar")))
    column = queries.EXPORT_COLUMNS.index
    assert [row[column("id")] for row in rows] == ids[::-1]
    assert [row[column("first_name")] for row in rows] == ["N4", "N3", "N2", "N1", "N0"]


def test_the_sources_to_filter_by_are_listed_once_each_in_order(team: Services) -> None:
    for source in ("webinar", "website", "webinar", None):
        take(team, source=source)
    assert lead_choices(team, MANAGER).sources == ["webinar", "website"]


def test_a_manager_filters_by_the_policy_s_reps_pools_and_rules(team: Services) -> None:
    choices = lead_choices(team, MANAGER)
    assert choices.reps == [("ann", "Ann Archer"), ("ben", "Ben Brook")]
    assert (choices.pools, choices.rules) == (["big", "team"], ["big"])


def test_a_rep_is_offered_no_owner_to_filter_by(team: Services) -> None:
    assert lead_choices(team, Actor("ann@example.com", "rep", "ann")).reps == []


@contextmanager
def statements(svc: Services) -> Iterator[list[str]]:
    """The SQL statements run on the service's engine inside the block."""
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(svc.store.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(svc.store.engine, "before_cursor_execute", count)


def add_events(svc: Services, lead_id: str, n: int) -> None:
    at = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)
    rows = [
        {"lead_id": lead_id, "at": at, "type": "sla.reminded", "actor": "leadflow", "data": {}}
        for _ in range(n)
    ]
    with svc.store.writing() as session:
        session.execute(insert(LeadEventRow), rows)


def test_a_lead_story_takes_as_many_queries_with_200_events_as_with_5(team: Services) -> None:
    short, long = take(team), take(team)
    for lead_id in (short, long):
        reassign(team, lead_id, MANAGER)  # a second decision, under the same policy
    add_events(team, long, 200)
    lead_story(team, short, MANAGER)  # the policy compiled once
    with statements(team) as few:
        assert len(lead_story(team, short, MANAGER).timeline) < 10
    with statements(team) as many:
        assert len(lead_story(team, long, MANAGER).timeline) > 200
    assert len(many) == len(few) <= 8


def test_a_lead_story_knows_when_the_rep_it_found_away_was_set_away(
    team: Services, clock: FixedClock
) -> None:
    update_rep(team, "ben", RepUpdate(presence="away", given=frozenset({"presence"})), MANAGER)
    set_away = clock.now
    clock.now += timedelta(minutes=5)
    story = lead_story(team, take(team, employees=5000), MANAGER)
    assert story.known.away == {"ben": [set_away]}


def test_a_lead_story_names_the_lead_a_duplicate_was_merged_into(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, TEAM + "dedupe: {by: [email], window: 30d}\n")
    first = take(services, email="jane@acme.com", first_name="Jane", last_name="Doe")
    second = take(services, email="jane@acme.com")
    story = lead_story(services, second, MANAGER)
    assert story.lead.duplicate_of == first
    assert (story.others[first].name, story.others[first].email) == ("Jane Doe", "jane@acme.com")


def test_a_rep_s_lead_story_leaves_out_the_other_leads_it_does_not_own(
    services: Services, publish_policy: Publish
) -> None:
    publish_policy(services, TEAM + "dedupe: {by: [email], window: 30d}\n")
    first = take(services, email="jane@acme.com")  # ann's
    second = take(services, email="jane@acme.com")  # merged, ann's too
    reassign(services, first, MANAGER, "ben")
    story = lead_story(services, second, Actor("ann@example.com", "rep", "ann"))
    assert story.others == {}


def test_upgrading_to_the_lead_search_fills_it_for_stored_leads(
    make_services: Callable[[], Services],
) -> None:
    svc = make_services()
    upgrade(svc.store.engine, "0005")
    with svc.store.engine.begin() as connection:
        cast = ":f" if connection.dialect.name == "sqlite" else "CAST(:f AS jsonb)"
        connection.execute(
            text(
                "INSERT INTO leads (id, received_at, payload, fields, status, previous_owners, "
                "updated_at, sla_clock, sla_reminded, sla_reassignments) "
                f"VALUES ('old', :at, {cast}, {cast}, 'assigned', '[]', :at, 0, 0, 0)"
            ),
            {
                "at": datetime(2026, 11, 2),
                "f": '{"email": "ana@lumen.com", "first_name": "Ána", "company": "Lumen"}',
            },
        )
    upgrade(svc.store.engine)
    with svc.store.reading() as session:
        found = session.scalars(select(LeadRow.search).where(LeadRow.id == "old")).one()
    assert found == "ana@lumen.com\nana\nlumen"
