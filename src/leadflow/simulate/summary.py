"""What a simulation did, in the figures a RevOps lead asks for first.

Each lead counts once, by its final outcome (a lead queued and assigned later counts as
assigned; one still held at the end counts as queued). A rep's expected share comes from the
pools that assigned leads: a pool that assigned n leads owes each member n × weight / total
weight (equal weights outside `weighted`); by_field pools and direct `assign:` rules owe nobody.
The fairness figure is the largest deviation of a rep's pool leads from that share, as a
percentage of the share: with reps on time off or at a cap it is expected to be non-zero, and
the table shows who and how much. An SLA reassignment gives a rep a lead from a pool's
rotation, so it counts in the leads per rep and per pool (and the summary says how many there
were), but not in the outcomes. The SLA figures themselves are `sla_report`'s.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from rich.console import Console
from rich.table import Table

from leadflow.core.decide import Decision, Outcome
from leadflow.core.policy import Policy, Strategy
from leadflow.quality.pipeline import Prepared
from leadflow.simulate.sla_report import NO_SLA, SlaReport, human_duration

DIRECT = "(direct assign)"
FALLBACK = "(fallback: no rule matched)"


@dataclass
class Summary:
    policy: Policy
    outcomes: Counter[str] = field(default_factory=Counter)
    per_rep: Counter[str] = field(default_factory=Counter)
    per_rule: Counter[str] = field(default_factory=Counter)
    per_pool: Counter[str] = field(default_factory=Counter)
    pool_rep: Counter[tuple[str, str]] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    held_seconds: list[float] = field(default_factory=list)
    closed_while_queued: int = 0
    unassigned_reasons: Counter[str] = field(default_factory=Counter)
    reassignments: int = 0  # SLA reassignments: in per_rep and per_pool, not in outcomes
    junk: Counter[str] = field(default_factory=Counter)  # by reason (its code)
    accounts: Counter[str] = field(default_factory=Counter)  # matched, review, none
    match_reasons: Counter[str] = field(default_factory=Counter)  # domain_exact, name_fuzzy...
    tiers: Counter[str] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)  # quality notes by kind
    sla: SlaReport = field(init=False)

    def __post_init__(self) -> None:
        self.sla = SlaReport(self.policy, None if self.policy.sla else NO_SLA)

    def add(self, decision: Decision) -> None:
        self.outcomes[decision.outcome.value] += 1
        if decision.outcome is Outcome.MERGED:  # no rule decided: it followed its open lead
            return
        self.per_rule[decision.rule or FALLBACK] += 1
        if decision.outcome is Outcome.UNASSIGNED and decision.reason:
            self.unassigned_reasons[decision.reason] += 1
        if decision.outcome is Outcome.ASSIGNED and decision.rep is not None:
            self.per_rep[decision.rep] += 1
            self.per_pool[decision.pool or DIRECT] += 1
            if decision.pool is not None:
                self.pool_rep[decision.pool, decision.rep] += 1

    def prepared(self, prepared: Prepared) -> None:
        """What the steps before routing found: junk is an outcome of its own."""
        self.notes.update(str(note.get("kind")) for note in prepared.notes)
        if prepared.junk is not None:
            self.outcomes["junk"] += 1
            self.junk[prepared.junk.split(":", 1)[0]] += 1
            return
        found = prepared.account or prepared.review
        self.accounts[
            "matched" if prepared.account else "review" if prepared.review else "none"
        ] += 1
        if found is not None:
            self.match_reasons[found.reasons[0].split(":", 1)[0]] += 1
        if prepared.scored is not None:
            self.tiers[prepared.scored.tier or "(none)"] += 1

    def add_reassignment(self, decision: Decision) -> None:
        """An SLA reassignment: the rep was given the lead, and the pool's rotation moved."""
        assert decision.rep is not None
        self.reassignments += 1
        self.per_rep[decision.rep] += 1
        self.per_pool[decision.pool or DIRECT] += 1
        if decision.pool is not None:
            self.pool_rep[decision.pool, decision.rep] += 1

    def finish(self, still_queued: int) -> None:
        if still_queued:
            self.outcomes[Outcome.QUEUED.value] += still_queued

    @property
    def leads(self) -> int:
        return sum(self._outcomes().values())

    def _outcomes(self) -> Counter[str]:
        """Final outcomes; a lead won, lost or closed while still queued is its own row."""
        rows = Counter(self.outcomes)
        if self.closed_while_queued:
            rows["closed_while_queued"] = self.closed_while_queued
        return rows

    def expected(self) -> dict[str, float]:
        """Each rep's share of the leads its pools assigned, by weight."""
        owed: dict[str, float] = {}
        for name, n in self.per_pool.items():
            pool = self.policy.pools.get(name)
            if pool is None or pool.strategy is Strategy.BY_FIELD or not pool.members:
                continue
            weighted = pool.strategy is Strategy.WEIGHTED
            total = sum(m.weight if weighted else 1 for m in pool.members)
            for m in pool.members:
                owed[m.rep] = owed.get(m.rep, 0.0) + n * (m.weight if weighted else 1) / total
        return owed

    def from_shared_pools(self) -> Counter[str]:
        """Leads each rep got from pools that owe shares (not by_field, not direct assigns)."""
        got: Counter[str] = Counter()
        pools = self.policy.pools
        for (pool, rep), n in self.pool_rep.items():
            if pool in pools and pools[pool].strategy is not Strategy.BY_FIELD:
                got[rep] += n
        return got

    def fairness(self) -> tuple[str | None, float]:
        """The rep furthest from its expected share, and how far, in percent of that share."""
        got = self.from_shared_pools()
        worst, deviation = None, 0.0
        for rep, share in sorted(self.expected().items()):
            if share > 0 and abs(got[rep] - share) / share * 100 > abs(deviation):
                worst, deviation = rep, (got[rep] - share) / share * 100
        return worst, deviation

    def to_dict(self) -> dict[str, Any]:
        expected = self.expected()
        shared = self.from_shared_pools()
        worst, deviation = self.fairness()
        held = sorted(self.held_seconds)
        return {
            "leads": self.leads,
            "outcomes": dict(sorted(self._outcomes().items())),
            "per_rep": {
                rep: {
                    "leads": self.per_rep[rep],
                    "from_shared_pools": shared[rep],
                    "expected": round(expected.get(rep, 0.0), 2),
                }
                for rep in self.policy.reps
            },
            "per_rule": dict(self.per_rule.most_common()),
            "per_pool": dict(self.per_pool.most_common()),
            "held": {
                "leads": len(held),
                "median_seconds": median(held) if held else None,
                "p90_seconds": held[int(0.9 * (len(held) - 1))] if held else None,
                "max_seconds": held[-1] if held else None,
                "closed_while_queued": self.closed_while_queued,
            },
            "unassigned_reasons": dict(self.unassigned_reasons.most_common()),
            "statuses": dict(sorted(self.statuses.items())),
            "fairness": {"rep": worst, "deviation_percent": round(deviation, 2)},
            "sla": self.sla.to_dict(),
            "quality": {
                "junk": dict(self.junk.most_common()),
                "accounts": dict(self.accounts.most_common()),
                "match_reasons": dict(self.match_reasons.most_common()),
                "tiers": dict(self.tiers.most_common()),
                "notes": dict(self.notes.most_common()),
            },
        }

    def render(self, console: Console) -> None:
        data = self.to_dict()
        console.print(f"[bold]{data['leads']}[/bold] leads")
        console.print(_table("Outcome", "Leads", data["outcomes"].items()))
        columns = ("Rep", "Leads", "From shared pools", "Expected share", "Deviation")
        reps = Table(*columns, title="Leads per rep")
        for rep, row in data["per_rep"].items():
            share = row["expected"]
            got = row["from_shared_pools"]
            dev = f"{(got - share) / share * 100:+.1f}%" if share else "-"
            reps.add_row(rep, str(row["leads"]), str(got), f"{share:.1f}", dev)
        console.print(reps)
        console.print(_table("Rule", "Leads", data["per_rule"].items()))
        console.print(_table("Pool", "Leads", data["per_pool"].items()))
        if data["unassigned_reasons"]:
            console.print(_table("Unassigned because", "Leads", data["unassigned_reasons"].items()))
        held = data["held"]
        if held["leads"] or data["outcomes"].get("queued"):
            console.print(
                f"Held: {held['leads']} leads assigned after a wait; median "
                f"{human_duration(held['median_seconds'])}, "
                f"p90 {human_duration(held['p90_seconds'])}, "
                f"max {human_duration(held['max_seconds'])}; still queued at the end: "
                f"{data['outcomes'].get('queued', 0)}"
            )
        fair = data["fairness"]
        if fair["rep"] is not None:
            console.print(
                f"Fairness: largest deviation from target share {fair['deviation_percent']:+.1f}% "
                f"({fair['rep']})"
            )
        if self.reassignments:
            console.print(
                f"Leads per rep and per pool include {self.reassignments} SLA reassignments.",
                highlight=False,
            )
        quality = data["quality"]
        if quality["junk"]:
            console.print(_table("Junk because", "Leads", quality["junk"].items()))
        if self.accounts["matched"] or self.accounts["review"]:
            matched = ", ".join(f"{n} by {r}" for r, n in quality["match_reasons"].items())
            console.print(
                f"Accounts: {self.accounts['matched']} leads matched, "
                f"{self.accounts['review']} for review ({matched})",
                highlight=False,
            )
        if quality["notes"]:
            console.print(_table("Noted on leads", "Notes", quality["notes"].items()))
        if quality["tiers"]:
            console.print(_table("Score tier", "Leads", quality["tiers"].items()))
        self.sla.render(console)


def _table(name: str, value: str, rows: Any) -> Table:
    table = Table(name, value)
    for key, n in rows:
        table.add_row(str(key), str(n))
    return table
