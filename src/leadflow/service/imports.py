"""Import leads and accounts from CSV: streamed, row by row, and never losing a good row.

A file is read as it streams (`leadflow.imports.csvfile`): memory stays flat however large it
is. Every row is mapped (the policy's intake mapping for the import's source), then taken in
batches, each in one routing transaction exactly as intake takes leads (a batch that fails is
taken again lead by lead, so one bad lead costs the others nothing). A row that cannot become
a lead gets its line and reason in the error report; the rows around it are kept.

Importing the same file twice adds nothing the second time: each row carries an idempotency
key made from its values (and its `external_id`, when the mapping gives one), so a second
import finds every lead already there and counts it as `already`.

A dry run is the same import in one transaction rolled back at its end (`routing.trial`):
the same steps, batches and counts as the real run, and nothing stored; on SQLite on a copy of
the database, so that its long transaction keeps no live writer waiting.
"""

from __future__ import annotations

import difflib
import hashlib
import shutil
import sqlite3
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from leadflow.imports.accounts import AccountIn, BadAccount, checked, from_row
from leadflow.imports.csvfile import CsvFile, Row, RowError
from leadflow.quality.mapping import LEAD_FIELDS, apply_mapping
from leadflow.quality.placeholders import is_placeholder
from leadflow.service import routing
from leadflow.service.accounts import save_accounts
from leadflow.service.context import Services
from leadflow.service.errors import Conflict, Forbidden, Invalid, NotFound
from leadflow.service.routing import Actor, NewLead, Routed

BATCH = 500
SHOWN_ERRORS = 100  # errors listed in an answer; the report file has them all


ErrorSink = Callable[[int, str], None]  # (line, reason): a row refused, or kept with a note


@dataclass
class Refusals:
    """The rows an import read and those it refused: all counted, the first SHOWN_ERRORS kept."""

    rows: int = 0
    failed: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    def refuser(self, on_error: ErrorSink | None) -> ErrorSink:
        """A row refused: counted, kept while few, and passed on (to the error report)."""

        def refuse(line: int, reason: str) -> None:
            self.failed += 1
            if len(self.errors) < SHOWN_ERRORS:
                self.errors.append((line, reason))
            if on_error is not None:
                on_error(line, reason)

        return refuse


@dataclass
class ImportReport(Refusals):
    """What an import did: rows read, leads added and what became of them, rows refused."""

    added: int = 0
    already: int = 0  # imported before (same external_id or same values)
    outcomes: Counter[str] = field(default_factory=Counter)  # status of each added lead
    notes: int = 0  # lines noted for rows kept: a value dropped (a transform failed), junk
    noted: Counter[str] = field(default_factory=Counter)  # quality notes on added leads, by kind
    dry_run: bool = False  # the counts are what the real run would do; nothing was stored
    warnings: list[str] = field(default_factory=list)  # e.g. a source that looks misspelt

    def noter(self, on_error: ErrorSink | None) -> ErrorSink:
        """A row kept, with something to say about it: counted and passed on (to the report)."""

        def note(line: int, text: str) -> None:
            self.notes += 1
            if on_error is not None:
                on_error(line, text)

        return note

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "added": self.added,
            "already": self.already,
            "outcomes": dict(sorted(self.outcomes.items())),
            "failed": self.failed,
            "notes": self.notes,
            "errors": [{"line": line, "reason": reason} for line, reason in self.errors],
            "dry_run": self.dry_run,
            "warnings": self.warnings,
        }


def import_leads(
    svc: Services,
    file: CsvFile,
    actor: Actor,
    *,
    source: str = "import",
    route: bool = True,
    dry_run: bool = False,
    on_error: ErrorSink | None = None,
    on_progress: Callable[[], None] | None = None,
    batch: int = BATCH,
) -> ImportReport:
    """Import every good row of `file` as a lead from `source`; see the module docstring."""
    if actor.role not in ("intake", "manager", "admin"):
        raise Invalid("only an intake, manager or admin key may import leads")
    if dry_run and actor.role == "intake":
        raise Forbidden("a dry run is for a manager or an admin: an intake key may only import")
    with _copied(svc) if dry_run else nullcontext(svc) as where:
        return _import(where, file, actor, source, route, dry_run, on_error, on_progress, batch)


@contextmanager
def _copied(svc: Services) -> Iterator[Services]:
    """Where a dry run runs: on SQLite, a copy of the database (SQLite's online backup, a
    consistent snapshot taken without stopping writers), so that the dry run's one long
    transaction holds no lock live intake waits for; elsewhere the database itself (on
    PostgreSQL the routing lock is held meanwhile)."""
    url = make_url(svc.settings.database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        yield svc
        return
    database = Path(str(url.database))
    if not database.is_file():  # a URI form (file:...?mode=...): the database itself
        yield svc
        return
    if not _ONE_COPY.acquire(blocking=False):
        raise Conflict("another dry run is running: try again when it has finished")
    try:
        # Next to the database, where its size was planned for (a /tmp may be memory).
        needed = sum(p.stat().st_size for p in _files_of(database)) * 11 // 10
        free = shutil.disk_usage(database.parent).free
        if free < needed:
            raise Conflict(
                f"a dry run copies the database ({needed // 2**20} MiB) next to it, and "
                f"{free // 2**20} MiB are free there: free some space, or import for real"
            )
        with tempfile.TemporaryDirectory(
            prefix=".leadflow-dry-run-", dir=database.parent
        ) as folder:
            copy = Path(folder) / "copy.sqlite"
            live, apart = sqlite3.connect(database), sqlite3.connect(copy)
            try:
                live.backup(apart)
            finally:
                live.close()
                apart.close()
            settings = svc.settings.model_copy(
                update={"database_url": f"sqlite:///{copy}", "report_processes": 0}
            )
            copied = Services.build(settings, clock=svc.clock, env=svc.env)
            try:
                yield copied
            finally:
                copied.store.close()
    finally:
        _ONE_COPY.release()


_ONE_COPY = threading.Lock()  # one dry run's copy at a time in a process


def _files_of(database: Path) -> list[Path]:
    """The database's file and its write-ahead log, those that are there."""
    return [p for p in (database, Path(f"{database}-wal")) if p.exists()]


def _import(
    svc: Services,
    file: CsvFile,
    actor: Actor,
    source: str,
    route: bool,
    dry_run: bool,
    on_error: ErrorSink | None,
    on_progress: Callable[[], None] | None,
    batch: int,
) -> ImportReport:
    report = ImportReport(dry_run=dry_run)
    with svc.store.reading() as session:
        policy = svc.policies.active(session)
    mapping = policy.mapping_for(source) if policy is not None else None
    if policy is not None and not policy.takes_source(source):
        close = difflib.get_close_matches(source, policy.known_sources(), n=1)
        if close:  # an import's source is a label of its own; one a letter off is a typo
            report.warnings.append(
                f"source {source!r} has no intake mapping: did you mean {close[0]!r}? "
                "The columns are read by their own names"
            )

    refuse, note = report.refuser(on_error), report.noter(on_error)
    waiting: list[tuple[int, NewLead]] = []
    # A dry run takes the rows exactly as the real run does, in one transaction rolled back
    # at the end: duplicates, accounts, rotations and caps count as they would, and nothing
    # stays (no lead, no notification, no rotation moved).
    with routing.trial(svc) if dry_run else nullcontext() as trial:
        for item in _rows(file, on_progress):
            report.rows += 1
            if isinstance(item, RowError):
                refuse(item.line, item.reason)
                continue
            fields, unreadable = apply_mapping(item.values, mapping, LEAD_FIELDS)
            new, why = _new_lead(item, fields, source, route)
            if new is None:
                refuse(item.line, why)
                continue
            if unreadable:  # told once the row is added (not for one imported before)
                new = replace(new, notes=tuple(found.record() for found in unreadable))
            waiting.append((item.line, new))
            if len(waiting) >= batch:
                _take(svc, waiting, actor, report, refuse, note, trial)
                waiting = []
        if waiting:
            _take(svc, waiting, actor, report, refuse, note, trial)
    return report


def _rows(file: CsvFile, on_progress: Callable[[], None] | None) -> Iterator[Row | RowError]:
    for item in file.rows():
        yield item
        if on_progress is not None:
            on_progress()


def _new_lead(
    row: Row, fields: dict[str, Any], source: str, route: bool
) -> tuple[NewLead | None, str]:
    """The row as a lead, or None and why not (the row is refused with its line)."""
    digest = hashlib.sha256(orjson.dumps(row.values, option=orjson.OPT_SORT_KEYS)).hexdigest()
    try:
        new = lead_from(fields, dict(row.values), source, f"import:{source}:{digest[:48]}")
    except Invalid as exc:
        return None, exc.message
    return replace(new, route=route, strict=True), ""


def lead_from(
    fields: dict[str, Any], payload: dict[str, Any], source: str, idempotency_key: str | None
) -> NewLead:
    """A mapped lead's envelope taken out of its fields: `received_at` (ISO 8601 with a zone),
    `external_id` (prefixed by the source); Invalid names what is wrong."""
    if not fields.get("email") and not fields.get("phone"):
        raise Invalid("a lead needs an email or a phone", field="email")
    received = fields.pop("received_at", None)
    received_at = None
    if received is not None:
        try:
            received_at = datetime.fromisoformat(str(received))
        except ValueError:
            message = f"received_at: {received!r} is not a date and time (ISO 8601)"
            raise Invalid(message, field="received_at") from None
        if received_at.tzinfo is None:
            message = f"received_at: {received!r} has no time zone (add Z or +02:00)"
            raise Invalid(message, field="received_at")
    external = _external_id(fields.pop("external_id", None))
    fields.pop("source", None)
    if external is not None and len(f"{source}:{external}") > 200:
        raise Invalid("external_id is longer than 200 characters", field="external_id")
    return NewLead(
        fields=fields,
        payload=payload,
        source=source,
        external_id=f"{source}:{external}" if external is not None else None,
        idempotency_key=idempotency_key,
        received_at=received_at,
    )


def _external_id(value: Any) -> str | None:
    """The sender's id for a lead; an empty or placeholder one ('N/A', '-') is none: it would
    make every later lead without an id a retry of the first."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    return None if not text or is_placeholder(text) else text


def _take(
    svc: Services,
    waiting: list[tuple[int, NewLead]],
    actor: Actor,
    report: ImportReport,
    refuse: ErrorSink,
    note: ErrorSink,
    trial: Session | None = None,
) -> None:
    results = routing.intake_batch(svc, [new for _, new in waiting], actor, trial)
    for (line, new), result in zip(waiting, results, strict=True):
        if isinstance(result, Routed):
            if result.replayed:
                report.already += 1
            else:
                report.added += 1
                report.outcomes[result.status] += 1
                report.noted.update(str(found.get("kind")) for found in new.notes)
                for found in new.notes:
                    note(line, f"kept, without {found['to']}: {found['field']}: {found['reason']}")
                if result.status == "junk":  # kept, never routed: the file's reader is told
                    note(line, f"kept as junk: {result.reason}")
        else:
            refuse(line, str(getattr(result, "message", result)))


def mapped_lead(
    svc: Services, source: str, raw: dict[str, Any], idempotency_key: str | None
) -> NewLead:
    """A lead from a form tool's own field names, through the policy's mapping for `source`.

    Without a mapping, fields named as leadflow names them are taken and the rest kept under
    `custom`; nothing the sender sent is lost (the payload is kept as received too).
    """
    with svc.store.reading() as session:
        policy = svc.policies.active(session)
    if policy is not None and not policy.takes_source(source):
        known = policy.known_sources()
        raise NotFound(_unknown_source(source, known), field="source", sources=list(known))
    mapping = policy.mapping_for(source) if policy is not None else None
    fields, unreadable = apply_mapping(raw, mapping, LEAD_FIELDS)
    try:
        new = lead_from(fields, raw, source, idempotency_key)
    except Invalid as exc:
        if exc.detail.get("field") == "email" and mapping is not None:
            exc.message += " (after the mapping for this source)"
        exc.detail["problems"] = {found.to: str(found) for found in unreadable}
        raise
    return replace(new, notes=tuple(found.record() for found in unreadable))


def _unknown_source(source: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(source, known, n=1)
    said = f"no source {source!r} in the active policy"
    said += f" (did you mean {close[0]!r}?)" if close else ""
    said += f"; it names {', '.join(known)}" if known else "; it names no source"
    return said + (
        ". Add an intake mapping for it (`intake: {" + source + ": {}}`), or take any source "
        'with a catch-all mapping (`intake: {"*": {}}`)'
    )


@dataclass
class AccountImport(Refusals):
    created: int = 0
    updated: int = 0


def import_accounts(
    svc: Services,
    file: CsvFile,
    actor: Actor,
    *,
    on_error: ErrorSink | None = None,
    on_progress: Callable[[], None] | None = None,
    batch: int = 1000,
) -> AccountImport:
    """Create or update an account for every good row: columns id (optional), name, domains
    (separated by spaces, commas, semicolons or |), owner, tier, industry, employees,
    country, parent."""
    report = AccountImport()
    refuse = report.refuser(on_error)

    waiting: list[tuple[int, AccountIn]] = []
    for item in _rows(file, on_progress):
        report.rows += 1
        if isinstance(item, RowError):
            refuse(item.line, item.reason)
            continue
        try:
            waiting.append((item.line, checked(from_row(item.values))))
        except BadAccount as exc:
            refuse(item.line, str(exc))
            continue
        if len(waiting) >= batch:
            _save(svc, waiting, actor, report, refuse)
            waiting = []
    if waiting:
        _save(svc, waiting, actor, report, refuse)
    return report


def _save(
    svc: Services,
    waiting: list[tuple[int, AccountIn]],
    actor: Actor,
    report: AccountImport,
    refuse: ErrorSink,
) -> None:
    """Save a batch in one transaction; if it fails, each account alone, so that one account
    the database refuses costs only its row (refused with its line; the import goes on)."""
    try:
        saved = save_accounts(svc, [item for _, item in waiting], actor)
    except Exception:
        saved = []
        for line, item in waiting:
            try:
                saved += save_accounts(svc, [item], actor)
            except Exception as exc:
                refuse(line, f"the database refused this account: {exc}"[:500])
    for _, created in saved:
        if created:
            report.created += 1
        else:
            report.updated += 1
