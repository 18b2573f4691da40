"""Held leads: leads queued for a pool until one of its members can take them.

A pool with `when_unavailable: hold` keeps a lead (status `queued`) when nobody in it is
eligible. Whatever may free a member (a rep back from away, made active, given higher caps or
less time off, a new policy) calls `place_held`, which tries every queued lead of the pools
concerned, oldest first, under the routing lock, exactly as intake would place them: the same
decision record, timeline events and state changes (`service.routing` writes them).

Leads that ask the same of a pool get the same answer, and an assignment only ever makes reps
less available: once one lead of a kind finds nobody, its like are not tried again. For a plain
pool every lead is of one kind, so the pool stops at its first failure; a pool with
`skills_from`, or a `by_field` pool, asks something different of each lead.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from leadflow.core.decide import assign_held
from leadflow.core.eligibility import hold_kind
from leadflow.core.lead import Lead
from leadflow.core.policy import Pool, Strategy
from leadflow.service.context import Services
from leadflow.service.routing import (
    Actor,
    Routed,
    RoutingTxn,
    begin_routing,
    commit_routing,
    store_decision,
)
from leadflow.store.tables import LeadRow


def place_held(svc: Services, pools: list[str] | None, actor: Actor) -> list[Routed]:
    """Place the held leads of these pools (None: of every pool) that someone can take now.

    One transaction under the routing lock, so a lead that arrives meanwhile cannot jump the
    queue of leads that waited longer.
    """
    with svc.store.writing() as session:
        txn = begin_routing(svc, session)
        placed = place_held_in(txn, pools, actor)
    commit_routing(svc, txn)
    return placed


def place_due_held(svc: Services, actor: Actor) -> list[Routed]:
    """Place every held lead that time alone has freed (working hours began, time off ended,
    a new day reset a cap). A cheap look first: no routing lock when nothing is held."""
    with svc.store.reading() as session:
        waiting = session.scalar(select(LeadRow.seq).where(LeadRow.status == "queued").limit(1))
    return [] if waiting is None else place_held(svc, None, actor)


def place_held_in(txn: RoutingTxn, pools: list[str] | None, actor: Actor) -> list[Routed]:
    """`place_held` inside a routing transaction that is already open (a rep's update)."""
    policy = txn.policy
    if policy is None:
        return []
    query = select(LeadRow).where(LeadRow.status == "queued").order_by(LeadRow.seq)
    if pools is not None:
        if not pools:
            return []
        query = query.where(LeadRow.pool.in_(pools))
    failed: set[tuple[str, Any]] = set()  # (pool, what its leads ask) that found nobody
    placed: list[Routed] = []
    for row in txn.session.scalars(query).all():
        pool = policy.pools.get(row.pool or "")
        if pool is None:  # a pool the active policy no longer has: stays held, visible
            continue
        lead = Lead(row.id, row.fields, frozenset(row.previous_owners))
        kind = (pool.name, hold_kind(pool, lead))
        if kind in failed:
            continue
        decision = assign_held(lead, pool.name, row.rule, policy, txn.state(), txn.now)
        if decision is None:
            failed.add(kind)
            continue
        txn.save(decision.changes)
        txn.event(row.id, "unheld", actor.name, pool=pool.name)
        placed.append(store_decision(txn, row, decision))
    return placed


def pools_of(pool_map: dict[str, Pool], rep_id: str) -> list[str]:
    """The pools a rep may take a held lead from: those it is a member of, and open by_field."""
    return [
        name
        for name, pool in pool_map.items()
        if rep_id in pool.member_ids or (pool.strategy is Strategy.BY_FIELD and not pool.members)
    ]
