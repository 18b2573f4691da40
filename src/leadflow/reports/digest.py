"""A manager's week in figures: per rep of the team, this week beside the week before.

The figures are the report engine's (`engine.figures_by_group` grouped by rep, filtered to the
team); this module only picks six of them and says each with its change, as text that every
channel shows the same way:

| Figure | From the engine | Shown | Change |
|---|---|---|---|
| Leads | `leads` | `12` | `+3` |
| Accepted | `accepted_share` | `75%` | `+5 pts` |
| Median first touch | `time_to_first_touch.p50_seconds` | `12m` | `-3m` (faster) |
| SLA met | `sla_met_share` | `80%` | `-10 pts` |
| Meetings | `funnel.meeting.count` | `2` | `+1` |
| Won | `funnel.won.count` | `1` | `0` |

A figure the week does not have (no lead assigned: no acceptance share) is shown as `-`, and
its change as nothing. Example: 4 leads this week and 2 the week before give
`{"shown": "4", "change": "+2", "better": True}`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

NONE = "-"


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    read: Callable[[Mapping[str, Any]], float | None]
    kind: str  # count | share | seconds
    higher_is_better: bool = True


def _count(name: str) -> Callable[[Mapping[str, Any]], float | None]:
    return lambda f: f.get(name, 0) or 0


def _funnel(stage: str) -> Callable[[Mapping[str, Any]], float | None]:
    return lambda f: ((f.get("funnel") or {}).get(stage) or {}).get("count", 0) or 0


def _touch(f: Mapping[str, Any]) -> float | None:
    value: float | None = (f.get("time_to_first_touch") or {}).get("p50_seconds")
    return value


FIGURES = (
    Figure("leads", "Leads", _count("leads"), "count"),
    Figure("accepted", "Accepted", lambda f: f.get("accepted_share"), "share"),
    Figure("first_touch", "Median first touch", _touch, "seconds", higher_is_better=False),
    Figure("sla_met", "SLA met", lambda f: f.get("sla_met_share"), "share"),
    Figure("meetings", "Meetings", _funnel("meeting"), "count"),
    Figure("won", "Won", _funnel("won"), "count"),
)


def cells(now: Mapping[str, Any], before: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The six figures of one rep (or the team) this week, each with its change."""
    out = []
    for figure in FIGURES:
        value, previous = figure.read(now), figure.read(before)
        change, better = _change(figure, value, previous)
        out.append(
            {
                "key": figure.key,
                "label": figure.label,
                "value": value,
                "before": previous,
                "shown": shown(figure.kind, value),
                "change": change,
                "better": better,
            }
        )
    return out


def team_rows(
    team: Sequence[tuple[str, str]],
    now: Mapping[str, Mapping[str, Any]],
    before: Mapping[str, Mapping[str, Any]],
) -> list[dict[str, Any]]:
    """One row per rep of the team, (id, name) in the order given; a rep without leads in a
    week has that week's figures empty (0 leads), not left out."""
    return [
        {"id": rep_id, "name": name, "cells": cells(now.get(rep_id, {}), before.get(rep_id, {}))}
        for rep_id, name in team
    ]


def shown(kind: str, value: float | None) -> str:
    if value is None:
        return NONE
    if kind == "share":
        return f"{round(value * 100)}%"
    if kind == "seconds":
        return duration(value)
    return f"{int(value):,}"


def duration(seconds: float) -> str:
    """`45s`, `12m`, `2h 5m`, `3d 4h`: two units at most, as people say a wait."""
    s = round(abs(seconds))
    if s < 60:
        return f"{s}s"
    minutes, hours, days = s // 60, s // 3600, s // 86400
    if s < 3600:
        return f"{minutes}m"
    if s < 86400:
        rest = minutes % 60
        return f"{hours}h {rest}m" if rest else f"{hours}h"
    rest = hours % 24
    return f"{days}d {rest}h" if rest else f"{days}d"


def _change(figure: Figure, value: float | None, previous: float | None) -> tuple[str, bool | None]:
    """The change as text and whether it is for the better (None: no change or unknown)."""
    if value is None or previous is None:
        return "", None
    delta = value - previous
    if figure.kind == "share":
        points = round(delta * 100)
        text, sign = f"{abs(points)} pts", points
    elif figure.kind == "seconds":
        text, sign = duration(delta), round(delta)
    else:
        text, sign = f"{abs(int(delta)):,}", int(delta)
    if sign == 0:
        return ("0" if figure.kind == "count" else "same"), None
    better = (sign > 0) == figure.higher_is_better
    return ("+" if sign > 0 else "-") + text, better
