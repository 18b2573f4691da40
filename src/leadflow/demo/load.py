"""Load the demo into a live database: the demo policy and a week of leads, routed as they came.

Each lead is taken in through `service.routing.intake` with the service's clock set to the
lead's own `received_at`, so that working hours, caps per day and rotations play out as they
would have live; before each lead, held leads that someone can take by then are placed, as
time has passed. The demo loads into an empty database only: a database with leads is left as
it is, so that running it again (as `make run` does) is harmless.
"""

from __future__ import annotations

import csv
import secrets
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from importlib import resources
from typing import Any

from sqlalchemy import select

from leadflow.api.schemas import LeadCreate
from leadflow.core.calendar import parse_local
from leadflow.policy import load_policy
from leadflow.service.context import Services
from leadflow.service.holds import place_held
from leadflow.service.policies import publish_policy
from leadflow.service.routing import Actor, NewLead, intake
from leadflow.store.tables import LeadRow, PolicyVersionRow

DEMO = Actor("demo", "admin")


@dataclass(frozen=True)
class DemoLoaded:
    """What the demo loaded: a policy version (None: one was there) and leads by status."""

    policy_version: int | None
    leads: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    skipped: bool = False  # the database had leads already: nothing was loaded


def demo_text(name: str) -> str:
    """A file shipped in `leadflow/demo`."""
    return (resources.files("leadflow") / "demo" / name).read_text(encoding="utf-8")


def load_demo(svc: Services) -> DemoLoaded:
    """Publish the demo policy (if there is none) and route the demo leads, into an empty database.

    Why each lead at its own time: the demo then shows what a week of live routing looks like,
    held leads placed when reps start work in the morning included.
    """
    with svc.store.reading() as session:
        if session.scalars(select(LeadRow.seq).limit(1)).first() is not None:
            return DemoLoaded(None, skipped=True)
        has_policy = session.scalars(select(PolicyVersionRow.version).limit(1)).first()
    text = demo_text("policy.yaml")
    version = None
    if has_policy is None:
        version = publish_policy(svc, text, DEMO, "policy.yaml").version.version
    timezone = load_policy(text).timezone  # the CSV's times are wall times of the policy's zone
    statuses: Counter[str] = Counter()
    leads = sorted(_demo_leads(timezone), key=lambda lead: lead[0])
    for at, lead_id, payload in leads:
        at_svc = _at(svc, at)
        place_held(at_svc, None, DEMO)
        lead = LeadCreate.model_validate(payload)
        new = NewLead(
            fields=lead.routing_fields(),
            payload=payload,
            source=lead.source,
            external_id=lead_id,
            received_at=at,
        )
        intake(at_svc, new, DEMO)
    with svc.store.reading() as session:
        statuses.update(session.scalars(select(LeadRow.status)))
    return DemoLoaded(version, len(leads), statuses)


def _at(svc: Services, at: datetime) -> Services:
    """The same services with a clock that says `at`."""
    return replace(svc, clock=lambda: at)


def _demo_leads(timezone: str) -> list[tuple[datetime, str, dict[str, Any]]]:
    """(received_at, id, payload) of each demo lead; dotted columns (`account.owner`) nest."""
    rows = csv.DictReader(demo_text("leads.csv").splitlines())
    out = []
    for row in rows:
        payload: dict[str, Any] = {}
        for name, value in row.items():
            if not value or name in ("id", "received_at"):
                continue
            *parents, leaf = name.split(".")
            node = payload
            for key in parents:
                node = node.setdefault(key, {})
            node[leaf] = value
        out.append((parse_local(row["received_at"], timezone), row["id"], payload))
    return out


DEMO_LOGINS = (  # email, role, rep, name: an admin, the demo team's manager, and one rep
    ("admin@example.com", "admin", None, "Demo Admin"),
    ("maria@example.com", "manager", None, "Maria Moreno"),
    ("alice@example.com", "rep", "alice", "Alice Adams"),
)


def demo_logins(svc: Services) -> list[tuple[str, str, str]]:
    """Console logins for the demo, each with a new password (as the demo makes a new key
    each run): (email, role, password)."""
    from leadflow.service import users
    from leadflow.service.errors import NotFound

    made = []
    for email, role, rep, name in DEMO_LOGINS:
        password = secrets.token_urlsafe(12)
        try:
            users.get_user(svc, email)
        except NotFound:
            users.add_user(svc, email, password, role, rep, name, by="demo")
        else:
            users.set_password(svc, email, password, by="demo")
        made.append((email, role, password))
    return made
