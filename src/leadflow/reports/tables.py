"""A summary's figures as flat tables: what CSV exports, the terminal and the pages show.

Each table is a list of rows with the same columns, one row per group (or one, `all`, without
a grouping). The JSON summary keeps the nested figures; these are the same numbers, flat.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Row = dict[str, Any]


def _speed(f: dict[str, Any]) -> Row:
    a, t = f["time_to_assign"], f["time_to_first_touch"]
    return {
        "leads": f["leads"],
        "assigned": f["assigned"],
        "assign_p50_seconds": a["p50_seconds"],
        "assign_p90_seconds": a["p90_seconds"],
        "assign_p99_seconds": a["p99_seconds"],
        "touch_p50_seconds": t["p50_seconds"],
        "touch_p90_seconds": t["p90_seconds"],
        "touch_p99_seconds": t["p99_seconds"],
        "touch_working_p50_seconds": t["working_time"]["p50_seconds"],
        "touched_within_5m": t["within_5m"],
        "touched_within_30m": t["within_30m"],
        "touched_within_1h": t["within_1h"],
        "touched_within_1_working_day": t["within_1_working_day"],
        "never_touched": t["never"],
    }


def _sla(f: dict[str, Any]) -> Row:
    row: Row = {
        "leads": f["leads"],
        "sla_met_share": f["sla_met_share"],
        "reminders": f["reminders"],
        "escalations": f["escalations"],
    }
    for tier, s in f["sla"].items():
        row[f"{tier}_met"] = s["met"]
        row[f"{tier}_breached"] = s["breached"]
        row[f"{tier}_pending"] = s["pending"]
        row[f"{tier}_met_share"] = s["met_share"]
    return row


def _funnel(f: dict[str, Any]) -> Row:
    row: Row = {"leads": f["leads"]}
    for stage in ("contacted", "meeting", "qualified", "won"):
        s = f["funnel"][stage]
        row[stage] = s["count"]
        row[f"{stage}_share"] = s["share"]
        row[f"{stage}_low"] = s["low"]
        row[f"{stage}_high"] = s["high"]
    row["lost"] = f["funnel"]["lost"]
    row["won_value"] = f["won_value"]
    row["meeting_p50_seconds"] = f["time_to_meeting_p50_seconds"]
    row["won_p50_seconds"] = f["time_to_won_p50_seconds"]
    return row


def _routing(f: dict[str, Any]) -> Row:
    return {
        "assigned": f["assigned"],
        "accepted_share": f["accepted_share"],
        "rejected_share": f["rejected_share"],
        "reassigned_share": f["reassigned_share"],
        "reassignments": f["reassignments"],
        "reassign_reasons": _reasons(f["reassign_reasons"]),
        "reject_reasons": _reasons(f["reject_reasons"]),
        "held": f["held"],
        "held_mean_seconds": f["held_mean_seconds"],
        "unassigned": f["unassigned"],
    }


def _quality(f: dict[str, Any]) -> Row:
    row: Row = {
        "leads": f["leads"],
        "duplicate_share": f["duplicate_share"],
        "junk_share": f["junk_share"],
        "junk_reasons": _reasons(f["junk_reasons"]),
        "account_match_share": f["account_match_share"],
        "account_review": f["account_review"],
        "bounce_share": f["bounce_share"],
    }
    row.update({f"coverage_{name}": share for name, share in f["coverage"].items()})
    return row


TABLES: dict[str, Callable[[dict[str, Any]], Row]] = {
    "speed": _speed,
    "sla": _sla,
    "funnel": _funnel,
    "routing": _routing,
    "quality": _quality,
}
NAMES = (*TABLES, "over_time", "fairness")


def table(summary: dict[str, Any], name: str) -> list[Row]:
    """The rows of table `name` of a summary: one per group; `over_time` one per bucket;
    `fairness` one per rep of each pool."""
    if name == "over_time":
        return list(summary["over_time"])
    if name == "fairness":
        return [
            {"pool": p["pool"], "pool_deviation": p["deviation"], **rep}
            for p in summary["fairness"]
            for rep in p["reps"]
        ]
    flat = TABLES[name]
    groups = summary["groups"] or [{"group": "all", "figures": summary["overall"]}]
    by = summary["group_by"] or "group"
    return [{by: g["group"], **flat(g["figures"])} for g in groups]


def _reasons(counts: dict[str, int]) -> str:
    return "; ".join(f"{reason} ({n})" for reason, n in counts.items())
