"""A CRM export of leads read for an audit: which column is which, and each row's times.

`leadflow audit` measures the process a team has before leadflow from the export of its CRM.
The columns are recognised by the names HubSpot, Salesforce and Pipedrive give them (below),
or named with `--map COLUMN=FIELD`; every row becomes an `ExportRow`, or a `BadRow` that says
its line and why, and is left out without losing the rows around it.

The names recognised, and where each comes from (the vendors' own documentation):

- HubSpot, contact properties by label and by internal name (knowledge.hubspot.com "HubSpot's
  default contact properties", "Assign ownership of records", "Understand Original and Latest
  source properties"): "Create Date" / `createdate`, "Contact owner" / `hubspot_owner_id`,
  "Owner assigned date" (also exported as "HubSpot owner assigned date") /
  `hubspot_owner_assigneddate`, "Lead Status" / `hs_lead_status`, "Original Source" /
  `hs_analytics_source`, "Last Activity Date" / `notes_last_updated`, "Email", "First Name",
  "Last Name", "Company Name".
- Salesforce, Lead fields by label and API name (developer.salesforce.com, Salesforce Field
  Reference Guide, Lead; and a lead report's columns): "Create Date" / "Created Date" /
  `CreatedDate`, "Lead Owner" / `OwnerId`, "Lead Status" / `Status`, "Lead Source" /
  `LeadSource`, `FirstCallDateTime` and `FirstEmailDateTime` (High Velocity Sales), "Last
  Activity" / `LastActivityDate` (a date, without a time), "Email", "First Name", "Last Name",
  "Company", "Lead ID" / `Id`.
- Pipedrive, leads (developers.pipedrive.com, Leads API: `add_time`, `owner_id`,
  `source_name`; the leads export's labels): "Lead created", "Owner", "Source".

A first activity is preferred to a last one: the last activity is when a lead was last worked,
a first touch only when there was one activity, so an audit that has nothing else says so.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from leadflow.core.calendar import parse_local

# The audit's fields, each with the column names that mean it, in order of preference.
COLUMNS: dict[str, tuple[str, ...]] = {
    "created": (
        "created_at",
        "received_at",
        "Create Date",
        "Created Date",
        "createdate",
        "CreatedDate",
        "Lead created",
        "add_time",
    ),
    "owner": (
        "owner",
        "Contact owner",
        "hubspot_owner_id",
        "Lead Owner",
        "OwnerId",
        "Owner",
        "owner_id",
    ),
    "assigned": (
        "assigned_at",
        "Owner assigned date",
        "HubSpot owner assigned date",
        "hubspot_owner_assigneddate",
    ),
    "touched": (
        "first_touch_at",
        "FirstCallDateTime",
        "FirstEmailDateTime",
        "Last Activity Date",
        "notes_last_updated",
        "Last Activity",
        "LastActivityDate",
    ),
    "status": ("status", "Lead Status", "hs_lead_status", "Status"),
    "source": (
        "source",
        "Original Source",
        "hs_analytics_source",
        "Lead Source",
        "LeadSource",
        "Source",
        "source_name",
    ),
    "email": ("email", "Email"),
    "first_name": ("first_name", "First Name", "firstname", "FirstName"),
    "last_name": ("last_name", "Last Name", "lastname", "LastName"),
    "company": ("company", "Company Name", "Company", "Organization"),
    "id": ("id", "Record ID", "Lead ID", "Id"),
}
FIELDS = tuple(COLUMNS)
IGNORE = "ignore"  # --map COLUMN=ignore: a column not to read, whatever its name says
REQUIRED = ("created", "owner")
# A first touch read from one of these is when the lead was last worked, not first.
LAST_ACTIVITY = {"Last Activity Date", "notes_last_updated", "Last Activity", "LastActivityDate"}
# Both first-touch columns of Salesforce may be there: the earlier of the two is the touch.
ALSO_TOUCHED = ("FirstEmailDateTime",)

# Formats of the exports, tried after ISO 8601 (which covers "2026-11-23 14:05", "2026-11-23",
# "2026-11-23T14:05:00Z" and "2026-11-23T09:05:00-05:00"): US month first by default.
_CLOCKS = ("%I:%M %p", "%I:%M:%S %p", "%H:%M", "%H:%M:%S", "%I:%M%p")
_SEPARATORS = (" ", ", ")


class ExportError(ValueError):
    """An export that cannot be audited at all: its columns, or a --map that is wrong."""


@dataclass(frozen=True)
class Columns:
    """Which column of the export holds each field (absent fields are not in it)."""

    of: Mapping[str, str]
    found: Sequence[str]  # every column of the header, in order

    def notes(self) -> list[str]:
        """What the audit cannot measure, or measures only roughly, with these columns."""
        out = []
        if "assigned" not in self.of:
            out.append(
                "no owner assigned time in the export: each lead is taken as owned from its "
                "creation (time to owner 0), and time to first touch counts from creation"
            )
        if "touched" not in self.of:
            out.append("no first activity in the export: every lead counts as never touched")
        elif self.of["touched"] in LAST_ACTIVITY:
            out.append(
                f"first touch read from {self.of['touched']!r}, the LAST activity: a lead "
                "worked more than once was first touched earlier than it shows"
            )
        return out


@dataclass(frozen=True)
class ExportRow:
    line: int
    id: str
    created: datetime
    owner: str | None
    assigned: datetime | None
    touched: datetime | None
    touched_date_only: bool
    status: str | None
    source: str | None
    email: str | None
    fields: Mapping[str, str] = field(default_factory=dict)  # name and company, for a policy


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


def parse_maps(items: Sequence[str]) -> dict[str, str]:
    """`--map` values as {column: field}: each `COLUMN=FIELD`, or a file of such lines."""
    pairs: dict[str, str] = {}
    for item in items:
        lines: list[tuple[str, str]] = []
        if "=" in item:
            lines.append((item, "--map"))
        else:
            path = Path(item)
            if not path.is_file():
                raise ExportError(f"--map {item!r}: neither COLUMN=FIELD nor a file")
            for n, text in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
                if text.strip() and not text.lstrip().startswith("#"):
                    lines.append((text, f"{path.name} line {n}"))
        for text, where in lines:
            column, _, name = text.rpartition("=")
            column, name = column.strip(), name.strip()
            if name not in FIELDS and name != IGNORE:
                fields = ", ".join((*FIELDS, IGNORE))
                raise ExportError(f"{where}: {name!r} is not a field: one of {fields}")
            if not column:
                raise ExportError(f"{where}: {text!r} names no column (COLUMN=FIELD)")
            pairs[column] = name
    return pairs


def recognise(header: Sequence[str], mapped: Mapping[str, str] | None = None) -> Columns:
    """Which column is which field: `mapped` ({column: field}) first, then the known names.

    Names compare without case and spaces around them. A required field (created time,
    owner) without a column is an `ExportError` that lists what is needed and what was found.
    """
    found = [h.strip() for h in header]
    by_key = {_key(h): h for h in reversed(found) if h}
    of: dict[str, str] = {}
    ignored = set()
    for column, name in (mapped or {}).items():
        if _key(column) not in by_key:
            raise ExportError(
                f"--map {column}={name}: the export has no column {column!r}; "
                f"its columns: {', '.join(found)}"
            )
        if name == IGNORE:
            ignored.add(by_key[_key(column)])
        else:
            of[name] = by_key[_key(column)]
    taken = set(of.values()) | ignored
    for name, names in COLUMNS.items():
        if name in of:
            continue
        hit = next((by_key[_key(n)] for n in names if _key(n) in by_key), None)
        if hit is not None and hit not in taken:
            of[name] = hit
            taken.add(hit)
    missing = [name for name in REQUIRED if name not in of]
    if missing:
        needs = "; ".join(f"{name}: one of {', '.join(COLUMNS[name])}" for name in missing)
        raise ExportError(
            f"the export has no column for {', '.join(missing)} ({needs}; or --map "
            f"COLUMN={missing[0]}). Its columns: {', '.join(found) or '(none)'}"
        )
    return Columns(of, found)


def read_export(
    path: Path, tz: str, mapped: Mapping[str, str] | None = None, *, day_first: bool = False
) -> tuple[Columns, list[ExportRow | BadRow]]:
    """The export's columns and every row, good or bad, in file order."""
    try:
        return _read(path, tz, mapped, day_first)
    except UnicodeDecodeError as exc:
        raise ExportError(f"not UTF-8 text (byte {exc.start + 1}): save it as CSV UTF-8") from None


def _read(
    path: Path, tz: str, mapped: Mapping[str, str] | None, day_first: bool
) -> tuple[Columns, list[ExportRow | BadRow]]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        rows = csv.reader(file)
        header = next(rows, None)
        while header == []:
            header = next(rows, None)
        if header is None:
            raise ExportError(f"{path.name} is empty: no header")
        columns = recognise(header, mapped)
        index = {name: columns.found.index(column) for name, column in columns.of.items()}
        also = [columns.found.index(c) for c in ALSO_TOUCHED if c in columns.found]
        out: list[ExportRow | BadRow] = []
        end = rows.line_num
        try:
            for cells in rows:
                line, end = end + 1, rows.line_num
                if not any(c.strip() for c in cells):
                    continue
                out.append(_row(cells, line, index, also, tz, day_first))
        except csv.Error as exc:
            out.append(BadRow(end + 1, f"not valid CSV ({exc}): the rest of the file is unread"))
    return columns, _unique_ids(out)


def parse_time(text: str, tz: str, *, day_first: bool = False) -> tuple[datetime, bool] | None:
    """(instant, whether it was a date alone) of a time as CRM exports write it, or None.

    ISO 8601 ("2026-11-23 14:05", "2026-11-23T19:05:00Z", with an offset), and month-first
    "11/23/2026 2:05 PM", "11/23/2026, 2:05 PM", "11/23/2026 14:05", "11/23/2026" (day first
    with `day_first`). A time without an offset is wall time in `tz`.
    """
    text = text.strip()
    if not text:
        return None
    parsed: datetime | None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = _slashed(text, day_first)
    if parsed is None:
        return None
    date_only = bool(re.fullmatch(r"[\d/\-.]+", text))
    if parsed.tzinfo is None:
        parsed = parse_local(parsed.isoformat(), tz)
    return parsed.astimezone(UTC), date_only


def _slashed(text: str, day_first: bool) -> datetime | None:
    day = "%d/%m/%Y" if day_first else "%m/%d/%Y"
    for fmt in (day, *(day + sep + clock for sep in _SEPARATORS for clock in _CLOCKS)):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _row(
    cells: Sequence[str],
    line: int,
    index: Mapping[str, int],
    also: Sequence[int],
    tz: str,
    day_first: bool,
) -> ExportRow | BadRow:
    def cell(name: str) -> str:
        i = index.get(name)
        return cells[i].strip() if i is not None and i < len(cells) else ""

    def when(name: str, texts: Sequence[str]) -> tuple[datetime, bool] | BadRow | None:
        """The earliest of the cells' times (None if all are empty), or why one is bad."""
        best = None
        for text in (t for t in texts if t):
            got = parse_time(text, tz, day_first=day_first)
            if got is None:
                return BadRow(line, f"{name}: {text!r} is not a date or time")
            if best is None or got[0] < best[0]:
                best = got
        return best

    created = when("created time", [cell("created")])
    assigned = when("owner assigned time", [cell("assigned")])
    touched = when(
        "first touch", [cell("touched"), *(cells[i].strip() for i in also if i < len(cells))]
    )
    for got in (created, assigned, touched):
        if isinstance(got, BadRow):
            return got
    assert not isinstance(assigned, BadRow) and not isinstance(touched, BadRow)
    if created is None or isinstance(created, BadRow):
        return BadRow(line, "no created time")
    start = created[0]
    if assigned is not None and assigned[0] < start and not assigned[1]:
        shown = f"{assigned[0].astimezone(ZoneInfo(tz)):%Y-%m-%d %H:%M}"
        return BadRow(line, f"owner assigned {shown} is before created")
    touch_at = None
    if touched is not None:
        at, date_only = touched
        zone = ZoneInfo(tz)
        if at < start and (
            not date_only or at.astimezone(zone).date() < start.astimezone(zone).date()
        ):
            local = at.astimezone(zone)
            shown = f"{local:%Y-%m-%d}" if date_only else f"{local:%Y-%m-%d %H:%M}"
            return BadRow(line, f"first touch {shown} is before created")
        touch_at = max(at, start)  # a date alone: that day, at the earliest when created
    fields = {name: cell(name) for name in ("first_name", "last_name", "company") if cell(name)}
    return ExportRow(
        line=line,
        id=cell("id") or f"line-{line}",
        created=start,
        owner=cell("owner") or None,
        assigned=None if assigned is None else max(assigned[0], start),
        touched=touch_at,
        touched_date_only=touched is not None and touched[1],
        status=cell("status") or None,
        source=cell("source") or None,
        email=cell("email").lower() or None,
        fields=fields,
    )


def _unique_ids(rows: list[ExportRow | BadRow]) -> list[ExportRow | BadRow]:
    """A repeated id gets its line added (a lead is one row of the facts, by its id)."""
    seen: set[str] = set()
    out: list[ExportRow | BadRow] = []
    for row in rows:
        if isinstance(row, ExportRow):
            if row.id in seen:
                row = replace(row, id=f"{row.id} (line {row.line})")
            seen.add(row.id)
        out.append(row)
    return out


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()
