"""Use cases that route: take in a lead, record what a rep did with it, reassign it.

Each is one function over one transaction: lock the routing clock, read, call the core, write
the lead, its decision, its timeline and the state changes together, commit, and only then
answer. A lead acknowledged with a 2xx is committed; a crash before the commit loses nothing
that was acknowledged, and routes nothing twice.

The lifecycle is a table (`MOVES`): an event is allowed from the statuses listed for it, and
anything else is a `Conflict` that changes nothing.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event, func, insert, or_, select
from sqlalchemy.orm import Session

from leadflow.core.calendar import local_day, to_epoch
from leadflow.core.decide import Decision, Outcome, decide
from leadflow.core.lead import Lead
from leadflow.core.policy import Policy
from leadflow.core.state import Assigned, Change, RoutingState
from leadflow.decision_words import in_one_line
from leadflow.quality.accounts import AccountIndex
from leadflow.quality.pipeline import Prepared, merged
from leadflow.service import outbox, quality, sla
from leadflow.service.context import Services
from leadflow.service.errors import Conflict, Forbidden, Invalid, NotFound
from leadflow.store.routing import RoutingClock, Touched, advance_clock, lock_clock
from leadflow.store.tables import DecisionRow, JobRow, LeadEventRow, LeadRow

log = logging.getLogger("leadflow.routing")

HELD_BACK = frozenset({"junk", "stored"})  # never routed until someone restores them
OWNED = frozenset({"assigned", "accepted", "contacted", "meeting_booked", "qualified"})
CLOSED = frozenset({"won", "lost", "disqualified"})
WAITING = frozenset({"queued", "unassigned", "nurture"})
# every status a lead can be in: stored as received, then where routing and reps took it
STATUSES = (
    "received",
    *("assigned", "accepted", "contacted", "meeting_booked", "qualified"),  # OWNED
    *("won", "lost", "disqualified"),  # CLOSED
    *("queued", "unassigned", "nurture"),  # WAITING
    "merged",
    *("junk", "stored"),  # HELD_BACK
)
# event -> the statuses it may follow; the lead's new status is the event's name
MOVES: dict[str, frozenset[str]] = {
    "accepted": frozenset({"assigned"}),
    "rejected": frozenset({"assigned", "accepted"}),
    "contacted": frozenset({"assigned", "accepted"}),
    "meeting_booked": frozenset({"assigned", "accepted", "contacted"}),
    "qualified": frozenset({"assigned", "accepted", "contacted", "meeting_booked"}),
    "disqualified": OWNED | WAITING,
    "won": OWNED,
    "lost": OWNED,
}
EVENTS = tuple(MOVES)
# what a decision's outcome is called in the policy's `notify` routes
NOTICES = {
    Outcome.ASSIGNED: "lead.assigned",
    Outcome.QUEUED: "lead.queued",
    Outcome.NURTURE: "lead.nurtured",
    Outcome.UNASSIGNED: "lead.unassigned",
    Outcome.MERGED: "lead.merged",
}


@dataclass(frozen=True)
class Actor:
    """Who is asking: the API key's name and role, and its rep for the `rep` role."""

    name: str
    role: str  # intake | rep | manager | admin
    rep_id: str | None = None


SYSTEM = Actor("leadflow", "admin")


@dataclass(frozen=True)
class NewLead:
    fields: dict[str, Any]
    payload: dict[str, Any]  # as received
    source: str | None = None
    external_id: str | None = None
    idempotency_key: str | None = None
    received_at: datetime | None = None
    route: bool = True  # False: stored as `stored`, to route later (an import without --route)
    # An import: a row whose external_id names a lead with other values is a conflict, not a
    # retry (an API client retrying may resend a lead that changed on its side; a file may not).
    strict: bool = False
    # What the door's mapping noted (`mapping.Unreadable.record`): on the timeline and record.
    notes: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Routed:
    """What intake answers: the lead as routed, and whether this is a replay of the first answer."""

    lead_id: str
    status: str
    owner: str | None
    pool: str | None
    rule: str | None
    decision_id: int | None
    replayed: bool = False
    reason: str | None = None
    why: str | None = None  # the decision in one line (decision_words.in_one_line)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.lead_id,
            "status": self.status,
            "owner": self.owner,
            "pool": self.pool,
            "rule": self.rule,
            "decision_id": self.decision_id,
            "reason": self.reason,
            "why": self.why,
        }


@dataclass
class RoutingTxn:
    """The parts of one routing transaction."""

    svc: Services
    session: Session
    clock: RoutingClock
    now: datetime
    policy: Policy | None
    version: int | None = None  # set when the transaction changed routing state
    trial: bool = False  # a dry run's: rolled back at its end, so it logs no lead events
    _state: RoutingState | None = None
    _accounts: AccountIndex | None = None
    _events: list[dict[str, Any]] = field(default_factory=list)
    _jobs: list[dict[str, Any]] = field(default_factory=list)
    _touched: Touched = field(default_factory=Touched)  # routing rows to write at the commit
    expected: int = 1  # decisions this transaction expects to make (ids taken ahead)
    _decisions: list[dict[str, Any]] = field(default_factory=list)
    _ids: list[int] = field(default_factory=list)
    _last_id: int | None = None

    def state(self) -> RoutingState:
        """The routing state for this transaction, fetched once (the policy is known)."""
        assert self.policy is not None
        if self._state is None:
            self._state = self.svc.routing.state_for(self.session, self.clock, self.policy)
        return self._state

    def accounts(self) -> AccountIndex | None:
        """The account index for this transaction, looked up once (the policy is known)."""
        if self.policy is None:
            return None
        if self._accounts is None:
            self._accounts = self.svc.accounts.index(self.session, self.policy.matching)
        return self._accounts

    def save(self, changes: tuple[Change, ...]) -> None:
        if not changes:  # nurture, queued, unassigned: no routing state changes, no reload
            return
        self.state()
        self.svc.routing.save(changes, self._touched)
        self.moved()

    def release(self, rep_id: str, pool: str | None) -> None:
        self.state()
        self.svc.routing.release(rep_id, pool, self._touched)
        self.moved()

    def touched(self, rep_id: str) -> None:
        """The rep's routing row changed (its availability): written at the commit."""
        self._touched.reps.add(rep_id)

    def moved(self) -> None:
        """Routing state changed here: move the clock (once), so every process reloads."""
        self.svc.routing.changing()  # until the commit, this process's cache is not the truth
        if self.version is None:  # the clock moves once per transaction
            self.version = advance_clock(self.session, self.clock)

    def event(self, lead_id: str, type_: str, actor: str, **data: Any) -> None:
        """Add to the lead's timeline; written with the others just before the commit."""
        self._events.append(
            {"lead_id": lead_id, "at": self.now, "type": type_, "actor": actor, "data": data}
        )

    def decision(self, values: dict[str, Any]) -> int:
        """Keep a decision record, written with the others before the commit; its id.

        Ids are taken ahead, `expected` at a time (one round trip for a batch of leads or
        SLA steps, instead of an INSERT ... RETURNING for each). On PostgreSQL they come from
        the table's sequence, so ids increase but may skip; on SQLite the transaction holds
        the only writer, so the next ids are the ones after the largest.
        """
        if not self._ids:
            self._ids = _next_ids(self.session, self.expected, self._last_id)
        decision_id = self._ids.pop(0)
        self._last_id = decision_id
        self._decisions.append({"id": decision_id, **values})
        return decision_id

    def job(self, values: dict[str, Any]) -> None:
        """Work for the worker (`store.jobs.new_job`), committed with what caused it."""
        self._jobs.append(values)

    def write_events(self, _session: Session | None = None) -> None:
        """Write what the transaction gathered, one statement a table (before the commit):
        the routing rows it changed, its timeline events, its jobs."""
        connection = self.session.connection()
        if self._state is not None:
            self._touched.write(self.session, self._state)
        if self._decisions:
            connection.execute(insert(DecisionRow), self._decisions)
            self._decisions = []
        if self._events:
            connection.execute(insert(LeadEventRow), self._events)
            self._events = []
        if self._jobs:
            connection.execute(insert(JobRow), self._jobs)
            self._jobs = []


def intake(svc: Services, new: NewLead, actor: Actor) -> Routed:
    """Store a new lead and route it; answer only once it is committed.

    Leads that arrive while another transaction holds the writer wait in a line, and whoever
    gets the turn next takes every lead waiting in ONE transaction (group commit): each is
    still routed in turn, under the routing lock, exactly as alone, but they share one commit
    and its fsync. If anything in that transaction fails, it rolls back as a whole and each
    of its leads is taken again alone, so one bad lead costs the others nothing but time.
    """
    mine = _Waiting(new, actor)
    svc.intake_line.run(mine, lambda batch: _take_batch(svc, batch))
    if mine.error is not None:
        raise mine.error
    assert mine.result is not None
    return mine.result


def intake_batch(
    svc: Services, news: list[NewLead], actor: Actor, trial: Session | None = None
) -> list[Routed | Exception]:
    """Take many leads (an import) in one transaction, as `intake` takes those that wait in
    line together; a lead that fails is its own error, and costs the others nothing.

    `trial`: a dry run's transaction (`trial`): the batch is taken exactly as for real, in a
    savepoint of it where its commit would be, so later batches see what it would have done;
    everything goes when the dry run ends.
    """
    batch = [_Waiting(new, actor) for new in news]
    _take_batch(svc, batch, trial)
    return [w.error if w.error is not None else w.result for w in batch]  # type: ignore[misc]


@contextmanager
def trial(svc: Services) -> Iterator[Session]:
    """A dry run's transaction for `intake_batch`: rolled back at the end, whatever happened.

    Its leads, decisions, timelines, notifications, account reviews and rotations are written
    and read back as a real run's are, then rolled back. The process's caches saw its clock
    versions, which another transaction may reach for real: they forget them. It holds the
    routing lock (and on SQLite the writer) until it ends, which is why an import's dry run
    on SQLite runs on a copy of the database (`imports._copied`).
    """
    try:
        with svc.store.trying() as session:
            yield session
    finally:
        svc.routing.forget()
        svc.policies.forget()


@dataclass
class _Waiting:
    new: NewLead
    actor: Actor
    result: Routed | None = None
    error: Exception | None = None
    done: bool = False


def _take_batch(svc: Services, batch: list[_Waiting], trial: Session | None = None) -> None:
    if len(batch) > 1:
        try:
            results = _take_in_one_transaction(svc, batch, trial)
        except Exception:
            log.info("intake.batch_retried size=%d", len(batch))
        else:
            for waiting, result in zip(batch, results, strict=True):
                waiting.result, waiting.done = result, True
            return
    for waiting in batch:
        try:
            (waiting.result,) = _take_in_one_transaction(svc, [waiting], trial)
        except Exception as error:
            waiting.error = error
        waiting.done = True


def _take_in_one_transaction(
    svc: Services, batch: list[_Waiting], trial: Session | None = None
) -> list[Routed]:
    svc.accounts.refresh(svc.store)  # before the routing lock: a rebuild takes seconds
    if trial is not None:
        # A dry run: the same steps, and where the commit would be, a savepoint released
        # (a batch that fails undoes only itself, as its failed commit would).
        with trial.begin_nested():
            txn = begin_routing(svc, trial, expected=len(batch), trial=True)
            results = _take_all(txn, batch)
            txn.write_events()  # what the commit writes: the next batches read it
        return results
    with svc.store.writing() as session:
        # under the routing lock: retries cannot both insert
        txn = begin_routing(svc, session, expected=len(batch))
        results = _take_all(txn, batch)
    commit_routing(svc, txn)
    return results


def _take_all(txn: RoutingTxn, batch: list[_Waiting]) -> list[Routed]:
    news = [waiting.new for waiting in batch]
    seen = KnownLeads.of(txn.session, news) if len(batch) > 1 else None
    return [_take(txn, waiting.new, waiting.actor, seen) for waiting in batch]


@dataclass
class KnownLeads:
    """The stored leads a batch's idempotency keys and external ids name, found in one query,
    and those the batch adds (a retry later in the same batch finds them)."""

    by_key: dict[tuple[str, str], LeadRow]

    @classmethod
    def of(cls, session: Session, news: list[NewLead]) -> KnownLeads:
        idem = [n.idempotency_key for n in news if n.idempotency_key is not None]
        external = [n.external_id for n in news if n.external_id is not None]
        found: dict[tuple[str, str], LeadRow] = {}
        for chunk in range(0, max(len(idem), len(external)), 500):
            query = select(LeadRow).where(
                or_(
                    LeadRow.idempotency_key.in_(idem[chunk : chunk + 500]),
                    LeadRow.external_id.in_(external[chunk : chunk + 500]),
                )
            )
            for row in session.scalars(query):
                found.update(dict.fromkeys(_keys_of(row), row))
        return cls(found)

    def find(self, new: NewLead) -> LeadRow | None:
        return next((self.by_key[k] for k in _keys_of(new) if k in self.by_key), None)

    def add(self, row: LeadRow) -> None:
        self.by_key.update(dict.fromkeys(_keys_of(row), row))


def _keys_of(lead: NewLead | LeadRow) -> list[tuple[str, str]]:
    keys = []
    if lead.idempotency_key is not None:
        keys.append(("idempotency_key", lead.idempotency_key))
    if lead.external_id is not None:
        keys.append(("external_id", lead.external_id))
    return keys


def _take(txn: RoutingTxn, new: NewLead, actor: Actor, seen: KnownLeads | None = None) -> Routed:
    """One lead inside an open routing transaction: a replay, or stored and routed.

    `seen`: a batch's known leads, found at once (else each lead looks its keys up)."""
    known = seen.find(new) if seen is not None else _existing(txn.session, new)
    if known is not None:
        _same_lead_or_conflict(known, new)
        first = known.first_response or {}
        return Routed(
            lead_id=known.id,
            status=first.get("status", known.status),
            owner=first.get("owner"),
            pool=first.get("pool"),
            rule=first.get("rule"),
            decision_id=first.get("decision_id"),
            replayed=True,
            reason=first.get("reason"),
            why=first.get("why"),
        )
    fields = new.fields
    if new.source is not None and "source" not in fields:
        # The source is a field rules read (`source: webinar`), on every door as in simulate.
        fields = {**fields, "source": new.source}
    row = LeadRow(
        id=str(uuid.uuid4()),
        external_id=new.external_id,
        idempotency_key=new.idempotency_key,
        source=new.source,
        received_at=new.received_at or txn.now,
        payload=new.payload,
        fields=fields,
        status="received",
        previous_owners=[],
        updated_at=txn.now,
        sla_clock=0,
        sla_reminded=0,
        sla_reassignments=0,
    )
    txn.event(row.id, "received", actor.name, source=new.source)
    quality.note(txn, row, new.notes)
    prepared = quality.prepare_lead(txn, fields, row.received_at, notes=new.notes)
    quality.keep(txn, row, prepared)
    if prepared.junk is not None:
        routed = _junk(txn, row, prepared.junk)
    elif not new.route:
        routed = _stored(txn, row)
    elif prepared.duplicate is not None:
        routed = _merge(txn, row, prepared)
    else:
        routed = _route(txn, row, actor, quality=prepared.record)
    outbox.acknowledge(txn, row)  # only for the outcomes the policy answers
    row.first_response = routed.as_dict()
    _insert_lead(txn.session, row)
    if seen is not None:
        seen.add(row)
    return routed


def record_event(
    svc: Services,
    lead_id: str,
    event: str,
    actor: Actor,
    at: datetime | None = None,
    note: str | None = None,
    value: float | None = None,
) -> Routed:
    """A rep's or manager's event on a lead; `rejected` routes it again, never back to an owner.
    A `won` event may carry the deal's `value` (the reports' `won_value`)."""
    if event not in MOVES:
        raise Invalid(f"unknown event {event!r}: expected one of {', '.join(EVENTS)}", field="type")
    if value is not None and event != "won":
        raise Invalid(f"a value is for a won event, not {event!r}", field="value")
    extra = {"value": value} if value is not None else {}
    with svc.store.writing() as session:
        txn = begin_routing(svc, session)
        row = _lead_for(session, lead_id, actor)
        if row.status not in MOVES[event]:
            allowed = ", ".join(sorted(MOVES[event]))
            raise Conflict(
                f"a lead that is {row.status} cannot be {event} (only from: {allowed})",
                status=row.status,
                event=event,
            )
        txn.event(row.id, event, actor.name, at=(at or txn.now).isoformat(), note=note, **extra)
        if event == "rejected":
            routed = _reroute(txn, row, actor, why="rejected")
        else:
            if event in CLOSED and row.owner is not None and txn.policy is not None:
                txn.release(row.owner, row.pool)
            sla.touch(txn, row, event, at)
            row.status = event
            row.updated_at = txn.now
            routed = _routed(row)
    commit_routing(svc, txn)
    return routed


def restore(svc: Services, lead_id: str, actor: Actor) -> Routed:
    """Route a lead held back from routing: junk (a person says it is not) or stored by an
    import. It is cleaned, identified and scored again, without the junk screen."""
    if actor.role not in ("manager", "admin"):
        raise Forbidden("only a manager or an admin may restore a lead")
    svc.accounts.refresh(svc.store)
    with svc.store.writing() as session:
        txn = begin_routing(svc, session)
        row = _lead_for(session, lead_id, actor)
        if row.status not in HELD_BACK:
            raise Conflict(
                f"a lead that is {row.status} is not held back: only junk and stored leads "
                "can be restored",
                status=row.status,
            )
        txn.event(row.id, "restored", actor.name, was=row.status, reason=row.junk_reason)
        fields = dict(row.fields)
        if row.account_id is not None:  # filled by an earlier match: matched afresh now
            fields.pop("account", None)
        notes = quality.noted(txn, row)
        prepared = quality.prepare_lead(txn, fields, row.received_at, screen=False, notes=notes)
        quality.keep(txn, row, prepared, review=not quality.reviewed(txn, row))
        if prepared.duplicate is not None:
            routed = _merge(txn, row, prepared)
        else:
            routed = _route(txn, row, actor, quality=prepared.record, why="restored")
        outbox.acknowledge(txn, row)
    commit_routing(svc, txn)
    return routed


def reassign(svc: Services, lead_id: str, actor: Actor, to_rep: str | None = None) -> Routed:
    """Move a lead to a named rep, or (`to_rep` None) through the policy again."""
    if actor.role not in ("manager", "admin"):
        raise Forbidden("only a manager or an admin may reassign a lead")
    with svc.store.writing() as session:
        txn = begin_routing(svc, session)
        row = _lead_for(session, lead_id, actor)
        if row.status in CLOSED:
            raise Conflict(f"a lead that is {row.status} cannot be reassigned", status=row.status)
        if row.status in HELD_BACK or row.status == "merged":
            why = "restore it to route it" if row.status in HELD_BACK else "reassign its open lead"
            raise Conflict(
                f"a lead that is {row.status} cannot be reassigned: {why}", status=row.status
            )
        if to_rep is None:
            routed = _reroute(txn, row, actor, why="reassigned")
        else:
            routed = _assign_by_hand(txn, row, actor, to_rep)
    commit_routing(svc, txn)
    return routed


def _insert_lead(session: Session, row: LeadRow) -> None:
    """The new lead, complete once routed, in one INSERT (Core: this runs for every lead)."""
    values = {c.key: getattr(row, c.key) for c in LeadRow.__table__.columns if c.key != "seq"}
    session.connection().execute(insert(LeadRow), values)


def begin_routing(
    svc: Services, session: Session, expected: int = 1, trial: bool = False
) -> RoutingTxn:
    """Take the routing lock and start a routing transaction expecting `expected` decisions.

    `trial`: a dry run's, never committed: the caller writes what it gathered itself."""
    clock = lock_clock(session)
    policy = svc.policies.active(session, clock.version)
    now = svc.clock()
    txn = RoutingTxn(svc, session, clock, now, policy, expected=max(1, expected), trial=trial)
    if not trial:
        event.listen(session, "before_commit", txn.write_events, once=True)
    return txn


def _next_ids(session: Session, count: int, last: int | None) -> list[int]:
    """`count` decision ids no other transaction will use (see `RoutingTxn.decision`)."""
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        taken = connection.exec_driver_sql(
            "SELECT nextval(pg_get_serial_sequence('decisions', 'id')) "
            f"FROM generate_series(1, {int(count)})"
        )
        return [row[0] for row in taken]
    if last is None:
        last = session.scalar(select(func.coalesce(func.max(DecisionRow.id), 0))) or 0
    return list(range(last + 1, last + 1 + count))


def commit_routing(svc: Services, txn: RoutingTxn) -> None:
    if txn.version is not None:
        svc.routing.committed(txn.version)
        svc.policies.routed(txn.version - 1, txn.version)


def _existing(session: Session, new: NewLead) -> LeadRow | None:
    keys = []
    if new.idempotency_key is not None:
        keys.append(LeadRow.idempotency_key == new.idempotency_key)
    if new.external_id is not None:
        keys.append(LeadRow.external_id == new.external_id)
    if not keys:
        return None
    return session.scalars(select(LeadRow).where(or_(*keys)).limit(1)).first()


def _same_lead_or_conflict(known: LeadRow, new: NewLead) -> None:
    """A replay must be the same lead: a clash is a 409, never a lead silently not stored."""
    if new.idempotency_key is not None and known.idempotency_key == new.idempotency_key:
        if known.payload != new.payload:
            raise Conflict(
                "this Idempotency-Key was first used with a different body: a retry must send "
                "the same lead, and a new lead needs a new key",
                field="Idempotency-Key",
            )
    elif new.strict and known.source == new.source and known.payload != new.payload:
        raise Conflict(
            f"external_id {new.external_id!r} was already imported with other values: "
            "each lead needs its own external_id",
            field="external_id",
        )
    elif known.source != new.source:
        raise Conflict(
            f"external_id {new.external_id!r} already belongs to a lead from source "
            f"{known.source!r}: external ids must be unique across sources (prefix them)",
            field="external_id",
        )


def _lead_for(session: Session, lead_id: str, actor: Actor) -> LeadRow:
    row = session.scalars(select(LeadRow).where(LeadRow.id == lead_id)).first()
    if row is None or (actor.role == "rep" and row.owner != actor.rep_id):
        raise NotFound(f"no lead {lead_id!r}")  # a rep does not learn of others' leads
    if actor.role == "intake":
        raise Forbidden("an intake key may only post leads")
    return row


def _route(
    txn: RoutingTxn,
    row: LeadRow,
    actor: Actor,
    previous_owner: str | None = None,
    why: str | None = None,
    quality: dict[str, Any] | None = None,
) -> Routed:
    """Decide for this lead under the active policy, and write everything that follows."""
    if txn.policy is None:
        reason = "no active policy: publish one with PUT /api/v1/policy"
        return _unplaced(txn, row, reason)
    lead = Lead(row.id, row.fields, frozenset(row.previous_owners), quality)
    decision = decide(lead, txn.policy, txn.state(), txn.now)
    txn.save(decision.changes)
    return store_decision(txn, row, decision, previous_owner, why)


def store_decision(
    txn: RoutingTxn,
    row: LeadRow,
    decision: Decision,
    previous_owner: str | None = None,
    reason: str | None = None,
) -> Routed:
    """Write the decision and what follows from it: the lead's place, its timeline, its SLA
    clock and its notifications. `previous_owner`: the lead moved away from that rep."""
    decision_id = txn.decision(
        {
            "lead_id": row.id,
            "at": txn.now,
            "outcome": decision.outcome.value,
            "rep": decision.rep,
            "pool": decision.pool,
            "rule": decision.rule,
            "policy_version": txn.policy.published_version if txn.policy else None,
            "record": decision.record,
        }
    )
    row.status = decision.outcome.value
    row.owner, row.pool, row.rule = decision.rep, decision.pool, decision.rule
    row.decision_id = decision_id
    row.updated_at = txn.now
    data = {"decision_id": decision_id, "rep": decision.rep, "pool": decision.pool}
    txn.event(row.id, decision.outcome.value, "leadflow", rule=decision.rule, **data)
    if decision.outcome is Outcome.UNASSIGNED:
        _alert(txn, row, decision.reason or "unassigned")
    if decision.outcome is Outcome.ASSIGNED:
        sla.start(txn, row)
    else:
        sla.stop(txn, row, f"the lead is {decision.outcome.value}")
    notice = NOTICES[decision.outcome]
    if notice == "lead.assigned" and previous_owner is not None:
        notice = "lead.reassigned"
    extra: dict[str, Any] = {"reason": reason or decision.reason}
    if previous_owner is not None:
        extra["previous_owner"] = previous_owner
    outbox.notify(txn, row, notice, **extra)
    if txn.trial:
        return _routed(row, decision.reason)
    log.info(
        "lead.%s lead_id=%s rep=%s pool=%s rule=%s decision_id=%s",
        decision.outcome.value,
        row.id,
        decision.rep,
        decision.pool,
        decision.rule,
        decision_id,
    )
    return _routed(row, decision.reason, _one_line(decision.record, txn.policy))


def _one_line(record: dict[str, Any], policy: Policy | None) -> str | None:
    """The decision in one line for the answer; None (and a log line) should the wording
    fail on a record it does not foresee: the lead is routed and stored all the same."""
    try:
        return in_one_line(record, policy)
    except Exception:
        log.exception("decision.why_failed decision=%s", record.get("lead_id"))
        return None


def _junk(txn: RoutingTxn, row: LeadRow, reason: str) -> Routed:
    """Kept, listed and restorable, never routed; announced only where a route names
    `lead.junk`."""
    row.status = "junk"
    row.updated_at = txn.now
    txn.event(row.id, "junk", "leadflow", reason=reason)
    outbox.notify(txn, row, "lead.junk", reason=reason)
    if not txn.trial:
        log.info("lead.junk lead_id=%s reason=%s", row.id, reason)
    return _routed(row, reason, f"junk: {reason}; kept, not routed (restore routes it)")


def _stored(txn: RoutingTxn, row: LeadRow) -> Routed:
    row.status = "stored"
    row.updated_at = txn.now
    txn.event(row.id, "stored", "leadflow", reason="imported without routing")
    said = "stored without routing: POST /api/v1/leads/{id}/restore routes it"
    return _routed(row, said, said)


def _merge(txn: RoutingTxn, row: LeadRow, prepared: Prepared) -> Routed:
    """A duplicate of an open lead: it keeps that lead's owner, and moves no rotation, no cap
    and no SLA clock. Both timelines say so."""
    duplicate = prepared.duplicate
    assert duplicate is not None and txn.policy is not None
    row.duplicate_of = duplicate.lead_id
    data = {"duplicate": row.id, "matched_by": duplicate.matched_by}
    txn.event(duplicate.lead_id, "duplicate", "leadflow", **data)
    return store_decision(txn, row, merged(row.id, txn.now, prepared, txn.policy))


def _unplaced(txn: RoutingTxn, row: LeadRow, reason: str) -> Routed:
    row.status = "unassigned"
    row.updated_at = txn.now
    _alert(txn, row, reason)
    outbox.notify(txn, row, "lead.unassigned", reason=reason)
    return _routed(row, reason, f"unassigned: {reason}")


def _alert(txn: RoutingTxn, row: LeadRow, reason: str) -> None:
    """An unassigned lead is never silent: it is in the timeline and the log as an alert."""
    txn.event(row.id, "alert", "leadflow", reason=reason)
    if not txn.trial:
        log.warning("lead.unassigned lead_id=%s reason=%s", row.id, reason)


def _reroute(txn: RoutingTxn, row: LeadRow, actor: Actor, why: str) -> Routed:
    owner = row.owner
    if owner is not None and txn.policy is not None:
        txn.release(owner, row.pool)
        row.previous_owners = [*row.previous_owners, owner]
    txn.event(row.id, "rerouted", actor.name, reason=why, previous_owner=owner)
    return _route(txn, row, actor, previous_owner=owner, why=why)


def _assign_by_hand(txn: RoutingTxn, row: LeadRow, actor: Actor, rep_id: str) -> Routed:
    if txn.policy is None or rep_id not in txn.policy.reps:
        raise Invalid(f"unknown rep {rep_id!r}", field="rep")
    previous = row.owner
    if previous is not None:
        txn.release(previous, row.pool)
        row.previous_owners = [*row.previous_owners, previous]
    t = to_epoch(txn.now)
    day, week = local_day(txn.policy.reps[rep_id].timezone, t)
    change = Assigned(row.id, rep_id, None, t, day, week)
    txn.save((change,))
    record = {
        "lead_id": row.id,
        "at": txn.now.isoformat(),
        "manual": {"by": actor.name, "from": row.owner, "to": rep_id},
        "outcome": "assigned",
        "rep": rep_id,
        "pool": None,
        "reason": None,
    }
    decision = Decision(row.id, txn.now, Outcome.ASSIGNED, record, rep=rep_id, changes=(change,))
    return store_decision(txn, row, decision, previous, f"reassigned by {actor.name}")


def _routed(row: LeadRow, reason: str | None = None, why: str | None = None) -> Routed:
    return Routed(
        row.id, row.status, row.owner, row.pool, row.rule, row.decision_id, reason=reason, why=why
    )
