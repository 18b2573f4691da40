"""Strategies: given a pool's eligible members, pick exactly one. Deterministic, no randomness.

- round_robin: the next eligible member after the one assigned last, in member order. The
  position is a rep, not an index, so a rep who is away is skipped without stalling the rotation,
  and adding or removing members neither resets it nor floods anybody. Members [a, b, c], b
  assigned last, b removed: the rotation goes on with c.
- weighted: a fixed interleaved schedule in which each member has `weight` slots (weights 1:2
  give b a b b a b ... — smooth weighted round robin), walked like a round robin over slots. When
  everyone is eligible, any run of sum(weights) consecutive picks gives each member exactly its
  weight; an away member's slots go to the next eligible ones and are not paid back later.
- least_loaded: fewest open leads; ties to the least recently assigned, then member order.
- by_field: the rep named in a lead field; see `decide`.
"""

from __future__ import annotations

from functools import lru_cache
from math import gcd
from typing import Any, NamedTuple

from leadflow.core.eligibility import Context
from leadflow.core.policy import Member, Pool, Strategy
from leadflow.core.state import RotationMoved


class Pick(NamedTuple):
    """The rep a strategy picked, and its state before and after, for the record."""

    rep: str
    before: dict[str, Any]  # the strategy's state before the pick, for the record
    after: dict[str, Any]
    tie_break: str | None = None
    change: RotationMoved | None = None


def pick(ctx: Context, pool: Pool, eligible: list[str]) -> Pick:
    """Pick one of `eligible` (non-empty, in member order) by the pool's strategy."""
    if pool.strategy is Strategy.WEIGHTED:
        return weighted(ctx, pool, eligible)
    if pool.strategy is Strategy.LEAST_LOADED:
        return least_loaded(ctx, pool, eligible)
    return round_robin(ctx, pool, eligible)


def round_robin(ctx: Context, pool: Pool, eligible: list[str]) -> Pick:
    ps = ctx.state.pool(pool.name)
    order = pool.member_ids
    start = _start_after(order, ps.last, ps.order)
    wanted = set(eligible)
    rep = eligible[0]  # eligible is non-empty and in member order: the wrap-around answer
    for candidate in order[start:]:
        if candidate in wanted:
            rep = candidate
            break
    return Pick(
        rep=rep,
        before={"last": ps.last},
        after={"last": rep},
        change=RotationMoved(pool.name, rep, order, ps.position),
    )


def _start_after(order: tuple[str, ...], last: str | None, last_order: tuple[str, ...]) -> int:
    """Where the rotation resumes: after `last`, or after its place in the order it had then."""
    if last is None:
        return 0
    if last in order:
        return (order.index(last) + 1) % len(order)
    if last in last_order:
        at = last_order.index(last)
        for rep in last_order[at + 1 :] + last_order[:at]:
            if rep in order:
                return order.index(rep)
    return 0


def weighted(ctx: Context, pool: Pool, eligible: list[str]) -> Pick:
    ps = ctx.state.pool(pool.name)
    slots = weighted_schedule(pool.members)
    n = len(slots)
    start = ps.position % n
    wanted = set(eligible)
    step = next(i for i in range(n) if slots[(start + i) % n] in wanted)
    rep = slots[(start + step) % n]
    position = (start + step + 1) % n
    return Pick(
        rep=rep,
        before={"position": start, "slots": len(slots)},
        after={"position": position},
        change=RotationMoved(pool.name, ps.last, ps.order, position),
    )


@lru_cache(maxsize=1024)
def weighted_schedule(members: tuple[Member, ...]) -> tuple[str, ...]:
    """The interleaved slot order of smooth weighted round robin, one period long.

    Weights a:1, b:2 → (b, a, b): each step every member gains its weight, the one with most
    credit (first in member order on a tie) takes the slot and pays the total back.
    """
    divisor = 0
    for m in members:
        divisor = gcd(divisor, m.weight)
    weights = [m.weight // max(divisor, 1) for m in members]
    total = sum(weights)
    credit = [0] * len(members)
    slots: list[str] = []
    for _ in range(total):
        for i, w in enumerate(weights):
            credit[i] += w
        best = max(range(len(members)), key=lambda i: (credit[i], -i))
        credit[best] -= total
        slots.append(members[best].rep)
    return tuple(slots)


def least_loaded(ctx: Context, pool: Pool, eligible: list[str]) -> Pick:
    index = {m.rep: i for i, m in enumerate(pool.members)}
    loads = {rep: ctx.state.rep(rep).counts.open for rep in eligible}

    def key(rep: str) -> tuple[int, float, int]:
        last = ctx.state.rep(rep).last_assigned_at
        return (loads[rep], float("-inf") if last is None else last, index.get(rep, 0))

    ranked = sorted(eligible, key=key)
    rep = ranked[0]
    tie_break = None
    if len(ranked) > 1 and loads[ranked[1]] == loads[rep]:
        by = "least recently assigned" if key(rep)[1] != key(ranked[1])[1] else "member order"
        tie_break = f"fewest open ({loads[rep]}) shared: {by}"
    after = {"open": {rep: loads[rep] + 1}}
    return Pick(rep, before={"open": loads}, after=after, tie_break=tie_break)
