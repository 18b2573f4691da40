"""The worker: claims due rows and runs them, until told to stop.

Two loops, each on a thread of its own, so that a slow chat service never makes a deadline
late: one runs SLA steps (reminders, deadlines) and the managers' weekly digests (counted and
queued, `service.digest`), the other sends deliveries, several at a time. A worker may run
only one of them (`leadflow worker --only sla|messages`): under heavy load the two compete for
one Python process's CPU, and processes of each kind scale apart.
Each loop claims up to `worker_batch` due rows; when it got a full batch it looks again at
once, else it waits `worker_poll_seconds`. Any number of workers may run against one
database (`leadflow worker`, and the one inside `leadflow serve`): claims never overlap.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from leadflow.notify import Notifier
from leadflow.service import digest
from leadflow.service.context import CommitLine, Services
from leadflow.service.jobs import active_channels, bury, deliver, run_sla_steps
from leadflow.store import jobs

log = logging.getLogger("leadflow.worker")

SCHEDULE_EVERY = timedelta(minutes=1)
DIGEST_IDLE = timedelta(seconds=15)


class Worker:
    """One worker: `run()` until `stop()`, or `run_once()` for a single round (tests, --once)."""

    def __init__(
        self,
        svc: Services,
        notifier: Notifier,
        name: str | None = None,
        senders: int = 8,
        loops: tuple[str, ...] = ("sla", "messages"),
    ) -> None:
        self.svc = svc
        self.notifier = notifier
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.loops = loops
        self.width = senders
        self.senders = ThreadPoolExecutor(senders, thread_name_prefix="leadflow-send")
        self.sent = CommitLine()  # the senders' records of what they sent, committed together
        self._stop = threading.Event()
        self._next_schedule: datetime | None = None  # when to make the digests' rows again
        self._idle_until: datetime | None = None  # no digest was due: when to look again
        self._threads: list[threading.Thread] = []

    def run_once(self) -> int:
        """One round of each loop; how many rows were claimed."""
        rounds = {"sla": self.sla_round, "messages": self.delivery_round}
        return sum(rounds[loop]() for loop in self.loops)

    def sla_round(self) -> int:
        due = self._claim(jobs.SLA)
        run_sla_steps(self.svc, due)
        return len(due) + self.digest_round()

    def digest_round(self) -> int:
        """Make the managers' next digest rows (at most once a minute), and run the due ones:
        on the SLA loop, since a digest is counted in the database, not sent."""
        now = self.svc.clock()
        if self._next_schedule is None or now >= self._next_schedule:
            if digest.schedule(self.svc):
                self._idle_until = None  # a row was made: it may be due already
            self._next_schedule = now + SCHEDULE_EVERY
        if self._idle_until is not None and now < self._idle_until:
            return 0
        due = self._claim(jobs.DIGEST, most=1) if digest.prepare(self.svc) else []
        # one at a time (each is a report); none due: look again a little later, not at
        # every poll (a digest is weekly)
        self._idle_until = None if due else now + DIGEST_IDLE
        digest.run_digests(self.svc, due)
        return len(due)

    def delivery_round(self) -> int:
        # A few rounds of sends per claim at most, so that the last row of a claim is tried
        # well within its lease even when every send waits for its timeout; a row whose
        # lease is too short by then is given back unsent (`deliver`).
        due = self._claim(jobs.DELIVER, most=min(self.svc.settings.worker_batch, 4 * self.width))
        if due:
            channels = active_channels(self.svc)
            list(
                self.senders.map(
                    lambda job: deliver(self.svc, self.notifier, job, channels, self.sent), due
                )
            )
        return len(due)

    def _claim(self, kind: str, most: int | None = None) -> list[jobs.Claimed]:
        settings = self.svc.settings
        with self.svc.store.writing() as session:
            bury(self.svc, session, (kind,))
            return jobs.claim(
                session,
                self.name,
                self.svc.clock(),
                settings.worker_lease_seconds,
                most or settings.worker_batch,
                kinds=(kind,),
                most_attempts=settings.delivery_attempts,
            )

    def start(self) -> None:
        """Run both loops on background threads (`leadflow serve`'s in-process worker)."""
        rounds = {"sla": self.sla_round, "messages": self.delivery_round}
        for name in self.loops:
            round_ = rounds[name]
            thread = threading.Thread(
                target=self._loop, args=(round_,), name=f"leadflow-worker-{name}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        log.info("worker.started name=%s", self.name)

    def run(self) -> None:
        """Run both loops until `stop()` (`leadflow worker`)."""
        self.start()
        for thread in self._threads:
            thread.join()

    def request_stop(self) -> None:
        """Let the rounds under way finish, and start no other (a signal handler calls this)."""
        self._stop.set()

    def stop(self) -> None:
        """Stop and wait for the rounds under way: what was claimed is finished or released."""
        self._stop.set()
        for thread in self._threads:
            thread.join()
        self.senders.shutdown(wait=True)
        self.notifier.close()
        log.info("worker.stopped name=%s", self.name)

    def _loop(self, round_: Callable[[], int]) -> None:
        batch = self.svc.settings.worker_batch
        poll = self.svc.settings.worker_poll_seconds
        while not self._stop.is_set():
            try:
                claimed = round_()
            except Exception:  # the database went away, say: the next round tries again
                log.exception("worker.round_failed name=%s", self.name)
                claimed = 0
            if claimed < batch:
                self._stop.wait(poll)
