"""What every use case needs, built once per process: the store, the caches, the clock."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from leadflow.core.policy import Policy
from leadflow.policy import load_policy
from leadflow.settings import Settings
from leadflow.store.engine import Store
from leadflow.store.routing import RoutingCache
from leadflow.store.tables import PolicyVersionRow


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
class Services:
    """The process's shared parts, passed to every use case."""

    settings: Settings
    store: Store
    routing: RoutingCache = field(default_factory=RoutingCache)
    policies: PolicyCache = field(default_factory=PolicyCache)
    clock: Callable[[], datetime] = utc_now  # tests pass a fixed clock

    @classmethod
    def build(cls, settings: Settings, clock: Callable[[], datetime] = utc_now) -> Services:
        return cls(settings=settings, store=Store(settings), clock=clock)
