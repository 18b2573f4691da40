"""The SLA clock: when a lead's first touch is due, when to remind, and what a breach does.

A policy's `sla` tiers are tried top-down; the first whose `when` holds for the lead applies
(none: the lead has no SLA). When a lead is assigned, its clock starts: the deadline is
`first_touch` after the assignment, and each reminder is its offset into the clock.

Invariants this module keeps:

- Pure: instants are epoch seconds passed in; nothing reads a clock or the environment.
- Business time is the owner's working time: the open intervals of the rep's calendar
  (weekly hours, public holidays, exceptions) minus the rep's time off. A rep without a
  calendar works all the time except their time off. `business_hours: false` counts wall
  time, in which time off does not stop the clock either.
- Reminders and the deadline are counted on the same basis, so a reminder always comes before
  the deadline, and ``start <= reminders[0] <= ... < due``.
- A clock always has a deadline. When the owner has no working time within the calendar's
  horizon (400 days: a calendar with no hours, time off without end), the clock counts wall
  time instead and says so (`Clock.no_working_time`), rather than never breaching.
- `on_breach` is a table of (tier, reassignments so far) -> `Breach`; it never looks at time.

A worked example: a tier of `first_touch: 2h, business_hours: true, remind: [1h30m]`, a rep on
a 09:00-17:00 Monday-to-Friday calendar, and a lead assigned on Friday at 16:30. Half an hour
is counted on Friday, the weekend is closed, and the other hour and a half runs from Monday
09:00: the reminder is due Monday 10:00 and the deadline Monday 10:30. With that Monday a
public holiday, both move to Tuesday (10:00 and 10:30); with the rep off on Tuesday morning
until 10:00, to Tuesday 11:00 and 11:30.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from leadflow.core.calendar import HORIZON
from leadflow.core.conditions import Facts
from leadflow.core.policy import Period, Policy, SlaTier

__all__ = [
    "MEETS",
    "Breach",
    "Clock",
    "SlaTier",
    "elapsed",
    "format_duration",
    "on_breach",
    "parse_duration",
    "start_clock",
    "tier_for",
    "working_intervals",
]

# The outcomes that count as the first touch: any of them meets the SLA and stops the clock.
MEETS = frozenset({"contacted", "meeting_booked", "qualified", "disqualified", "won", "lost"})

_UNITS = (("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_EXPECTED = "expected a duration such as 30s, 5m, 2h, 1d or 1h30m"


def parse_duration(text: str) -> float:
    """Seconds in a duration such as `30s`, `5m`, `2h`, `1d` or `1h30m`.

    Units come largest first, each at most once, in whole numbers; zero is refused, as an SLA
    that is already due is a mistake. `ValueError` says what was expected.
    """
    match = _DURATION.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None or not any(match.groups()):
        raise ValueError(f"{_EXPECTED}, got {text!r}")
    seconds = sum(int(n) * size for n, (_, size) in zip(match.groups(), _UNITS, strict=True) if n)
    if seconds <= 0:
        raise ValueError(f"a duration must be longer than zero, got {text!r}")
    return float(seconds)


def format_duration(seconds: float) -> str:
    """A duration as the policy writes it: 300 -> `5m`, 5400 -> `1h30m`, 0 -> `0s`."""
    rest = round(seconds)
    parts = []
    for unit, size in _UNITS:
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def tier_for(policy: Policy, fields: Mapping[str, Any]) -> SlaTier | None:
    """The first SLA tier whose `when` holds for a lead with these fields; None: no SLA."""
    facts: Facts | None = None
    for tier in policy.sla:
        if tier.when is None:
            return tier
        facts = facts or Facts(fields)
        if tier.when.holds(facts):
            return tier
    return None


def tier_named(policy: Policy | None, name: str | None) -> SlaTier | None:
    """The policy's tier of this name (a running clock names its tier); None if it is gone."""
    if policy is None or name is None:
        return None
    return next((tier for tier in policy.sla if tier.name == name), None)


@dataclass(frozen=True, slots=True)
class Clock:
    """A started SLA clock: when the first touch is due, and when to remind the owner."""

    tier: str
    start: float  # epoch seconds
    due: float  # epoch seconds
    reminders: tuple[float, ...]  # epoch seconds, ascending
    business_hours: bool
    no_working_time: bool = False  # the owner has no working time ahead: counted in wall time


def start_clock(
    policy: Policy,
    tier: SlaTier,
    rep_id: str,
    start: float,
    time_off: tuple[Period, ...] | None = None,
) -> Clock:
    """The clock of `tier` for a lead assigned to `rep_id` at `start`.

    `time_off` None means the rep's time off in the policy; the service passes the time off
    that holds at runtime (the policy's, or what replaced it) so that both count.
    """
    offsets = (*tier.remind, tier.first_touch)
    instants: list[float] | None = None
    if tier.business_hours:
        intervals = working_intervals(policy, rep_id, start, start + HORIZON, time_off)
        instants = _after_working(intervals, offsets)
    fallback = tier.business_hours and instants is None
    if instants is None:
        instants = [start + offset for offset in offsets]
    return Clock(
        tier=tier.name,
        start=start,
        due=instants[-1],
        reminders=tuple(instants[:-1]),
        business_hours=tier.business_hours,
        no_working_time=fallback,
    )


def elapsed(
    policy: Policy,
    business_hours: bool,
    rep_id: str,
    start: float,
    end: float,
    time_off: tuple[Period, ...] | None = None,
) -> float:
    """Seconds from start to end: the rep's working time in them, or wall time; 0 if end <= start.

    For reporting the time to first touch both ways. Business time here is exact: an owner with
    no working time in between has spent none of it, even when their clock fell back to wall time.
    """
    if end <= start:
        return 0.0
    if not business_hours:
        return end - start
    return sum(e - s for s, e in working_intervals(policy, rep_id, start, end, time_off))


def working_intervals(
    policy: Policy,
    rep_id: str,
    start: float,
    end: float,
    time_off: tuple[Period, ...] | None = None,
) -> Iterator[tuple[float, float]]:
    """The rep's working time within [start, end), as ordered, disjoint [s, e) intervals.

    Calendar open time (or all time, without a calendar) minus time off. A rep the policy does
    not know (removed since the lead was assigned) has no calendar and no policy time off.
    """
    rep = policy.reps.get(rep_id)
    calendar = None
    if rep is not None and rep.calendar is not None:
        calendar = policy.calendars.get(rep.calendar)
    if time_off is None:
        time_off = rep.time_off if rep is not None else ()
    off = _merged([(p.start, p.end) for p in time_off if p.end > start and p.start < end])
    spans = calendar.open_intervals(start, end) if calendar is not None else iter([(start, end)])
    i = 0
    for s, e in spans:
        while i < len(off) and off[i][1] <= s:  # time off that ended before this span
            i += 1
        j = i
        while s < e and j < len(off) and off[j][0] < e:
            if off[j][0] > s:
                yield s, off[j][0]
            s = max(s, off[j][1])
            j += 1
        if s < e:
            yield s, e


def _merged(periods: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Overlapping or touching periods joined, in order."""
    merged: list[tuple[float, float]] = []
    for s, e in sorted(periods):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def _after_working(
    intervals: Iterator[tuple[float, float]], offsets: tuple[float, ...]
) -> list[float] | None:
    """The instant each offset (ascending) of working time has passed; None if one never does."""
    found: list[float] = []
    counted = 0.0  # working time before the current interval
    for s, e in intervals:
        while len(found) < len(offsets) and counted + (e - s) >= offsets[len(found)]:
            found.append(s + offsets[len(found)] - counted)
        if len(found) == len(offsets):
            return found
        counted += e - s
    return None


@dataclass(frozen=True, slots=True)
class Breach:
    """What to do when a clock runs out: the service acts on it."""

    reassign: bool  # to the next eligible rep of the same pool (never a previous owner)
    overflow: bool  # reassignments ran out: to the pool's overflow, else the fallback
    notify_manager: bool  # send sla.breached to `to: manager` routes
    escalated: bool  # reassignments ran out (the manager is told regardless)


def on_breach(tier: SlaTier, reassignments: int) -> Breach:
    """What a breach of `tier` does to a lead already reassigned `reassignments` times.

    With `max_reassignments: 2` and `on_breach: [reassign]`: the first two breaches reassign
    within the pool; the third (and any later one) sends the lead to the overflow and escalates
    to the manager. Without `reassign`, a breach only tells the manager, if the tier asks to.
    """
    asks_manager = "notify_manager" in tier.on_breach
    if "reassign" not in tier.on_breach:
        return Breach(reassign=False, overflow=False, notify_manager=asks_manager, escalated=False)
    if reassignments < tier.max_reassignments:
        return Breach(reassign=True, overflow=False, notify_manager=asks_manager, escalated=False)
    return Breach(reassign=False, overflow=True, notify_manager=True, escalated=True)
