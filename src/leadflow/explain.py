"""A decision record as a person reads it: why this rep, and why not each other one.

L-0042 at 2026-11-23T15:12:09+00:00: assigned to bob (rule east, pool east)
rules
  no   existing-owner  existing_owner=None
  yes  east            country='US'
pool east (round_robin, via rule:east)
  alice  excluded: cap_per_day 12/12
  bob    picked (last: 'alice' -> 'bob')
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson


def read_decisions(path: Path, lead_id: str) -> Iterator[dict[str, Any]]:
    """The records of one lead in a DECISIONS file, in order (queued, then assigned)."""
    needle = orjson.dumps({"lead_id": lead_id})[1:-1]  # the line's own first key, quoted alike
    with path.open("rb") as lines:
        for line in lines:
            if line.startswith(b"{" + needle + b","):
                yield orjson.loads(line)["record"]


def explain(record: dict[str, Any]) -> list[str]:
    """The lines that explain one decision record."""
    lines = [_headline(record)]
    policy = record.get("policy") or {}
    version = policy.get("version")
    lines.append(f"policy {policy.get('digest', '')[:19]}" + (f" (v{version})" if version else ""))
    if record.get("held_for"):
        lines.append(f"held for pool {record['held_for']} until a member was eligible")
    if record.get("rules"):
        lines.append("rules")
        width = max(len(r["rule"]) for r in record["rules"])
        seen = record.get("saw") or {}
        for rule in record["rules"]:
            saw = ", ".join(f"{k}={seen.get(k)!r}" for k in rule.get("reads", ()))
            mark = "yes" if rule["matched"] else "no "
            line = f"  {mark}  {rule['rule']:<{width}}  {saw or '(always)'}"
            if "assign" in rule:
                verdict = rule["assign"]
                line += f"; assign {verdict.get('rep')}: " + (
                    "eligible" if verdict.get("eligible") else str(verdict.get("reason"))
                )
            if rule.get("result"):
                line += f" -> {rule['result']}"
            lines.append(line)
    for pool in record.get("pools", []):
        lines.extend(_pool(pool))
    fallback = record.get("fallback")
    if fallback:
        lines.append(f"fallback to {fallback['pool']} ({fallback['reason']})")
    return lines


def unrouted(lead_id: str, status: str, junk_reason: str | None = None) -> str:
    """The line for a live lead that no decision was made for: what holds it back."""
    why = {
        "junk": f"junk ({junk_reason}), never routed: restore it to route it",
        "stored": "stored without routing: restore it to route it",
    }.get(status, f"{status}, no routing decision yet")
    return f"{lead_id}: {why}"


def _headline(record: dict[str, Any]) -> str:
    head = f"{record['lead_id']} at {record['at']}: {record['outcome']}"
    if record.get("rep"):
        head += f" to {record['rep']}"
    where = [f"rule {record['matched_rule']}"] if record.get("matched_rule") else []
    if record.get("pool"):
        where.append(f"pool {record['pool']}")
    if where:
        head += f" ({', '.join(where)})"
    if record.get("reason"):
        head += f": {record['reason']}"
    return head


def _pool(pool: dict[str, Any]) -> list[str]:
    lines = [f"pool {pool['pool']} ({pool['strategy']}, via {pool['via']})"]
    if "field" in pool:
        lines.append(f"  named by {pool['field']}")
    candidates = pool.get("candidates", [])
    width = max((len(c["rep"]) for c in candidates), default=0)
    for c in candidates:
        if c["rep"] == pool.get("picked"):
            moved = _moved(pool.get("state_before"), pool.get("state_after"))
            verdict = "picked" + (f" ({moved})" if moved else "")
            if pool.get("tie_break"):
                verdict += f"; tie: {pool['tie_break']}"
        elif c["eligible"]:
            verdict = "eligible, not picked"
        else:
            verdict = f"excluded: {c['reason']}"
        lines.append(f"  {c['rep']:<{width}}  {verdict}")
    if not candidates:
        lines.append("  nobody to consider")
    if pool.get("result") and pool["result"] != "assigned":
        lines.append(f"  -> {pool['result']}")
    return lines


def _moved(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    if not before or not after:
        return ""
    return ", ".join(
        f"{key}: {before.get(key)!r} -> {value!r}" for key, value in after.items() if key in before
    )
