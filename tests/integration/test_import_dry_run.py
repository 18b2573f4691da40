"""An import's dry run says what the real run will do, and stores nothing, on both databases.

The file holds every kind of row the steps before routing tell apart: a duplicate of a lead
already open, two rows of one person (the second merges into the first), a row of a known
account, junk (a honeypot, no usable email or phone), a nurture rule and plain rows for the
rotation. The dry run must count them as the real run does, in batches smaller than the file
(so that a later batch sees what an earlier one would have done), and leave every table as it
was: no lead, no decision, no timeline, no notification, no rotation moved.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from leadflow.imports.accounts import AccountIn
from leadflow.imports.csvfile import CsvFile
from leadflow.service.accounts import save_accounts
from leadflow.service.context import Services
from leadflow.service.errors import Conflict, Forbidden
from leadflow.service.imports import ImportReport, import_leads
from leadflow.service.routing import Actor, NewLead, intake
from leadflow.store.tables import Base, LeadRow

Publish = Callable[[Services, str], int]
CLI = Actor("cli", "admin")
POLICY = """
version: 1
timezone: UTC
reps:
  - {id: ann, name: Ann, email: ann@example.com}
  - {id: ben, name: Ben, email: ben@example.com}
  - {id: cy, name: Cy, email: cy@example.com}
pools:
  team: {strategy: round_robin, members: [ann, ben, cy]}
channels:
  ops: {type: webhook, url: "https://hooks.example.com/ops"}
notify:
  - {events: [lead.assigned, lead.merged, lead.junk], via: ops}
junk: {honeypots: [fax_2]}
dedupe: {window: 30d}
rules:
  - {name: account, when: {account.owner: {exists: true}}, assign: account_owner}
  - {name: students, when: {title: student}, nurture: later}
  - {name: everyone, when: {email: {exists: true}}, route: team}
fallback: team
"""
FILE = """\
email,first_name,company,title,fax_2
old@known.example,Olga,Known,,
new1@firm.example,Nia,Firm,,
twice@firm.example,Tom,Firm,,
jane@acme.com,Jane,Acme,,
bot@spam.example,Bot,Spam,,555-0100
not-an-email,Nobody,Nowhere,,
sam@uni.example,Sam,Uni,student,
twice@firm.example,Thomas,Firm,,
new2@firm.example,Noor,Firm,,
new3@firm.example,Nils,Firm,,
"""


def everything(svc: Services) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order: the database as a value."""
    with svc.store.reading() as session:
        connection = session.connection()
        return {
            table.name: sorted(
                (tuple(map(repr, row)) for row in connection.execute(select(table))),
            )
            for table in Base.metadata.sorted_tables
        }


def imported(svc: Services, path: Path, dry_run: bool) -> ImportReport:
    with CsvFile(path) as file:
        return import_leads(svc, file, CLI, dry_run=dry_run, batch=3)


def prepared(svc: Services, publish: Publish, tmp_path: Path) -> Path:
    """The policy, an account, a lead already open, and the file to import."""
    publish(svc, POLICY)
    save_accounts(svc, [AccountIn("Acme", id="acme", domains=("acme.com",), owner="ben")], CLI)
    fields = {"email": "old@known.example"}
    intake(svc, NewLead(fields=fields, payload=dict(fields)), CLI)
    path = tmp_path / "leads.csv"
    path.write_text(FILE)
    return path


def counts(report: ImportReport) -> dict[str, Any]:
    return {k: v for k, v in report.as_dict().items() if k != "dry_run"}


def test_a_dry_run_counts_what_the_real_run_then_does(
    services: Services, publish_policy: Publish, tmp_path: Path
) -> None:
    path = prepared(services, publish_policy, tmp_path)
    dry = imported(services, path, dry_run=True)
    real = imported(services, path, dry_run=False)
    assert counts(dry) == counts(real)
    assert dict(real.outcomes) == {"assigned": 5, "merged": 2, "junk": 2, "nurture": 1}


def test_a_dry_run_leaves_every_table_as_it_was(
    services: Services, publish_policy: Publish, tmp_path: Path
) -> None:
    path = prepared(services, publish_policy, tmp_path)
    before = everything(services)
    imported(services, path, dry_run=True)
    assert everything(services) == before


def test_after_a_dry_run_the_rotation_goes_on_where_it_stood(
    services: Services, publish_policy: Publish, tmp_path: Path
) -> None:
    path = prepared(services, publish_policy, tmp_path)  # the open lead went to ann
    imported(services, path, dry_run=True)
    fields = {"email": "next@firm.example"}
    assert intake(services, NewLead(fields=fields, payload=dict(fields)), CLI).owner == "ben"


def test_live_intake_goes_on_while_a_dry_run_is_halfway(
    services: Services, publish_policy: Publish, tmp_path: Path
) -> None:
    """On SQLite the dry run runs on a copy of the database: halfway through its one long
    transaction, another process's lead is taken at once. (Were it the live file, that lead
    would wait for the writer until its busy timeout and fail.) On PostgreSQL it shares the
    database and holds the routing lock, as the docs say: not tried here."""
    if not services.store.is_sqlite:
        return
    path = prepared(services, publish_policy, tmp_path)  # the open lead went to ann
    other = Services.build(services.settings)  # another process: its own engine and caches
    rows_read: list[int] = []
    live: list[str | None] = []

    def on_progress() -> None:  # as each row is read: two batches of 3 are in by the 7th
        rows_read.append(1)
        if len(rows_read) == 7:
            fields = {"email": "live@firm.example"}
            live.append(intake(other, NewLead(fields=fields, payload=dict(fields)), CLI).owner)

    with CsvFile(path) as file:
        dry = import_leads(services, file, CLI, dry_run=True, batch=3, on_progress=on_progress)
    other.store.close()
    assert live == ["ben"]  # next in the live rotation after ann, untouched by the dry run
    assert dry.added == 10
    with services.store.reading() as session:
        stored = session.execute(select(LeadRow.fields["email"].as_string())).scalars().all()
    assert sorted(stored) == ["live@firm.example", "old@known.example"]


def test_a_second_dry_run_while_one_runs_is_refused_and_an_intake_key_may_not_dry_run(
    services: Services, publish_policy: Publish, tmp_path: Path
) -> None:
    if not services.store.is_sqlite:
        return
    path = prepared(services, publish_policy, tmp_path)
    refused: list[str] = []

    def meanwhile() -> None:
        if not refused:
            with CsvFile(path) as again:
                try:
                    import_leads(services, again, CLI, dry_run=True)
                except Conflict as exc:
                    refused.append(exc.message)

    with CsvFile(path) as file:
        import_leads(services, file, CLI, dry_run=True, on_progress=meanwhile)
    assert refused == ["another dry run is running: try again when it has finished"]
    with CsvFile(path) as file, pytest.raises(Forbidden):
        import_leads(services, file, Actor("form", "intake"), dry_run=True)
    folder = Path(str(make_url(services.settings.database_url).database)).parent
    assert list(folder.glob(".leadflow-dry-run-*")) == []  # the copies are gone
