"""Reading EVENTS: a JSONL file of lead arrivals, lead statuses and reps' updates.

Each event type has its own reader; a ``rep.updated`` is checked here in full (its keys, caps
and time off), so that a mistake is reported at its line rather than midway through a run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import fields as dataclass_fields
from pathlib import Path
from typing import Any

from leadflow.core.policy import Caps
from leadflow.simulate.items import (
    PRESENCES,
    REP_CHANGES,
    STATUSES,
    LeadArrival,
    LeadStatus,
    RepUpdate,
    TimelineError,
    TimelineItem,
    _bad,
    _json_kind,
    _not_a_time,
)
from leadflow.simulate.leads import _json_id, _json_lead, _json_objects
from leadflow.simulate.wallclock import _WallClock

_CAP_NAMES = tuple(f.name for f in dataclass_fields(Caps))


def _events(path: Path, clock: _WallClock) -> Iterator[TimelineItem]:
    for line, obj in _json_objects(path):
        kind = obj.get("type")
        if kind is None:
            raise TimelineError(path, line, "type", "an event needs type")
        read = _EVENT_READERS.get(kind) if isinstance(kind, str) else None
        if read is None:
            known = ", ".join(_EVENT_READERS)
            raise _bad(path, line, "type", f"unknown event type {kind!r}; expected one of {known}")
        if obj.get("at") is None:
            raise TimelineError(path, line, "at", f"{kind} needs at")
        at = clock.epoch(obj["at"])
        if at is None:
            raise _not_a_time(path, line, "at", obj["at"])
        yield read(obj, at, path, line, clock)


def _lead_received(
    obj: dict[str, Any], at: float, path: Path, line: int, clock: _WallClock
) -> LeadArrival:
    """A lead; its own received_at, if it has one, is when it arrives, else the event's at."""
    lead = obj.get("lead")
    if lead is None:
        raise TimelineError(path, line, "lead", "lead.received needs lead")
    if not isinstance(lead, dict):
        raise _bad(path, line, "lead", f"expected an object, got {_json_kind(lead)}")
    return _json_lead(lead, path, line, clock, path.name, "lead.received", "lead.", at)


def _lead_status(
    obj: dict[str, Any], at: float, path: Path, line: int, clock: _WallClock
) -> LeadStatus:
    lead_id = _json_id(obj.get("lead_id"), path, line, "lead.status", "lead_id")
    status = obj.get("status")
    if status is None:
        raise TimelineError(path, line, "status", "lead.status needs status")
    if status not in STATUSES:
        raise _bad(path, line, "status", f"{status!r} is not one of {', '.join(STATUSES)}")
    return LeadStatus(at, lead_id, status, line, path.name)


def _rep_updated(
    obj: dict[str, Any], at: float, path: Path, line: int, clock: _WallClock
) -> RepUpdate:
    """A rep's new availability. Unknown keys are refused: a misspelt one would change nothing.

    time_off and caps are checked here, so that the error names this line, and kept as written:
    the simulator reads them as the policy's own ``time_off`` and ``caps`` are read.
    """
    rep = obj.get("rep")
    if rep is None or (isinstance(rep, str) and not rep.strip()):
        raise TimelineError(path, line, "rep", "rep.updated needs rep")
    if not isinstance(rep, str):
        raise _bad(path, line, "rep", f"expected text, got {_json_kind(rep)}")
    for key in obj:
        if key not in ("at", "type", "rep", *REP_CHANGES):
            expected = ", ".join(REP_CHANGES)
            raise _bad(path, line, key, f"rep.updated has no such key; expected {expected}")
    changes = {key: obj[key] for key in REP_CHANGES if key in obj}
    if "active" in changes and not isinstance(changes["active"], bool):
        raise _bad(path, line, "active", f"expected true or false, got {changes['active']!r}")
    if "presence" in changes and changes["presence"] not in PRESENCES:
        presence, expected = changes["presence"], " or ".join(PRESENCES)
        raise _bad(path, line, "presence", f"{presence!r} is not {expected}")
    if "caps" in changes:
        _check_caps(changes["caps"], path, line)
    if "time_off" in changes:
        _check_time_off(changes["time_off"], path, line, clock)
    return RepUpdate(at, rep.strip(), changes, line, path.name)


def _check_caps(caps: object, path: Path, line: int) -> None:
    if not isinstance(caps, dict):
        raise _bad(path, line, "caps", f"expected an object, got {_json_kind(caps)}")
    for name, limit in caps.items():
        if name not in _CAP_NAMES:
            raise _bad(path, line, f"caps.{name}", f"no such cap; expected {', '.join(_CAP_NAMES)}")
        if limit is not None and (type(limit) is not int or limit < 0):
            raise _bad(path, line, f"caps.{name}", f"expected a whole number ≥ 0, got {limit!r}")


def _check_time_off(periods: object, path: Path, line: int, clock: _WallClock) -> None:
    if not isinstance(periods, list):
        raise _bad(path, line, "time_off", f"expected a list, got {_json_kind(periods)}")
    for i, period in enumerate(periods):
        where = f"time_off[{i}]"
        if not isinstance(period, dict):
            raise _bad(path, line, where, f"expected {{from, to}}, got {_json_kind(period)}")
        bounds = []
        for end in ("from", "to"):
            if period.get(end) is None:
                raise TimelineError(path, line, f"{where}.{end}", f"{where} needs {end}")
            bound = clock.epoch(period[end])
            if bound is None:
                raise _not_a_time(path, line, f"{where}.{end}", period[end])
            bounds.append(bound)
        if bounds[1] < bounds[0]:
            raise _bad(path, line, where, "ends before it starts")


_EventReader = Callable[[dict[str, Any], float, Path, int, _WallClock], TimelineItem]
_EVENT_READERS: dict[str, _EventReader] = {
    "lead.received": _lead_received,
    "lead.status": _lead_status,
    "rep.updated": _rep_updated,
}


def _event_times(path: Path, clock: _WallClock) -> Iterator[float | None]:
    for _, obj in _json_objects(path):
        lead = obj.get("lead") if obj.get("type") == "lead.received" else None
        received = lead.get("received_at") if isinstance(lead, dict) else None
        yield clock.epoch(obj.get("at") if received is None else received)
