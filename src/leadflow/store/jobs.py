"""The worker's rows: claimed with a lease, finished, retried with back-off, or dead.

Several workers, in several processes, may claim at once. On PostgreSQL a claim takes rows
with `FOR UPDATE SKIP LOCKED`, so two workers never take the same row and never wait for each
other; on SQLite the single writer already serializes claims. A claim does not remove the row:
it sets `lease_until`, and a row whose lease has passed is claimable again. So a worker that
dies holding rows delays them by one lease, and loses none.

Invariants:
- a row is `pending` until it is `done`, `skipped` or `dead`, and never leaves those three;
- `attempts` counts claims; a row claimed `delivery_attempts` times and failed is `dead`;
- a delivery row keeps its `delivery_id` through every try and a retry by hand;
- `delivery_id` is unique: a row whose work must happen once per something (a manager's digest
  of one week) is given an id made from that something, so a second insert of it is refused.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from leadflow.store.tables import JobRow

PENDING, DONE, SKIPPED, DEAD = "pending", "done", "skipped", "dead"
STATES = (PENDING, DONE, SKIPPED, DEAD)
DELIVER, SLA, DIGEST = "deliver", "sla", "digest"
KINDS = (DELIVER, SLA, DIGEST)
MAX_BACKOFF = 3600.0


@dataclass(frozen=True, slots=True)
class Claimed:
    """A row as its worker took it."""

    id: int
    kind: str
    lead_id: str | None
    due_at: datetime
    attempts: int  # including this one
    delivery_id: str | None
    data: dict[str, Any]
    worker: str = ""
    lease_until: datetime | None = None


def new_job(
    kind: str,
    due_at: datetime,
    now: datetime,
    data: dict[str, Any],
    lead_id: str | None = None,
    key: str | None = None,
) -> dict[str, Any]:
    """The values of a new row, for an INSERT with the rest of its transaction; `key`: its
    `delivery_id` when it is made from what the row is once for (else a deliver row's is
    random)."""
    return {
        "kind": kind,
        "lead_id": lead_id,
        "state": PENDING,
        "due_at": due_at,
        "attempts": 0,
        "lease_until": None,
        "worker": None,
        "delivery_id": key or (str(uuid.uuid4()) if kind == DELIVER else None),
        "data": data,
        "last_error": None,
        "created_at": now,
        "finished_at": None,
    }


def claim(
    session: Session,
    worker: str,
    now: datetime,
    lease: float,
    most: int,
    kinds: Sequence[str] = KINDS,
    most_attempts: int | None = None,
) -> list[Claimed]:
    """Take up to `most` due rows, oldest due first, for `lease` seconds.

    A row already claimed `most_attempts` times whose lease ran out (each worker that took it
    died or hung) is not taken again: it is `dead`, and `exhausted` (below) says which.
    """
    claimable = and_(
        JobRow.state == PENDING,
        JobRow.due_at <= now,
        JobRow.kind.in_(kinds),
        or_(JobRow.lease_until.is_(None), JobRow.lease_until <= now),
    )
    if most_attempts is not None:
        claimable = and_(claimable, JobRow.attempts < most_attempts)
    pick = select(JobRow.id).where(claimable).order_by(JobRow.due_at, JobRow.id).limit(most)
    if session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    ids = list(session.scalars(pick))
    if not ids:
        return []
    taken = session.execute(
        update(JobRow)
        .where(JobRow.id.in_(ids))
        .values(
            lease_until=now + timedelta(seconds=lease),
            worker=worker,
            attempts=JobRow.attempts + 1,
        )
        .returning(
            JobRow.id,
            JobRow.kind,
            JobRow.lead_id,
            JobRow.due_at,
            JobRow.attempts,
            JobRow.delivery_id,
            JobRow.data,
        )
        .execution_options(synchronize_session=False)
    ).all()
    until = now + timedelta(seconds=lease)
    rows = [
        Claimed(r.id, r.kind, r.lead_id, r.due_at, r.attempts, r.delivery_id, r.data, worker, until)
        for r in taken
    ]
    rows.sort(key=lambda c: (c.due_at, c.id))
    return rows


def exhausted(
    session: Session, now: datetime, most_attempts: int, kinds: Sequence[str] = KINDS
) -> list[tuple[int, str, str | None]]:
    """Make `dead` the rows claimed `most_attempts` times that never finished; (id, kind,
    lead) of each. A row that kills its worker every time must not be taken forever."""
    stuck = and_(
        JobRow.kind.in_(kinds),
        JobRow.state == PENDING,
        JobRow.due_at <= now,
        JobRow.attempts >= most_attempts,
        JobRow.lease_until.is_not(None),
        JobRow.lease_until <= now,
    )
    note = f"claimed {most_attempts} times and never finished: its workers died or hung"
    killed = session.execute(
        update(JobRow)
        .where(stuck)
        .values(state=DEAD, finished_at=now, lease_until=None, last_error=note)
        .returning(JobRow.id, JobRow.kind, JobRow.lead_id)
        .execution_options(synchronize_session=False)
    ).all()
    return [(i, k, lead) for i, k, lead in killed]


def release(session: Session, job: Claimed) -> None:
    """Give back a row not tried after all (its lease was too short to try it in)."""
    session.execute(
        update(JobRow)
        .where(JobRow.id == job.id, JobRow.worker == job.worker, JobRow.attempts == job.attempts)
        .values(lease_until=None, attempts=JobRow.attempts - 1)
        .execution_options(synchronize_session=False)
    )


_FINISH = (
    update(JobRow)
    .where(JobRow.id == bindparam("job_id"))
    .values(
        state=bindparam("state"),
        finished_at=bindparam("finished_at"),
        lease_until=None,
        last_error=bindparam("note"),
    )
)


def finish_many(session: Session, done: list[tuple[int, str, datetime, str]]) -> None:
    """Several rows done at once: (id, state, when, note) each, in one round trip."""
    if done:
        rows = [
            {"job_id": i, "state": state, "finished_at": at, "note": note or None}
            for i, state, at, note in done
        ]
        session.connection().execute(_FINISH, rows)  # Core: no autoflush of the leads


_SENT = (
    update(JobRow)
    .where(
        JobRow.id == bindparam("job_id"),
        JobRow.worker == bindparam("by"),
        JobRow.attempts == bindparam("try_"),
    )
    .values(state=DONE, finished_at=bindparam("finished_at"), lease_until=None, last_error=None)
)


def finish_sent(session: Session, sent: list[tuple[Claimed, datetime]]) -> None:
    """Deliveries sent. Only the claim that sent a row records it: a worker whose lease ran
    out (and whose row another worker took) changes nothing of the newer claim's."""
    if sent:
        rows = [
            {"job_id": j.id, "by": j.worker, "try_": j.attempts, "finished_at": at}
            for j, at in sent
        ]
        session.connection().execute(_SENT, rows)


def backoff(attempts: int, first: float) -> float:
    """Seconds before try `attempts + 1`: first, 2×first, 4×first… at most an hour.

    With the default 10 s and 8 tries, a delivery is retried over about 21 minutes.
    """
    return float(min(MAX_BACKOFF, first * 2 ** max(0, attempts - 1)))


def fail(
    session: Session,
    job: Claimed,
    now: datetime,
    error: str,
    *,
    retryable: bool,
    most_attempts: int,
    first_backoff: float,
    retry_after: float | None = None,
) -> str:
    """Record a failed try: retried later, or `dead` when out of tries or not retryable."""
    if not retryable or job.attempts >= most_attempts:
        values: dict[str, Any] = {"state": DEAD, "finished_at": now, "lease_until": None}
    else:
        wait = max(backoff(job.attempts, first_backoff), retry_after or 0.0)
        values = {"due_at": now + timedelta(seconds=wait), "lease_until": None}
    fenced = [JobRow.id == job.id]
    if job.worker:  # only the claim that tried it records the try (see `finish_sent`)
        fenced += [JobRow.worker == job.worker, JobRow.attempts == job.attempts]
    session.execute(
        update(JobRow)
        .where(*fenced)
        .values(last_error=error[:2000], **values)
        .execution_options(synchronize_session=False)
    )
    return str(values.get("state", PENDING))


def retry(session: Session, job_id: int, now: datetime) -> JobRow | None:
    """A dead row runs again now, with its tries counted afresh (and the same delivery id)."""
    row = session.get(JobRow, job_id)
    if row is None:
        return None
    row.state, row.due_at, row.attempts = PENDING, now, 0
    row.lease_until, row.worker, row.finished_at = None, None, None
    return row
