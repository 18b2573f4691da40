"""Use cases of the worker's rows: run due SLA steps, send a delivery, list and retry rows.

SLA steps change leads, so they run under the routing lock, many in one transaction, each
marked done in the transaction that did it: a step is acted on once even if its row is
claimed twice (a worker died after acting and before its lease ran out, say), because the
second run finds the row done, or the lead's clock moved on. A delivery is an effect outside
the database: it is sent, then recorded. A worker that dies between the two sends it again
after its lease, with the same delivery id (what receivers dedupe by).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from leadflow.core.policy import Channel
from leadflow.notify import Delivery, DeliveryError, Notifier
from leadflow.service import sla
from leadflow.service.context import CommitLine, Services
from leadflow.service.errors import Conflict, Invalid, NotFound
from leadflow.service.routing import begin_routing, commit_routing
from leadflow.store import jobs
from leadflow.store.jobs import DEAD, DONE, PENDING, SKIPPED, Claimed
from leadflow.store.tables import JobRow, LeadEventRow, LeadRow

log = logging.getLogger("leadflow.worker")


def run_sla_steps(svc: Services, due: list[Claimed]) -> int:
    """Run claimed SLA steps, together when they can be; how many did something.

    If the shared transaction fails, each step is run alone, so that one bad lead costs
    the others nothing but time; a step that fails alone is retried later, then dead.
    """
    if not due:
        return 0
    try:
        return _steps_in_one_transaction(svc, due)
    except Exception:
        if len(due) == 1:
            _failed(svc, due[0])
            return 0
        log.info("sla.batch_retried size=%d", len(due))
    acted = 0
    for job in due:
        try:
            acted += _steps_in_one_transaction(svc, [job])
        except Exception:
            _failed(svc, job)
    return acted


def _steps_in_one_transaction(svc: Services, due: list[Claimed]) -> int:
    acted = 0
    with svc.store.writing() as session:
        txn = begin_routing(svc, session, expected=len(due))
        ids = [job.id for job in due]
        still = set(
            session.scalars(select(JobRow.id).where(JobRow.id.in_(ids), JobRow.state == PENDING))
        )
        lead_ids = {job.lead_id for job in due if job.lead_id}
        leads = {
            row.id: row for row in session.scalars(select(LeadRow).where(LeadRow.id.in_(lead_ids)))
        }
        finished = []
        for job in due:
            if job.id not in still:  # done by another worker meanwhile: nothing to do twice
                continue
            outcome = sla.run_step(txn, leads.get(job.lead_id or ""), job)
            done = not outcome.startswith("skipped")
            # the time it was done, not the transaction's start: lateness is measured by it
            finished.append((job.id, DONE if done else SKIPPED, svc.clock(), outcome))
            acted += done
            log.info("sla.step job=%d lead_id=%s outcome=%r", job.id, job.lead_id, outcome)
        jobs.finish_many(session, finished)
    commit_routing(svc, txn)
    return acted


def _failed(svc: Services, job: Claimed) -> None:
    log.exception("sla.step_failed job=%d lead_id=%s", job.id, job.lead_id)
    with svc.store.writing() as session:
        state = jobs.fail(
            session,
            job,
            svc.clock(),
            "the step failed; see the worker's log",
            retryable=True,
            most_attempts=svc.settings.delivery_attempts,
            first_backoff=svc.settings.delivery_backoff_seconds,
        )
        if state == DEAD and job.lead_id is not None:
            _alert(session, job.lead_id, svc.clock(), job.id)
    if state == DEAD:
        log.error("sla.step_dead job=%d lead_id=%s", job.id, job.lead_id)


def deliver(
    svc: Services,
    notifier: Notifier,
    job: Claimed,
    channels: dict[str, Channel],
    sent_line: CommitLine | None = None,
) -> str:
    """Send one claimed delivery and record how it went: done, retried later, or dead.

    `channels` are the active policy's: a message goes where the policy says now (a URL fixed
    since is used on the retry), and its secrets are read at this moment, never stored.
    `sent_line` is shared by the senders of one worker: their records are committed together
    (see `_record_sent`).
    """
    assert job.delivery_id is not None
    name = job.data["channel"]["name"]
    channel = channels.get(name)
    if channel is None:
        error = DeliveryError(f"channel {name!r} is not in the active policy", retryable=False)
        return _failed_send(svc, job, job.data["event"], error)
    if job.lease_until is not None:
        # Too little of the lease left for a slow send: give it back rather than risk another
        # worker taking it mid-send (a short lease allows at least half of itself).
        settings = svc.settings
        margin = min(settings.http_timeout, settings.worker_lease_seconds / 2)
        if (job.lease_until - svc.clock()).total_seconds() < margin:
            with svc.store.writing() as session:
                jobs.release(session, job)
            return PENDING
    data = dict(job.data)
    data["channel"] = {
        "name": channel.name,
        "type": channel.type,
        "url": channel.url,
        "secret": channel.secret,
        "to": list(channel.to),
    }
    delivery = Delivery.from_data(job.delivery_id, data)
    try:
        notifier.send(delivery)
    except DeliveryError as error:
        return _failed_send(svc, job, delivery.event, error)
    sent = _Sent(job, svc.clock())
    line = sent_line if sent_line is not None else CommitLine()
    line.run(sent, lambda batch: _record_sent(svc, batch))
    if sent.error is not None:  # the record failed: the lease runs out and it is sent again
        raise sent.error
    return DONE


def _failed_send(svc: Services, job: Claimed, event: str, error: DeliveryError) -> str:
    with svc.store.writing() as session:
        state = jobs.fail(
            session,
            job,
            svc.clock(),
            error.reason,
            retryable=error.retryable,
            most_attempts=svc.settings.delivery_attempts,
            first_backoff=svc.settings.delivery_backoff_seconds,
            retry_after=error.retry_after,
        )
        if state == DEAD:
            _timeline(session, job, svc.clock(), "notification.dead", error=error.reason)
    log.warning(
        "delivery.failed id=%s channel=%s event=%s attempt=%d state=%s reason=%r",
        job.delivery_id,
        job.data["channel"]["name"],
        event,
        job.attempts,
        state,
        error.reason,
    )
    return state


@dataclass
class _Sent:
    job: Claimed
    at: datetime
    error: Exception | None = None
    done: bool = False


def _record_sent(svc: Services, batch: list[_Sent]) -> None:
    """Record sent messages, together: the senders that finish while one records wait and
    are recorded by the next (group commit), so a message is recorded milliseconds after
    its receiver took it, at one commit for many."""
    with svc.store.writing() as session:
        jobs.finish_sent(session, [(s.job, s.at) for s in batch])
        for s in batch:
            _timeline(session, s.job, s.at, "notification.sent", attempt=s.job.attempts)
    for s in batch:
        s.done = True


def active_channels(svc: Services) -> dict[str, Channel]:
    """The active policy's channels (none before a policy is published)."""
    with svc.store.reading() as session:
        policy = svc.policies.active(session)
    return dict(policy.channels) if policy is not None else {}


def bury(svc: Services, session: Session, kinds: tuple[str, ...]) -> int:
    """Make dead the rows of these kinds that every claim failed to finish; how many.

    A dead SLA step leaves its lead's clock with nobody to act on it: that is an alert in
    the lead's timeline, not only a line in a log.
    """
    now = svc.clock()
    killed = jobs.exhausted(session, now, svc.settings.delivery_attempts, kinds)
    for job_id, kind, lead_id in killed:
        log.error("job.dead job=%d kind=%s lead_id=%s", job_id, kind, lead_id)
        if kind == jobs.SLA and lead_id is not None:
            _alert(session, lead_id, now, job_id)
    return len(killed)


def _alert(session: Session, lead_id: str, now: datetime, job_id: int) -> None:
    reason = f"the SLA step (job {job_id}) failed every try: its clock needs a person"
    values = {
        "lead_id": lead_id,
        "at": now,
        "type": "alert",
        "actor": "worker",
        "data": {"reason": reason, "job": job_id},
    }
    session.execute(insert(LeadEventRow), [values])


def _timeline(session: Session, job: Claimed, now: datetime, type_: str, **data: Any) -> None:
    if job.lead_id is None:
        return
    data |= {
        "notification": job.data.get("event"),
        "channel": job.data["channel"]["name"],
        "delivery_id": job.delivery_id,
    }
    values = {"lead_id": job.lead_id, "at": now, "type": type_, "actor": "worker", "data": data}
    session.execute(insert(LeadEventRow), [values])


def list_jobs(
    svc: Services,
    state: str | None = None,
    kind: str | None = None,
    lead_id: str | None = None,
    limit: int = 100,
) -> list[JobRow]:
    """The worker's rows, newest first; `state=dead` is what needs a person."""
    if state is not None and state not in jobs.STATES:
        raise Invalid(f"unknown state {state!r}: one of {', '.join(jobs.STATES)}", field="state")
    if kind is not None and kind not in jobs.KINDS:
        raise Invalid(f"unknown kind {kind!r}: one of {', '.join(jobs.KINDS)}", field="kind")
    query = select(JobRow).order_by(JobRow.id.desc()).limit(limit)
    if state is not None:
        query = query.where(JobRow.state == state)
    if kind is not None:
        query = query.where(JobRow.kind == kind)
    if lead_id is not None:
        query = query.where(JobRow.lead_id == lead_id)
    with svc.store.reading() as session:
        return list(session.scalars(query))


def retry_job(svc: Services, job_id: int) -> JobRow:
    """A dead row runs again now, with its tries counted afresh."""
    with svc.store.writing() as session:
        row = session.get(JobRow, job_id)
        if row is None:
            raise NotFound(f"no job {job_id}")
        if row.state != DEAD:
            raise Conflict(f"job {job_id} is {row.state}: only a dead job can be retried")
        retried = jobs.retry(session, job_id, svc.clock())
        assert retried is not None
        session.flush()
        return retried
