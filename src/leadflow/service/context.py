"""What every use case needs, built once per process: the store, the caches, the clock."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.core.policy import Policy
from leadflow.policy import load_policy
from leadflow.service.quality import AccountCache
from leadflow.service.report_process import ReportProcesses
from leadflow.settings import Settings
from leadflow.store.engine import Store
from leadflow.store.routing import RoutingCache
from leadflow.store.tables import PolicyVersionRow

if TYPE_CHECKING:
    from leadflow.service.routing import Actor  # routing imports this module

KEY_TTL = 30.0  # seconds a verified API key is trusted without a lookup


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class PolicyCache:
    """Compiled policies by published version: a version's text never changes, so compile once."""

    _compiled: dict[int, Policy] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _active_at: tuple[int, Policy | None] | None = None  # (routing clock version, policy)

    def active(self, session: Session, clock_version: int | None = None) -> Policy | None:
        """The active policy, or None before the first is published.

        Under the routing lock, pass the clock's version: activating a version moves the
        clock, so at an unchanged version the active policy is the one found last time.
        """
        known = self._active_at
        if clock_version is not None and known is not None and known[0] == clock_version:
            return known[1]
        query = select(PolicyVersionRow.version).where(PolicyVersionRow.active.is_(True))
        version = session.execute(query).scalar_one_or_none()
        policy = None if version is None else self.version(session, version)
        if clock_version is not None:
            self._active_at = (clock_version, policy)
        return policy

    def forget(self) -> None:
        """Trust no clock version seen so far (a dry run's, rolled back, may come again)."""
        self._active_at = None

    def routed(self, before: int, after: int) -> None:
        """A routing transaction moved the clock from `before` to `after` and committed.

        Routing never switches the policy, so what was active at `before` is active at `after`.
        """
        known = self._active_at
        if known is not None and known[0] == before:
            self._active_at = (after, known[1])

    def version(self, session: Session, version: int) -> Policy:
        with self._lock:
            policy = self._compiled.get(version)
        if policy is None:
            row = session.get(PolicyVersionRow, version)
            assert row is not None, f"policy version {version} vanished"
            # It was validated when published; a published version always compiles.
            policy = replace(load_policy(row.text, f"policy v{version}"), published_version=version)
            with self._lock:
                self._compiled[version] = policy
        return policy


@dataclass
class KeyCache:
    """API keys verified lately, so that a request with a known key costs no lookup.

    A key is found by its SHA-256 and trusted for `ttl` seconds after it was verified. Each
    `Services` (so each app, each process) has its own: revoking a key through this process
    forgets it here at once, while another process trusts it for up to `ttl` more seconds.
    A lookup that began before a `forget` is not remembered, so a key revoked while it was
    being verified is not trusted again.
    """

    ttl: float = KEY_TTL
    size: int = 10_000  # more keys than this within `ttl`: start afresh rather than grow
    monotonic: Callable[[], float] = time.monotonic
    generation: int = 0  # moves on every `forget`
    _known: dict[str, tuple[float, str, Actor]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self, token: str) -> Actor | None:
        """The actor of a key verified less than `ttl` ago, else None (look it up)."""
        with self._lock:
            known = self._known.get(_digest(token))
        if known is None or self.monotonic() - known[0] >= self.ttl:
            return None
        return known[2]

    def remember(self, token: str, actor: Actor, generation: int) -> None:
        """Trust a key just verified; `generation` is what it was before the lookup began."""
        with self._lock:
            if generation != self.generation:
                return  # a key was forgotten meanwhile: perhaps this one
            if len(self._known) >= self.size:
                self._known.clear()
            self._known[_digest(token)] = (self.monotonic(), _prefix(token), actor)

    def forget(self, prefix: str | None = None) -> None:
        """Forget the key with this prefix (a revoked key), or every key."""
        with self._lock:
            self.generation += 1
            if prefix is None:
                self._known.clear()
                return
            for digest in [d for d, known in self._known.items() if known[1] == prefix]:
                del self._known[digest]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _prefix(token: str) -> str:
    """A key reads `lf_<prefix>_<secret>` (`leadflow.service.keys`); the prefix names its row."""
    return token.split("_", 2)[1] if token.count("_") >= 2 else ""


class CommitLine:
    """Work waiting for the writer; whoever finds it free takes it all, in one transaction
    (group commit: new leads in `intake`, the worker's records of messages sent).

    A waiting request sleeps on a condition that is notified as each batch commits, so it
    answers as soon as its own lead is committed, not after the next batch too.
    """

    def __init__(self, most: int = 256) -> None:
        self._changed = threading.Condition()
        self._waiting: list[Any] = []
        self._busy = False
        self._most = most

    def run(self, mine: Any, take: Callable[[list[Any]], None]) -> None:
        """Wait until `mine.done`, taking batches (`take`) whenever the writer is free.

        `take` must set `done` on every item it is given; whatever it leaves undone (it
        raised) is marked done with that error, so no request waits forever.
        """
        with self._changed:
            self._waiting.append(mine)
            while not mine.done:
                if self._busy:
                    self._changed.wait()
                    continue
                self._busy = True
                batch, self._waiting = self._waiting[: self._most], self._waiting[self._most :]
                self._changed.release()
                try:
                    take(batch)
                except BaseException as error:
                    for item in batch:
                        if not item.done:
                            item.error, item.done = error, True
                    raise
                finally:
                    self._changed.acquire()
                    self._busy = False
                    self._changed.notify_all()


@dataclass
class Services:
    """The process's shared parts, passed to every use case."""

    settings: Settings
    store: Store
    routing: RoutingCache = field(default_factory=RoutingCache)
    policies: PolicyCache = field(default_factory=PolicyCache)
    keys: KeyCache = field(default_factory=KeyCache)
    clock: Callable[[], datetime] = utc_now  # tests pass a fixed clock
    intake_line: CommitLine = field(default_factory=CommitLine)
    link_key: bytes | None = None  # signs action links (`service.links`), read once
    env: dict[str, str] = field(default_factory=dict)  # for ${VAR} in the policy's channels
    accounts: AccountCache = field(default_factory=AccountCache)  # for account matching
    reports: ReportProcesses | None = None  # reports in child processes (`leadflow serve`)

    @classmethod
    def build(
        cls,
        settings: Settings,
        clock: Callable[[], datetime] = utc_now,
        env: dict[str, str] | None = None,
    ) -> Services:
        return cls(
            settings=settings,
            store=Store(settings),
            clock=clock,
            env=dict(env or {}),
            reports=ReportProcesses(settings) if settings.report_processes else None,
        )
