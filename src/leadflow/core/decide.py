"""`decide(lead, policy, state, now)`: who gets a lead, and why. Pure: no I/O, no clock.

The steps, each written into the decision record as it happens:

1. Rules top-down; each one tried is recorded with the values its condition saw. The first rule
   whose `when` holds acts:
   - ``nurture: TRACK``: outcome `nurture`;
   - ``assign: REP | existing_owner | account_owner``: the rep, if eligible; otherwise the rule's
     ``else:`` pool, or, without one, the next rule (the record says why the rep was passed over);
   - ``route: POOL``: the pool's eligible members (every candidate is recorded with the reason it
     was excluded), then its strategy picks one. Nobody eligible: ``when_unavailable: hold``
     queues the lead for this pool; otherwise the pool's overflow is tried, and so on down the
     chain. A `by_field` pool that names no eligible rep does not place the lead: the next rule is
     tried.
2. No rule placed the lead, or an overflow chain was exhausted: the policy's fallback pool.
3. The fallback exhausted too: `unassigned`, with the reason. A lead is never dropped.

`assign_held` tries a queued lead's pool again; `reassign` moves a lead whose SLA ran out to
another rep (see its docstring). Neither ever gives a lead to one of its previous owners.

The decision carries the state changes that follow (`Assigned`, `RotationMoved`); the caller
applies them (`RoutingState.apply` in memory, SQL in the service), so that simulation and live
routing run the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from leadflow.core.calendar import to_epoch
from leadflow.core.conditions import Facts, lookup
from leadflow.core.eligibility import Context, Scope, pool_scope, screen
from leadflow.core.lead import Lead
from leadflow.core.policy import OWNER_FIELDS, ActionKind, Policy, Pool, Rule, Strategy
from leadflow.core.policy import WhenUnavailable as Unavailable
from leadflow.core.state import Assigned, Change, RoutingState
from leadflow.core.strategies import Pick, pick


class Outcome(StrEnum):
    ASSIGNED = "assigned"
    QUEUED = "queued"  # held for a pool until one of its members is eligible
    NURTURE = "nurture"
    UNASSIGNED = "unassigned"  # with a reason, and an alert: never silent
    MERGED = "merged"  # into a duplicate (identify step)


@dataclass(frozen=True, slots=True)
class Decision:
    """What `decide` decided. `record` is read-only: parts of it are shared between decisions."""

    lead_id: str
    at: datetime
    outcome: Outcome
    record: dict[str, Any]
    rep: str | None = None
    pool: str | None = None
    rule: str | None = None
    reason: str | None = None  # why unassigned; the track for nurture
    changes: tuple[Change, ...] = ()


class _NotPlaced(Exception):
    """A by_field pool named no eligible rep: the rule does not place the lead."""


def decide(lead: Lead, policy: Policy, state: RoutingState, now: datetime) -> Decision:
    """Decide where `lead` goes under `policy`, given `state`, at the instant `now`."""
    ctx = Context(policy, state, lead, to_epoch(now))
    record = _new_record(lead, policy, now)
    tried: list[dict[str, Any]] = record["rules"]
    facts = Facts(lead.fields)
    predicates, count = policy.predicates, len(policy.rules)
    start = 0
    try:
        while start < count:
            at = _first_match(predicates, facts, start)
            tried.extend(policy.unmatched[start:at])  # shared entries of the rules that failed
            if at == count:
                break
            rule = policy.rules[at]
            entry = rule.matched_entry()
            tried.append(entry)
            decision = _act(ctx, rule, entry, record, now)
            if decision is not None:
                return decision
            start = at + 1
        return _fallback(ctx, record, now, None, "no_rule_matched")
    finally:
        if tried:
            raw = facts.raw
            record["saw"] = {path: raw[path] for path in policy.reads_through[len(tried) - 1]}


def _first_match(predicates: tuple[Any, ...], facts: Facts, start: int) -> int:
    """The index of the first rule from `start` whose condition holds; len() when none does."""
    for at in range(start, len(predicates)):
        holds = predicates[at]
        if holds is None or holds(facts):
            return at
    return len(predicates)


def assign_held(
    lead: Lead, pool_name: str, rule: str | None, policy: Policy, state: RoutingState, now: datetime
) -> Decision | None:
    """Try again to place a lead held for `pool_name`; None while nobody there is eligible."""
    ctx = Context(policy, state, lead, to_epoch(now))
    record = _new_record(lead, policy, now)
    record["held_for"] = pool_name
    record["matched_rule"] = rule
    pool = policy.pools[pool_name]
    eligible, entry = _screen_pool(ctx, pool, "held")
    if not eligible:
        return None
    record["pools"].append(entry)
    return _assign(ctx, record, now, pool, eligible, entry, rule)


SLA_REASSIGN = "sla_reassign"  # the reason of a reassignment decision, and its `via`


def reassign(
    lead: Lead,
    pool_name: str | None,
    rule: str | None,
    policy: Policy,
    state: RoutingState,
    now: datetime,
    *,
    to_overflow: bool,
    from_rep: str | None = None,
) -> Decision | None:
    """Give a lead whose SLA was breached to another rep; None when nobody can take it.

    `lead.previous_owners` holds every rep who had the lead, the current owner (`from_rep`,
    added to them if missing) included: none of them is ever picked, and the record shows each
    as `previous_owner`. `to_overflow` False: the pool's eligible members, picked by its
    strategy (a round robin moves on), then its overflow chain. `to_overflow` True
    (reassignments ran out): the pool's overflow chain, else the policy's fallback, never the
    pool itself. A lead with no pool (assigned by an `assign:` rule) or whose pool is gone from
    the policy tries the fallback pool and its overflow. A pool that holds (`when_unavailable:
    hold`) does not queue here: the lead keeps its owner rather than losing it.

    The decision's outcome is `assigned` with reason `sla_reassign`; its changes count the new
    assignment. Releasing the previous owner's open lead is the caller's (`RoutingState.release`).
    """
    barred = lead.previous_owners | ({from_rep} if from_rep else set())
    if barred != lead.previous_owners:
        lead = replace(lead, previous_owners=frozenset(barred))
    ctx = Context(policy, state, lead, to_epoch(now))
    record = _new_record(lead, policy, now)
    record["matched_rule"] = rule
    record[SLA_REASSIGN] = {
        "from": from_rep,
        "pool": pool_name,
        "to_overflow": to_overflow,
        "previous_owners": sorted(barred),
    }
    pool = policy.pools.get(pool_name) if pool_name is not None else None
    starts: list[tuple[str | None, str]]
    if pool is None:
        starts = [(policy.fallback, "fallback")]
    elif not to_overflow:
        starts = [(pool.name, SLA_REASSIGN)]
    else:
        starts = [(pool.overflow, f"overflow:{pool.name}"), (policy.fallback, "fallback")]
    decision = None
    for start, via in starts:
        tried = {entry["pool"] for entry in record["pools"]}
        if start is None or start in tried or (via == "fallback" and start == pool_name):
            continue
        if via == "fallback":
            record["fallback"] = {"reason": SLA_REASSIGN, "pool": start}
        decision = _route(ctx, start, via, record, now, rule, hold=False)
        if decision is not None:
            break
    if decision is None:  # without holding, a walk either assigns or is exhausted
        return None
    _show_previous_owners(record, barred)
    record["reason"] = SLA_REASSIGN
    return replace(decision, reason=SLA_REASSIGN)


def _show_previous_owners(record: dict[str, Any], barred: frozenset[str] | set[str]) -> None:
    """Each previous owner among the candidates shows as `previous_owner`, whatever else held.

    Screening names the first reason a rep fails (an owner may also be outside hours); for a
    reassignment the reason that matters is that the lead was theirs.
    """
    for entry in record["pools"]:
        entry["candidates"] = [
            {"rep": c["rep"], "eligible": False, "reason": "previous_owner"}
            if c["rep"] in barred
            else c
            for c in entry.get("candidates", ())
        ]


def _new_record(lead: Lead, policy: Policy, now: datetime) -> dict[str, Any]:
    record: dict[str, Any] = {
        "lead_id": lead.id,
        "at": now.isoformat(),
        "policy": {"version": policy.published_version, "digest": policy.digest},
        "rules": [],
        "saw": {},
        "matched_rule": None,
        "pools": [],
        "fallback": None,
        "outcome": None,
        "rep": None,
        "pool": None,
        "reason": None,
    }
    if lead.quality is not None:
        record["quality"] = lead.quality
    return record


def _act(
    ctx: Context, rule: Rule, entry: dict[str, Any], record: dict[str, Any], now: datetime
) -> Decision | None:
    entry["action"] = {rule.action.value: rule.target}
    if rule.action is ActionKind.NURTURE:
        record["matched_rule"] = rule.name
        return _finish(record, now, Outcome.NURTURE, rule=rule.name, reason=rule.target)
    if rule.action is ActionKind.ROUTE:
        try:
            decision = _route(ctx, rule.target, f"rule:{rule.name}", record, now, rule.name)
        except _NotPlaced:
            entry["result"] = "not_placed: by_field named no eligible rep"
            return None
        record["matched_rule"] = rule.name
        if decision is None:
            entry["result"] = "exhausted"
            return _fallback(ctx, record, now, rule.name, "pools_exhausted")
        return decision
    # assign: a named rep, or the owner a lead field names
    field = OWNER_FIELDS.get(rule.target)
    rep_id = rule.target if field is None else ctx.policy.find_rep(lookup(ctx.lead.fields, field))
    scope = Scope(None, rule.respect_hours)
    if rep_id is None:
        reason = f"no rep in {field}" if field else "unknown_rep"
        entry["assign"] = {"rep": None, "eligible": False, "reason": reason}
    else:
        eligible, verdicts = screen(ctx, scope, [rep_id])
        entry["assign"] = verdicts[0]
        if eligible:
            record["matched_rule"] = rule.name
            day, week = ctx.day(ctx.policy.reps[rep_id].timezone)
            change = Assigned(ctx.lead.id, rep_id, None, ctx.t, day, week)
            return _finish(
                record, now, Outcome.ASSIGNED, rep=rep_id, rule=rule.name, changes=(change,)
            )
    if rule.else_pool is None:
        entry["result"] = "not_placed: rep not eligible, next rule"
        return None
    record["matched_rule"] = rule.name
    decision = _route(ctx, rule.else_pool, f"else:{rule.name}", record, now, rule.name)
    if decision is None:
        entry["result"] = "exhausted"
        return _fallback(ctx, record, now, rule.name, "pools_exhausted")
    return decision


def _route(
    ctx: Context,
    start: str,
    via: str,
    record: dict[str, Any],
    now: datetime,
    rule: str | None,
    *,
    hold: bool = True,
) -> Decision | None:
    """Walk a pool and its overflow chain; None when every pool in it is exhausted.

    `hold` False: a pool with `when_unavailable: hold` is passed over like any other.
    A by_field pool that a rule routes to directly, with no overflow, and that names nobody
    eligible raises `_NotPlaced`, so that the rule falls through to the next one.
    """
    name: str | None = start
    seen: set[str] = set()  # this walk's pools: the compiler refuses loops; this is a backstop
    while name is not None and name not in seen:
        seen.add(name)
        pool = ctx.policy.pools[name]
        eligible, entry = _screen_pool(ctx, pool, via)
        record["pools"].append(entry)
        if eligible:
            return _assign(ctx, record, now, pool, eligible, entry, rule)
        named = entry.get("named_rep")
        if hold and pool.when_unavailable is Unavailable.HOLD and (pool.field is None or named):
            entry["result"] = "held"
            why = f"held for pool {name}: no member eligible"
            return _finish(record, now, Outcome.QUEUED, pool=name, rule=rule, reason=why)
        entry["result"] = "exhausted"
        if pool.strategy is Strategy.BY_FIELD and not pool.overflow and via.startswith("rule:"):
            entry["result"] = "not_placed"
            raise _NotPlaced
        via = f"overflow:{name}"
        name = pool.overflow
    return None


def _screen_pool(ctx: Context, pool: Pool, via: str) -> tuple[list[str], dict[str, Any]]:
    entry: dict[str, Any] = {"pool": pool.name, "via": via, "strategy": pool.strategy.value}
    scope = pool_scope(pool, ctx.lead)
    if pool.strategy is Strategy.BY_FIELD:
        assert pool.field is not None  # the compiler requires it
        value = lookup(ctx.lead.fields, pool.field)
        rep_id = ctx.policy.find_rep(value)
        members = {m.rep for m in pool.members}
        entry["field"] = {pool.field: value}
        if rep_id is None or (members and rep_id not in members):
            entry["candidates"] = []
            entry["named_rep"] = None
            return [], entry
        entry["named_rep"] = rep_id
        eligible, verdicts = screen(ctx, scope, [rep_id])
    else:
        eligible, verdicts = screen(ctx, scope, pool.member_ids)
        if pool.strategy is Strategy.WEIGHTED:  # what each is owed: reports' expected share
            entry["weights"] = {m.rep: m.weight for m in pool.members}
    entry["candidates"] = verdicts
    return eligible, entry


def _assign(
    ctx: Context,
    record: dict[str, Any],
    now: datetime,
    pool: Pool,
    eligible: list[str],
    entry: dict[str, Any],
    rule: str | None,
) -> Decision:
    chosen = (
        Pick(eligible[0], {}, {})
        if pool.strategy is Strategy.BY_FIELD
        else pick(ctx, pool, eligible)
    )
    entry.update(
        result="assigned",
        picked=chosen.rep,
        state_before=chosen.before,
        state_after=chosen.after,
        tie_break=chosen.tie_break,
    )
    day, week = ctx.day(ctx.policy.reps[chosen.rep].timezone)
    changes: tuple[Change, ...] = (Assigned(ctx.lead.id, chosen.rep, pool.name, ctx.t, day, week),)
    if chosen.change is not None:
        changes += (chosen.change,)
    return _finish(
        record, now, Outcome.ASSIGNED, rep=chosen.rep, pool=pool.name, rule=rule, changes=changes
    )


def _fallback(
    ctx: Context, record: dict[str, Any], now: datetime, rule: str | None, reason: str
) -> Decision:
    fallback = ctx.policy.fallback
    record["fallback"] = {"reason": reason, "pool": fallback}
    if fallback is None:
        why = f"{reason}: the policy has no fallback pool"
        return _finish(record, now, Outcome.UNASSIGNED, rule=rule, reason=why)
    if any(p["pool"] == fallback for p in record["pools"]):
        why = f"{reason}: fallback pool {fallback} was already tried and has no eligible rep"
        return _finish(record, now, Outcome.UNASSIGNED, rule=rule, reason=why)
    decision = _route(ctx, fallback, "fallback", record, now, rule)
    if decision is not None:
        return decision
    why = f"{reason}: fallback pool {fallback} and its overflow have no eligible rep"
    return _finish(record, now, Outcome.UNASSIGNED, rule=rule, reason=why)


def _finish(
    record: dict[str, Any],
    now: datetime,
    outcome: Outcome,
    *,
    rep: str | None = None,
    pool: str | None = None,
    rule: str | None = None,
    reason: str | None = None,
    changes: tuple[Change, ...] = (),
) -> Decision:
    record.update(outcome=outcome.value, rep=rep, pool=pool, reason=reason)
    return Decision(
        lead_id=record["lead_id"],
        at=now,
        outcome=outcome,
        record=record,
        rep=rep,
        pool=pool,
        rule=rule,
        reason=reason,
        changes=changes,
    )
