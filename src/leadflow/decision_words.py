"""The decision in words: a decision record told as sentences a RevOps person reads.

    enterprise — matched: employees was 1200 (needs ≥ 1000)
    pool enterprise (round robin, reached by rule enterprise)
      Dana Diaz    Away (since 14:02 EST)
    pool general (round robin, overflow from pool enterprise)
      Alice Adams  Cap reached: 12 of 12 today
      Bob Brown    Picked: next in the round robin after Chen Li
      Chen Li      Outside working hours: starts 09:00 Europe/Berlin

`describe(record, policy, known)` is pure: the record (`core.decide` and `explain` show its
shape), the policy version it was made under (for rule conditions, rep names and calendars;
None when unknown: the words then say less, never fail), and `Known`: what the record itself
does not hold but a sentence needs, such as when a rep was set away, found by the caller. The
console shows the result; the CLI could print it. Reason codes it does not know are shown as
they are, so that a new reason in the core is never hidden.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from leadflow.core.calendar import from_epoch, to_epoch
from leadflow.core.conditions import ConditionError, compile_condition
from leadflow.core.policy import Policy

OPS = {
    "eq": "{}",
    "ne": "not {}",
    "in": "one of {}",
    "not_in": "none of {}",
    "gt": "> {}",
    "gte": "≥ {}",
    "lt": "< {}",
    "lte": "≤ {}",
    "contains": "contains {}",
    "starts_with": "starts with {}",
    "ends_with": "ends with {}",
    "matches": "matches {}",
}
STRATEGIES = {
    "round_robin": "round robin",
    "weighted": "weighted round robin",
    "least_loaded": "least loaded",
    "by_field": "named by a lead field",
}
CAP_PERIODS = {"per_day": "today", "per_week": "this week", "open": "open leads"}
ACCOUNT_REASONS = {
    "domain_exact": "same company domain",
    "domain_other_tld": "same domain name under another ending",
    "name_exact": "same company name",
    "ambiguous": "several accounts fit equally",
    "generic_name": "the name is a generic one",
    "domain_conflict": "the lead's domain is not one of the account's",
}
HELD_BECAUSE = {  # what a held pool's members all are, for the one line of a held lead
    "outside_hours": "outside working hours",
    "away": "away",
    "time_off": "on time off",
    "inactive": "inactive",
    "cap_per_day": "at their cap for today",
    "cap_per_week": "at their cap for this week",
    "cap_open": "at their cap of open leads",
    "pool_cap_per_day": "at the pool's cap for today",
    "pool_cap_per_week": "at the pool's cap for this week",
    "pool_cap_open": "at the pool's cap of open leads",
    "skill_missing": "missing a skill the lead needs",
    "previous_owner": "a previous owner of the lead",
}
LEFT = {  # how a rep lost a lead before, for "previous_owner"
    "rejected": "Already rejected this lead",
    "reassigned": "Already had this lead: a manager moved it",
    "sla": "Already had this lead: missed its SLA",
}


class Event(Protocol):
    """A timeline event as `Known.from_timeline` reads it (a `LeadEventRow` is one)."""

    at: datetime
    type: str
    data: dict[str, Any]


@dataclass(frozen=True)
class Known:
    """Facts around a decision that its record does not hold; every part may be empty.

    `away`: when each rep was set away (any order); `time_off`: runtime time off per rep, as
    (start, end) instants, on top of the policy's own; `left`: (when, rep, how) each previous
    owner lost the lead (`rejected`, `reassigned`, `sla`); `zone`: where times are told.
    """

    zone: str = "UTC"
    away: Mapping[str, Sequence[datetime]] = field(default_factory=dict)
    time_off: Mapping[str, Sequence[tuple[datetime, datetime]]] = field(default_factory=dict)
    left: Sequence[tuple[datetime, str, str]] = ()

    @staticmethod
    def lost_by(events: Iterable[Event]) -> list[tuple[datetime, str, str]]:
        """How each previous owner lost the lead, from its timeline (for `left`)."""
        out: list[tuple[datetime, str, str]] = []
        for event in events:
            data = event.data or {}
            if event.type == "rerouted" and data.get("previous_owner"):
                why = "rejected" if data.get("reason") == "rejected" else "reassigned"
                out.append((event.at, str(data["previous_owner"]), why))
            elif event.type == "sla.reassigned" and data.get("frm"):
                out.append((event.at, str(data["frm"]), "sla"))
        return out


@dataclass(frozen=True)
class RuleSaid:
    rule: str
    matched: bool
    why: str  # "employees was 1200 (needs ≥ 1000)"
    then: str | None = None  # what the rule did: "routed to pool enterprise"


@dataclass(frozen=True)
class CandidateSaid:
    rep: str
    name: str
    picked: bool
    eligible: bool
    why: str  # "Cap reached: 12 of 12 today"


@dataclass(frozen=True)
class PoolSaid:
    pool: str
    how: str  # "round robin, reached by rule enterprise"
    candidates: tuple[CandidateSaid, ...]
    result: str  # "Assigned to Bob Brown", "Nobody could take it"
    named: str | None = None  # a by_field pool: which rep the lead's field named


@dataclass(frozen=True)
class AccountSaid:
    id: str
    name: str
    percent: int  # the match's confidence, 0-100
    reasons: tuple[str, ...]
    verdict: str  # "accepted" | "sent to review"


@dataclass(frozen=True)
class DecisionSaid:
    """One decision, told: a headline, then each step as the record has it."""

    outcome: str
    at: datetime
    headline: str
    policy_version: int | None = None
    rules: tuple[RuleSaid, ...] = ()
    pools: tuple[PoolSaid, ...] = ()
    fallback: str | None = None
    merged_into: str | None = None  # the lead id a duplicate was merged into
    account: AccountSaid | None = None
    score: str | None = None
    points: tuple[str, ...] = ()
    cleaning: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # how it came about: by hand, after an SLA breach, from a hold


def describe(record: Mapping[str, Any], policy: Policy | None, known: Known) -> DecisionSaid:
    """The decision record `record`, made under `policy`, in words."""
    at = _instant(record.get("at"))
    words = _Words(policy, known, at, record)
    quality = record.get("quality") or {}
    account = quality.get("account")
    scored = quality.get("score")
    return DecisionSaid(
        outcome=str(record.get("outcome") or ""),
        at=at,
        headline=words.headline(),
        policy_version=(record.get("policy") or {}).get("version"),
        rules=tuple(words.rule(entry) for entry in record.get("rules") or ()),
        pools=tuple(words.pool(entry) for entry in record.get("pools") or ()),
        fallback=words.fallback(record.get("fallback")),
        merged_into=record.get("merged_into"),
        account=_account(account) if isinstance(account, dict) else None,
        score=_score(scored) if isinstance(scored, dict) else None,
        points=_points(scored) if isinstance(scored, dict) else (),
        cleaning=_cleaning(quality.get("cleaned") or {}),
        notes=words.notes(),
    )


def in_one_line(record: Mapping[str, Any], policy: Policy | None) -> str:
    """The decision in one line, for an API answer: "held: every member of pool general is
    outside working hours; the next one starts Mon 09:00 America/New_York"."""
    return _Words(policy, Known(), _instant(record.get("at")), record).line()


class _Words:
    """The sentences of one decision: its policy, what is known around it, and its time."""

    def __init__(
        self, policy: Policy | None, known: Known, at: datetime, record: Mapping[str, Any]
    ) -> None:
        self.policy, self.known, self.at, self.record = policy, known, at, record
        self.saw: Mapping[str, Any] = record.get("saw") or {}

    def name(self, rep: str | None) -> str:
        if rep is None:
            return "nobody"
        found = self.policy.reps.get(rep) if self.policy is not None else None
        return found.name if found is not None and found.name else rep

    # The outcome.

    def headline(self) -> str:
        r = self.record
        outcome, rep, pool = r.get("outcome"), r.get("rep"), r.get("pool")
        rule = r.get("matched_rule")
        if outcome == "assigned":
            if r.get("manual"):
                return f"Assigned by hand to {self.name(rep)}"
            where = [f"by rule {rule}"] if rule else []
            where += [f"from pool {pool}"] if pool else []
            return " ".join([f"Assigned to {self.name(rep)}", *where])
        if outcome == "queued":
            return f"Held for pool {pool}: nobody there could take it yet"
        if outcome == "nurture":
            return f"Sent to nurture ({r.get('reason')})" + (f" by rule {rule}" if rule else "")
        if outcome == "merged":
            by = r.get("matched_by")
            return "Merged into an open lead" + (f" with the same {by}" if by else "")
        if outcome == "unassigned":
            return "Unassigned: " + _unassigned(str(r.get("reason") or "no reason recorded"))
        return str(outcome or "Decided").capitalize()

    def line(self) -> str:
        outcome = self.record.get("outcome")
        if outcome == "queued":
            return "held: " + self._held()
        if outcome == "unassigned":
            return "unassigned: " + _unassigned(str(self.record.get("reason") or "no reason"))
        said = self.headline()
        return said[:1].lower() + said[1:]

    def _held(self) -> str:
        pools = self.record.get("pools") or ()
        entry: Mapping[str, Any] = next(
            (e for e in reversed(pools) if e.get("result") == "held"), {}
        )
        pool = self.record.get("pool") or entry.get("pool")
        out = [c for c in entry.get("candidates") or () if not c.get("eligible")]
        if not out:
            if "field" in entry:
                return f"the lead names no rep of pool {pool}; held until one is named"
            return f"nobody in pool {pool} can take it yet"
        codes = [str(c.get("reason") or "").partition(" ")[0] for c in out]
        why = Counter(HELD_BECAUSE.get(code, code) for code in codes)
        if len(why) == 1 and len(out) > 1:
            said = f"every member of pool {pool} is {next(iter(why))}"
        elif len(why) == 1:
            said = f"the only member of pool {pool}, {self.name(out[0].get('rep'))}, is "
            said += next(iter(why))
        else:
            counts = ", ".join(f"{n} {what}" for what, n in why.most_common())
            said = f"nobody in pool {pool} can take it now ({counts})"
        opens = [self._opens(str(c.get("rep"))) for c, code in zip(out, codes, strict=True)]
        first = min(
            (o for o, code in zip(opens, codes, strict=True) if o and code == "outside_hours"),
            default=None,
        )
        if first is not None:
            said += f"; the next one starts {self._starts(*first)}"
        return said

    def notes(self) -> tuple[str, ...]:
        r = self.record
        out = []
        manual = r.get("manual")
        if isinstance(manual, dict):
            was = f" from {self.name(manual['from'])}" if manual.get("from") else ""
            out.append(f"{manual.get('by')} moved it{was} to {self.name(manual.get('to'))}.")
        moved = r.get("sla_reassign")
        if isinstance(moved, dict):
            was = self.name(moved.get("from"))
            how = " to the overflow: its reassignments ran out" if moved.get("to_overflow") else ""
            out.append(f"Reassigned after {was} missed the SLA{how}.")
        if r.get("held_for"):
            out.append(f"Placed from the hold of pool {r['held_for']} once someone could take it.")
        return tuple(out)

    # Rules.

    def rule(self, entry: Mapping[str, Any]) -> RuleSaid:
        name, matched = str(entry.get("rule")), bool(entry.get("matched"))
        source = self._condition(name)
        if source is None and not entry.get("reads"):
            why = "always applies"
        elif source is not None:
            leaves = _leaves(source, self.saw, self.policy)
            shown = [leaf for leaf in leaves if leaf[2] is matched] or leaves
            why = ", ".join(f"{was} (needs {needs})" for was, needs, _ in shown)
        else:
            why = ", ".join(_was(self.saw, path) for path in entry["reads"])
        return RuleSaid(name, matched, why, self._then(entry) if matched else None)

    def _condition(self, rule: str) -> Any:
        if self.policy is None:
            return None
        found = next((r for r in self.policy.rules if r.name == rule), None)
        return found.when.source if found is not None and found.when is not None else None

    def _then(self, entry: Mapping[str, Any]) -> str | None:
        action = entry.get("action") or {}
        result = str(entry.get("result") or "")
        said = None
        if "route" in action:
            said = f"routed to pool {action['route']}"
        elif "nurture" in action:
            said = f"sent to nurture ({action['nurture']})"
        elif "assign" in action:
            verdict = entry.get("assign") or {}
            rep = verdict.get("rep")
            if rep is None:
                said = f"assign to {action['assign']}: {_no_rep(verdict.get('reason'))}"
            elif verdict.get("eligible"):
                said = f"assigned to {self.name(rep)}"
            else:
                why = self.reason(rep, str(verdict.get("reason")))
                said = f"assign to {self.name(rep)}: {why[:1].lower()}{why[1:]}"
        if result == "exhausted":
            said = f"{said}; nobody there or in its overflow could take it"
        elif result.startswith("not_placed"):
            said = f"{said}; it placed nothing, so the next rule was tried"
        return said

    # Pools and candidates.

    def pool(self, entry: Mapping[str, Any]) -> PoolSaid:
        strategy = str(entry.get("strategy") or "")
        how = f"{STRATEGIES.get(strategy, strategy)}, {_via(str(entry.get('via') or ''))}"
        named = None
        if "field" in entry:
            ((path, value),) = (entry["field"] or {"?": None}).items()
            rep = entry.get("named_rep")
            named = f"The lead's {path} was {_value(value)}" + (
                f": {self.name(rep)}" if rep else ", which names no rep of this pool"
            )
        picked = entry.get("picked")
        cands = tuple(
            self.candidate(entry, c, picked, strategy) for c in entry.get("candidates") or ()
        )
        result = {
            "assigned": f"Assigned to {self.name(picked)}",
            "held": "Nobody could take it: held for this pool until someone can",
            "exhausted": "Nobody could take it",
            "not_placed": "Nobody could take it: the rule placed nothing",
        }.get(str(entry.get("result")), str(entry.get("result") or ""))
        if not cands and not named:
            result = "Nobody to consider: the pool has no members"
        return PoolSaid(str(entry.get("pool")), how, cands, result, named)

    def candidate(
        self, entry: Mapping[str, Any], c: Mapping[str, Any], picked: Any, strategy: str
    ) -> CandidateSaid:
        rep = str(c.get("rep"))
        if rep == picked:
            why = self._picked(entry, rep, strategy)
        elif c.get("eligible"):
            why = self._not_picked(entry, rep, picked, strategy)
        else:
            why = self.reason(rep, str(c.get("reason")))
        return CandidateSaid(rep, self.name(rep), rep == picked, bool(c.get("eligible")), why)

    def _picked(self, entry: Mapping[str, Any], rep: str, strategy: str) -> str:
        before = entry.get("state_before") or {}
        if strategy == "round_robin":
            last = before.get("last")
            said = (
                f"Picked: next in the round robin after {self.name(last)}"
                if last and last != rep
                else "Picked: next in the round robin"
            )
        elif strategy == "weighted":
            said = "Picked: next in the weighted rotation"
            if "position" in before and before.get("slots"):
                said += f" (slot {before['position'] + 1} of {before['slots']})"
        elif strategy == "least_loaded":
            opened = (before.get("open") or {}).get(rep)
            said = "Picked: fewest open leads" + (f" ({opened})" if opened is not None else "")
        elif strategy == "by_field":
            said = "Picked: the rep the lead names"
        else:
            said = "Picked"
        tie = entry.get("tie_break")
        if tie:
            said += f"; tie broken by {str(tie).rpartition(': ')[2]}"
        return said

    def _not_picked(self, entry: Mapping[str, Any], rep: str, picked: Any, strategy: str) -> str:
        if strategy == "least_loaded":
            loads = (entry.get("state_before") or {}).get("open") or {}
            if rep in loads and picked in loads:
                return (
                    f"Could take it, but had {loads[rep]} open leads "
                    f"({self.name(picked)} had {loads[picked]})"
                )
        if strategy == "round_robin":
            return "Could take it, but was not next in the round robin"
        if strategy == "weighted":
            return "Could take it, but it was not their turn in the weighted rotation"
        return "Could take it, but was not picked"

    def reason(self, rep: str, reason: str) -> str:
        """One exclusion reason in words."""
        code, _, detail = reason.partition(" ")
        if code == "away":
            since = self._latest(self.known.away.get(rep, ()))
            return "Away" + (f" (since {self._when(since)})" if since else "")
        if code == "time_off":
            until = self._time_off_end(rep)
            return "On time off" + (f" (back {self._when(until)})" if until else "")
        if code == "outside_hours":
            return self._outside_hours(rep)
        if code == "inactive":
            return "Inactive: not taking leads"
        if code.startswith(("cap_", "pool_cap_")):
            return _cap(code, detail)
        if code == "skill_missing":
            return _skills(detail)
        if code == "previous_owner":
            lost = [how for at, who, how in self.known.left if who == rep and at <= self.at]
            return LEFT.get(lost[-1], "Already had this lead") if lost else "Already had this lead"
        if code == "unknown_rep":
            return "Not a rep of the policy"
        return reason

    def _outside_hours(self, rep: str) -> str:
        found = self.policy.reps.get(rep) if self.policy is not None else None
        calendars = self.policy.calendars if self.policy is not None else {}
        if found is None or calendars.get(found.calendar or "") is None:
            return "Outside working hours"
        opens = self._opens(rep)
        if opens is None:
            return "Outside working hours: no working time in the next 400 days"
        return f"Outside working hours: starts {self._starts(*opens)}"

    def _opens(self, rep: str) -> tuple[float, str] | None:
        """When the rep's working time next starts (an epoch second) and in which zone."""
        found = self.policy.reps.get(rep) if self.policy is not None else None
        calendars = self.policy.calendars if self.policy is not None else {}
        calendar = calendars.get(found.calendar or "") if found is not None else None
        if calendar is None:
            return None
        opens = calendar.next_open(to_epoch(self.at))
        return None if opens is None else (opens, calendar.timezone)

    def _starts(self, opens: float, zone: str) -> str:
        """`09:00 Europe/Berlin` today, `Mon 09:00 ...` within the week, else `Jan 5, 09:00`."""
        starts = from_epoch(opens, zone)
        days = (starts.date() - self.at.astimezone(ZoneInfo(zone)).date()).days
        day = (
            "" if days == 0 else starts.strftime("%a ") if days < 7 else starts.strftime("%b %-d, ")
        )
        return f"{day}{starts:%H:%M} {zone}"

    def _time_off_end(self, rep: str) -> datetime | None:
        t = to_epoch(self.at)
        found = self.policy.reps.get(rep) if self.policy is not None else None
        ends = [from_epoch(p.end) for p in (found.time_off if found else ()) if p.covers(t)]
        ends += [end for start, end in self.known.time_off.get(rep, ()) if start <= self.at < end]
        return max(ends) if ends else None

    def _latest(self, times: Iterable[datetime]) -> datetime | None:
        before = [t for t in times if t <= self.at]
        return max(before) if before else None

    def _when(self, moment: datetime) -> str:
        """A time in the viewer's zone: "14:02 EST" on the decision's day, else with the date."""
        zone = ZoneInfo(self.known.zone)
        shown, ref = moment.astimezone(zone), self.at.astimezone(zone)
        fmt = "%H:%M" if shown.date() == ref.date() else "%b %-d, %H:%M"
        return f"{shown.strftime(fmt)} {shown.tzname()}"

    def fallback(self, fallback: Any) -> str | None:
        if not isinstance(fallback, dict):
            return None
        pool = fallback.get("pool")
        why = {
            "no_rule_matched": "No rule placed the lead",
            "pools_exhausted": "Nobody in the rule's pools could take it",
            "sla_reassign": "The SLA reassignment found nobody in the lead's pool",
        }.get(str(fallback.get("reason")), str(fallback.get("reason")))
        if pool is None:
            return f"{why}, and the policy has no fallback pool."
        return f"{why}: the policy's fallback pool {pool} was tried."


def _leaves(
    source: Any, saw: Mapping[str, Any], policy: Policy | None = None
) -> list[tuple[str, str, bool]]:
    """The simple conditions inside `source`: (what the lead had, what it needs, whether it
    held), such as ("employees was 40", "≥ 1000", False)."""
    out: list[tuple[str, str, bool]] = []
    if not isinstance(source, Mapping):
        return out
    for key, value in source.items():
        if key in ("all", "any") and isinstance(value, list):
            for part in value:
                out.extend(_leaves(part, saw, policy))
        elif key == "not" and isinstance(value, Mapping):
            out.extend((w, f"not {n}", not held) for w, n, held in _leaves(value, saw, policy))
        elif key == "territory":
            names = [value] if isinstance(value, str) else [str(v) for v in value]
            known = policy.territories if policy is not None else {}
            paths = [p for name in names if name in known for p in known[name].paths]
            was = ", ".join(_was(saw, p) for p in dict.fromkeys(paths)) or "its fields"
            needs = f"territory {' or '.join(names)}"
            out.append((was, needs, _holds({key: value}, saw, policy)))
        elif isinstance(value, Mapping):
            for op, arg in value.items():
                held = _holds({key: {op: arg}}, saw, policy)
                out.append((_was(saw, key), _needs(str(op), arg), held))
        else:
            needs = _needs("in" if isinstance(value, list) else "eq", value)
            out.append((_was(saw, key), needs, _holds({key: value}, saw, policy)))
    return out


def _needs(op: str, arg: Any) -> str:
    if op == "exists":
        return "a value" if arg else "no value"
    if op == "between" and isinstance(arg, list) and len(arg) == 2:
        return f"between {_value(arg[0])} and {_value(arg[1])}"
    shown = ", ".join(_value(a) for a in arg) if isinstance(arg, list) else _value(arg)
    return OPS.get(op, op + " {}").format(shown)


def _holds(condition: Mapping[str, Any], saw: Mapping[str, Any], policy: Policy | None) -> bool:
    """Whether one simple condition held for the values the decision saw."""
    try:
        compiled = compile_condition(condition, policy.territories if policy else None)
    except ConditionError:
        return False
    return compiled.test(_nested(saw))


def _nested(saw: Mapping[str, Any]) -> dict[str, Any]:
    """Dotted paths as nested fields: {"account.owner": "x"} -> {"account": {"owner": "x"}}."""
    out: dict[str, Any] = {}
    for path, value in saw.items():
        *parents, last = path.split(".")
        at = out
        for part in parents:
            at = at.setdefault(part, {})
            if not isinstance(at, dict):
                break
        else:
            at[last] = value
    return out


def _was(saw: Mapping[str, Any], path: str) -> str:
    value = saw.get(path)
    return f"{path} was " + ("not given" if value is None or value == "" else _value(value))


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value)
    if value is None:
        return "not given"
    return str(value)


def _via(via: str) -> str:
    kind, _, name = via.partition(":")
    return {
        "rule": f"reached by rule {name}",
        "overflow": f"overflow from pool {name}",
        "else": f"the else pool of rule {name}",
        "fallback": "the policy's fallback",
        "held": "a held lead tried again",
        "sla_reassign": "reassignment after a missed SLA",
    }.get(kind, via)


def _cap(code: str, detail: str) -> str:
    count, _, limit = detail.partition("/")
    pool = code.startswith("pool_")
    period = code.removeprefix("pool_cap_").removeprefix("cap_")
    what = CAP_PERIODS.get(period, period)
    head = "Pool cap reached" if pool else "Cap reached"
    tail = " from this pool" if pool and period != "open" else ""
    if period == "open" and pool:
        what = "open leads from this pool"
    return f"{head}: {count} of {limit} {what}{tail}"


def _skills(detail: str) -> str:
    parts = [" or ".join(p.split("|")) if "|" in p else p for p in detail.split(",") if p]
    label = "Missing skill" if len(parts) == 1 else "Missing skills"
    return f"{label}: {', '.join(parts)}" if parts else "Missing a skill"


def _no_rep(reason: Any) -> str:
    text = str(reason or "")
    if text.startswith("no rep in "):
        return f"the lead's {text.removeprefix('no rep in ')} names no rep"
    return "no such rep" if text == "unknown_rep" else text


def _unassigned(reason: str) -> str:
    code, _, rest = reason.partition(": ")
    lead = {
        "no_rule_matched": "no rule placed the lead",
        "pools_exhausted": "nobody in the rule's pools could take it",
    }.get(code)
    return f"{lead}; {rest}" if lead and rest else lead or reason


def _account(match: Mapping[str, Any]) -> AccountSaid:
    reasons = []
    for code in match.get("reasons") or ():
        text = str(code)
        if text.startswith("name_fuzzy:"):
            reasons.append(f"a close company name ({round(float(text.partition(':')[2]) * 100)}%)")
        else:
            reasons.append(ACCOUNT_REASONS.get(text, text))
    verdict = "accepted" if match.get("verdict") == "accept" else "sent to review"
    score = float(match.get("score") or 0)
    return AccountSaid(
        str(match.get("id")), str(match.get("name")), round(score * 100), tuple(reasons), verdict
    )


def _score(scored: Mapping[str, Any]) -> str:
    said = f"Score {_value(scored.get('score'))}"
    said += f" (fit {_value(scored.get('fit'))}, intent {_value(scored.get('intent'))})"
    return said + (f", tier {scored['tier']}" if scored.get("tier") else ", no tier")


def _points(scored: Mapping[str, Any]) -> tuple[str, ...]:
    out = []
    for p in scored.get("points") or ():
        points = float(p.get("points") or 0)
        sign = "+" if points >= 0 else "−"
        out.append(f"{p.get('rule')}: {sign}{_value(abs(points))} {p.get('kind')}")
    return tuple(out)


def _cleaning(cleaned: Mapping[str, Any]) -> tuple[str, ...]:
    out = [f"{name}: {why}" for name, why in (cleaned.get("problems") or {}).items()]
    cleared = cleaned.get("cleared") or ()
    if cleared:
        out.append("Placeholder values removed: " + ", ".join(map(str, cleared)))
    out.extend(
        f"{name} taken from the {how}" for name, how in (cleaned.get("inferred") or {}).items()
    )
    return tuple(out)


def _instant(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return datetime.fromtimestamp(0, UTC)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.fromtimestamp(0, UTC)
