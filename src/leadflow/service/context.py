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

    def active(self, session: Session) -> Policy | None:
        """The active policy, or None before the first is published."""
        query = select(PolicyVersionRow.version).where(PolicyVersionRow.active.is_(True))
        version = session.execute(query).scalar_one_or_none()
        return None if version is None else self.version(session, version)

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
