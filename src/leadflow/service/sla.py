"""The SLA clock of a live lead: started on assignment, stopped by a touch, acted on when due.

When a lead is assigned, the first SLA tier whose `when` holds starts a clock: its deadline
and reminders are counted in the owner's working time (`core.sla`), kept on the lead, and the
clock's next step (a reminder, or the deadline) is a row for the worker, written in the same
transaction. A touch (`contacted`, `meeting_booked`, ... see `core.sla.MEETS`) stops it: met
if before the deadline, else breached. A step row runs in a routing transaction of its own,
and does something only if its clock is still the lead's running clock; so a row that runs
twice, or after the lead was touched or moved on, does nothing the second time.

At the deadline (`on_breach`): the lead is breached for good; the owner's and, when the tier
says `notify_manager`, the manager's routes get `sla.breached`; with `reassign` the lead goes
to the next eligible rep of its pool (never a previous owner) under a new clock, and once
`max_reassignments` are used up, to the pool's overflow or the fallback, and the manager is
told (`escalated`). Every step is in the lead's timeline.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from leadflow.core.calendar import to_epoch
from leadflow.core.decide import Decision, reassign
from leadflow.core.lead import Lead
from leadflow.core.policy import Period, SlaTier
from leadflow.core.sla import (
    MEETS,
    Clock,
    elapsed,
    on_breach,
    start_clock,
    tier_for,
    tier_named,
)
from leadflow.service.outbox import notify
from leadflow.store.jobs import SLA, Claimed, new_job
from leadflow.store.tables import LeadRow

if TYPE_CHECKING:
    from leadflow.service.routing import RoutingTxn

log = logging.getLogger("leadflow.sla")

PENDING, MET, BREACHED = "pending", "met", "breached"


def start(txn: RoutingTxn, row: LeadRow) -> Clock | None:
    """The lead was just assigned to `row.owner`: start the clock of its tier, if any."""
    stop(txn, row, "reassigned")
    if row.first_assigned_at is None:
        row.first_assigned_at = txn.now
    policy = txn.policy
    if policy is None or row.owner is None or not policy.sla:
        return None
    tier = tier_for(policy, row.fields)
    if tier is None:
        return None
    clock = start_clock(policy, tier, row.owner, to_epoch(txn.now), _time_off(txn, row.owner))
    row.sla_clock += 1
    row.sla_tier = tier.name
    row.sla_started_at = txn.now
    row.sla_due_at = _instant(clock.due)
    row.sla_reminded = 0
    if row.sla_status != BREACHED:  # a lead that missed its SLA once stays breached
        row.sla_status = PENDING
    data: dict[str, Any] = {"tier": tier.name, "due_at": row.sla_due_at.isoformat()}
    if clock.no_working_time:
        data["counted_in"] = "wall time: the owner has no working time ahead"
    txn.event(row.id, "sla.started", "leadflow", rep=row.owner, **data)
    _schedule(txn, row, clock.reminders, clock.due, done=0)
    return clock


def stop(txn: RoutingTxn, row: LeadRow, why: str) -> None:
    """The running clock (if any) stops without being met: its due rows will do nothing."""
    if row.sla_due_at is None:
        return
    row.sla_clock += 1
    row.sla_due_at = None
    if row.sla_status == PENDING:  # no clock runs: nothing is pending (met or breached stay)
        row.sla_status = None
    txn.event(row.id, "sla.stopped", "leadflow", reason=why)


def touch(txn: RoutingTxn, row: LeadRow, event: str, at: datetime | None = None) -> None:
    """A rep's event on the lead: the first that meets the SLA stops the clock.

    `at` is when the rep says it happened (a call logged a few minutes later): it counts,
    but never before the clock started nor after now.
    """
    if event not in MEETS:
        return
    when = min(at or txn.now, txn.now)
    floor = row.sla_started_at if row.sla_due_at is not None else row.first_assigned_at
    if floor is not None:
        when = max(when, floor)
    if row.first_touch_at is None:
        row.first_touch_at = when
        start = row.first_assigned_at
        if start is not None:
            row.first_touch_seconds = max(0.0, (when - start).total_seconds())
            if txn.policy is not None and row.owner in txn.policy.reps:
                seconds = elapsed(
                    txn.policy,
                    True,
                    row.owner,
                    to_epoch(start),
                    to_epoch(when),
                    _time_off(txn, row.owner),
                )
                row.first_touch_business_seconds = seconds
    due = row.sla_due_at
    if due is None:
        return
    row.sla_clock += 1
    row.sla_due_at = None
    if when <= due:
        if row.sla_status == PENDING:
            row.sla_status = MET
        txn.event(row.id, "sla.met", "leadflow", tier=row.sla_tier, by=event)
    else:  # touched after the deadline, before the worker got to it
        row.sla_status = BREACHED
        late = (when - due).total_seconds()
        txn.event(
            row.id, "sla.breached", "leadflow", tier=row.sla_tier, rep=row.owner, late_touch=late
        )


def run_step(txn: RoutingTxn, row: LeadRow | None, job: Claimed) -> str:
    """Do the SLA step of `job` if its clock still runs; what happened, for the row's record."""
    data = job.data
    if row is None:
        return "skipped: the lead is gone"
    if row.sla_clock != data["clock"] or row.sla_due_at is None:
        return "skipped: the clock stopped or moved on"
    policy = txn.policy
    tier = tier_named(policy, row.sla_tier)
    if policy is None or tier is None:
        stop(txn, row, f"the active policy has no SLA tier {row.sla_tier!r}")
        return "skipped: tier gone"
    if data["step"] == "remind":
        return _remind(txn, row, tier, data)
    return _breach(txn, row, tier)


def _remind(txn: RoutingTxn, row: LeadRow, tier: SlaTier, step: dict[str, Any]) -> str:
    if to_epoch(txn.now) >= step["due"]:  # run late (no worker for a while): the deadline
        return _breach(txn, row, tier)  # has passed too, and a reminder now would mislead
    n = step["n"]
    row.sla_reminded = n
    txn.event(row.id, "sla.reminded", "leadflow", tier=tier.name, reminder=n, rep=row.owner)
    notify(txn, row, "sla.reminder", reminder=n)
    _schedule(txn, row, tuple(step["reminders"]), step["due"], done=n)
    return f"reminder {n}"


def _breach(txn: RoutingTxn, row: LeadRow, tier: SlaTier) -> str:
    """The deadline passed untouched: breached for good, then what `on_breach` says.

    Who takes the lead is decided before anyone is told, so that the breach is one message:
    escalated when reassignments ran out, or when nobody else can take the lead.
    """
    policy = txn.policy
    assert policy is not None
    owner, was_due = row.owner, row.sla_due_at
    row.sla_status = BREACHED
    row.sla_clock += 1
    row.sla_due_at = None
    breach = on_breach(tier, row.sla_reassignments)
    txn.event(
        row.id,
        "sla.breached",
        "leadflow",
        tier=tier.name,
        rep=owner,
        reassignments=row.sla_reassignments,
    )
    decision = None
    if (breach.reassign or breach.overflow) and owner is not None:
        previous = [*row.previous_owners, owner]
        # a lead without a pool (assigned by hand), or whose pool is gone, goes by the fallback
        decision = reassign(
            Lead(row.id, row.fields, frozenset(previous)),
            row.pool,
            row.rule,
            policy,
            txn.state(),
            txn.now,
            to_overflow=breach.overflow,
            from_rep=owner,
        )
        if decision is None:
            txn.event(row.id, "sla.not_reassigned", "leadflow", reason="nobody else can take it")
    nobody = decision is None and (breach.reassign or breach.overflow)
    escalated = breach.escalated or nobody
    notify(
        txn,
        row,
        "sla.breached",
        breached_at=txn.now.isoformat(),
        was_due=was_due,
        notify_manager=breach.notify_manager,
        escalated=escalated,
        not_reassigned=nobody,
        moves_to=_moves_to(txn, decision),
        reason="nobody else can take it" if nobody else None,
    )
    if escalated:
        txn.event(row.id, "sla.escalated", "leadflow", tier=tier.name, manager=_manager(txn, row))
    if decision is None or owner is None:
        return "breached; escalated" if escalated else "breached"
    return _reassign(txn, row, owner, decision, to_overflow=breach.overflow)


def _moves_to(txn: RoutingTxn, decision: Decision | None) -> dict[str, Any] | None:
    """Who the breached lead goes to, for the breach's message (said before it moves)."""
    if decision is None:
        return None
    rep = txn.policy.reps.get(decision.rep or "") if txn.policy else None
    name = rep.name if rep is not None else decision.rep
    return {"rep": decision.rep, "name": name, "pool": decision.pool}


def _reassign(
    txn: RoutingTxn, row: LeadRow, owner: str, decision: Decision, *, to_overflow: bool
) -> str:
    from leadflow.service.routing import store_decision  # routing imports this module

    txn.release(owner, row.pool)
    txn.save(decision.changes)
    row.previous_owners = [*row.previous_owners, owner]
    row.sla_reassignments += 1
    txn.event(
        row.id,
        "sla.reassigned",
        "leadflow",
        frm=owner,
        to=decision.rep,
        pool=decision.pool,
        overflow=to_overflow,
        reassignments=row.sla_reassignments,
    )
    store_decision(txn, row, decision, previous_owner=owner, reason="sla breached")
    return f"breached; reassigned to {decision.rep or decision.outcome.value}"


def _schedule(
    txn: RoutingTxn, row: LeadRow, reminders: tuple[float, ...], due: float, done: int
) -> None:
    """The clock's next step after `done` reminders: the next reminder, else the deadline.

    The row carries the clock's instants, fixed when it started: time off added later does
    not move a deadline already promised.
    """
    step: dict[str, Any] = {"clock": row.sla_clock, "reminders": list(reminders), "due": due}
    if done < len(reminders):
        step |= {"step": "remind", "n": done + 1}
        at = reminders[done]
    else:
        step["step"] = "deadline"
        at = due
    txn.job(new_job(SLA, _instant(at), txn.now, step, lead_id=row.id))


def _time_off(txn: RoutingTxn, rep_id: str | None) -> tuple[Period, ...] | None:
    """The rep's time off as routing sees it: the policy's, or with the runtime's added."""
    if rep_id is None or txn.policy is None:
        return None
    rs = txn.state().reps.get(rep_id)
    return rs.time_off if rs is not None else None


def _manager(txn: RoutingTxn, row: LeadRow) -> str | None:
    rep = txn.policy.reps.get(row.owner or "") if txn.policy else None
    return rep.manager if rep else None


def _instant(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)
