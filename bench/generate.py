"""Generate a realistic, deterministic data set for the simulation benchmark.

A B2B company selling in North America and Europe, two months of inbound leads:

- a policy of 200 reps in five teams (New York, Chicago, Los Angeles, London, Berlin calendars
  with lunch breaks and public holidays), 40 pools over all four strategies with overflow
  chains, and 50 rules in the order a RevOps team writes them (screens, owners, strategic
  accounts, enterprise by region, verticals, languages, mid-market, SMB), so that a typical
  lead is tested against 10 to 40 rules before one places it;
- leads as CSV, arriving over 60 days with busy mornings, quiet nights, weekends and holidays;
- events as JSONL: reps going away and back, caps and time off changing, and ~10% of leads
  won, lost or closed.

Everything comes from `random.Random(seed)`: the same arguments always write the same bytes.
Rep ids depend only on the number of reps, so leads and events agree with any policy of that
size. Usage:

    .venv/bin/python bench/generate.py --leads 100000 --out bench/.data
"""

from __future__ import annotations

import argparse
import csv
import math
import random
from bisect import bisect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import yaml

SEED = 20261102
START = datetime(2026, 11, 2)  # a Monday; the 60 days hold Thanksgiving and Christmas
DAYS = 60
TIMEZONE = "America/New_York"  # the policy's; lead and event times are wall time here

LEAD_COLUMNS = [
    "id",
    "received_at",
    "email",
    "company",
    "country",
    "state",
    "industry",
    "employees",
    "score",
    "language",
    "source",
    "existing_owner",
    "requested_rep",
    "account.owner",
]


def _words(text: str) -> list[str]:
    return text.split()


# Teams: (name, calendar, share of the reps)
TEAMS = [
    ("east", "us-east", 0.275),
    ("central", "us-central", 0.175),
    ("west", "us-west", 0.20),
    ("uk", "uk", 0.20),
    ("dach", "dach", 0.15),
]
US_TEAMS = ("east", "central", "west")
EMEA_TEAMS = ("uk", "dach")

FIRST = _words(
    "ana ben carla dev emma farid gina hank ines jon kai lena mo nina omar pia quinn rosa sam "
    "tess uma vic wes xena yusuf zoe aaron bea cyrus dora eli fay greta hugo ivy jack kim leo "
    "mia noah"
)
LAST = _words(
    "adams brown chen diaz evans fischer gruber hall ito jensen khan lopez meyer ng okafor petrov "
    "quist rossi silva tanaka ueda varga weber xu young zimmer garcia muller smith dubois novak "
    "kowalski larsen moreau berg costa haas iyer jung klein"
)
HOLIDAY_LIKE = {date(2026, 11, 26), date(2026, 11, 27), date(2026, 12, 24), date(2026, 12, 25)}


# Small helpers


def _picker(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Callable[[], Any]:
    """A fast weighted choice: one `random()` and one bisect per call."""
    items = [item for item, _ in weighted]
    cum: list[float] = []
    total = 0.0
    for _, weight in weighted:
        total += weight
        cum.append(total)
    rand = rng.random
    last = len(items) - 1
    return lambda: items[min(bisect(cum, rand() * total), last)]


def rep_ids(reps: int = 200) -> list[tuple[str, str]]:
    """(rep id, team) for every rep, in policy order; the same for every seed."""
    if reps < 100:
        raise ValueError(f"the benchmark policy needs at least 100 reps, got {reps}")
    sizes = [int(reps * share) for _, _, share in TEAMS]
    sizes[0] += reps - sum(sizes)
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    i = 0
    for (team, _, _), size in zip(TEAMS, sizes, strict=True):
        for _ in range(size):
            first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST) + 7 * i) % len(LAST)]
            rep = f"{first}.{last}"
            n = 2
            while rep in seen:
                rep, n = f"{first}.{last}{n}", n + 1
            seen.add(rep)
            out.append((rep, team))
            i += 1
    return out


def rep_email(rep: str) -> str:
    return f"{rep}@acme.example"


# The policy


@dataclass
class _Rep:
    id: str
    team: str
    skills: set[str] = field(default_factory=set)
    manager: bool = False
    active: bool = True
    doc: dict[str, Any] = field(default_factory=dict)


CALENDARS: dict[str, dict[str, Any]] = {
    "us-east": {
        "timezone": "America/New_York",
        "hours": {"mon-fri": ["09:00-12:30", "13:30-17:30"]},
        "holidays": "US",
        "exceptions": {"2026-11-27": ["09:00-13:00"], "2026-12-24": ["09:00-12:00"]},
    },
    "us-central": {
        "timezone": "America/Chicago",
        "hours": {"mon-fri": ["08:30-12:00", "13:00-17:00"]},
        "holidays": "US-TX",
        "exceptions": {"2026-12-24": []},
    },
    "us-west": {
        "timezone": "America/Los_Angeles",
        "hours": {"mon-thu": ["08:00-12:00", "12:45-17:00"], "fri": ["08:00-15:00"]},
        "holidays": "US-CA",
    },
    "uk": {
        "timezone": "Europe/London",
        "hours": {"mon-thu": ["09:00-12:30", "13:30-17:30"], "fri": ["09:00-16:00"]},
        "holidays": "GB",
        "exceptions": {"2026-12-24": ["09:00-13:00"], "2026-12-31": ["09:00-13:00"]},
    },
    "dach": {
        "timezone": "Europe/Berlin",
        "hours": {"mon-fri": ["08:30-12:00", "13:00-17:00"]},
        "holidays": ["DE-BY", "AT"],
        "exceptions": {"2026-12-24": [], "2026-12-31": []},
    },
}

TERRITORIES: dict[str, Any] = {
    "northeast": {"country": "US", "state": _words("ME NH VT MA RI CT NY NJ PA")},
    "southeast": {"country": "US", "state": _words("DE MD DC VA WV NC SC GA FL AL MS TN KY")},
    "central": {
        "country": "US",
        "state": _words("OH MI IN IL WI MN IA MO ND SD NE KS OK TX AR LA"),
    },
    "west": {"country": "US", "state": _words("WA OR CA NV AZ UT CO ID MT WY NM AK HI")},
    "canada": {"country": "CA"},
    "uk-ireland": {"country": ["GB", "IE"]},
    "dach": {"country": ["DE", "AT", "CH"]},
    "benelux": {"country": ["NL", "BE", "LU"]},
    "nordics": {"country": ["SE", "DK", "NO", "FI", "IS"]},
    "southern-europe": {"country": ["ES", "IT", "PT", "GR"]},
    "latam": {"country": ["BR", "MX", "AR", "CO", "CL"]},
    "apac": {"country": ["AU", "NZ", "JP", "SG", "IN"]},
}

LANGUAGE_SKILLS = {  # per team: (skill, share of the team's reps)
    "east": [("es", 0.12), ("pt", 0.03)],
    "central": [("es", 0.25)],
    "west": [("es", 0.22), ("pt", 0.06)],
    "uk": [("fr", 0.15), ("nl", 0.10), ("it", 0.06), ("es", 0.05)],
    "dach": [("de", 0.85), ("fr", 0.10), ("nl", 0.05)],
}

# Pools: name -> (strategy, teams, size, required skills, overflow, extra keys).
# Required skills: fixed names, or "from:FIELD"; members are drawn from reps who have them
# (a language pool: any of `LANGUAGE_POOLS[name]`).
POOLS: list[tuple[str, str, tuple[str, ...], int, list[str], str | None, dict[str, Any]]] = [
    ("ent-east", "weighted", ("east",), 8, ["enterprise"], "mm-east", {}),
    ("ent-central", "weighted", ("central",), 6, ["enterprise"], "mm-central", {}),
    ("ent-west", "weighted", ("west",), 7, ["enterprise"], "mm-west", {}),
    ("ent-uk", "weighted", ("uk",), 6, ["enterprise"], "mm-uk", {}),
    ("ent-dach", "weighted", ("dach",), 5, ["enterprise"], None, {"when_unavailable": "hold"}),
    ("strategic-health", "least_loaded", ("east", "west"), 5, ["healthcare"], "ent-east", {}),
    ("strategic-finance", "least_loaded", ("east",), 5, ["finance"], "ent-east", {}),
    ("public-sector", "round_robin", ("east", "central"), 4, ["public-sector"], "mm-east", {}),
    ("healthcare-mm", "least_loaded", ("central", "west"), 6, ["healthcare"], "mm-central", {}),
    ("fintech", "round_robin", ("uk",), 5, ["finance"], "mm-uk", {}),
    ("mm-east", "round_robin", ("east",), 10, [], "smb-east", {}),
    ("mm-central", "round_robin", ("central",), 8, [], "smb-central", {}),
    ("mm-west", "round_robin", ("west",), 9, [], "smb-west", {}),
    ("mm-uk", "round_robin", ("uk",), 8, [], "smb-uk", {}),
    ("mm-dach", "round_robin", ("dach",), 7, [], "smb-dach", {}),
    ("smb-east", "least_loaded", ("east",), 10, [], "us-general", {}),
    ("smb-central", "least_loaded", ("central",), 9, [], "us-general", {}),
    ("smb-west", "least_loaded", ("west",), 10, [], "us-general", {}),
    ("smb-uk", "least_loaded", ("uk",), 10, [], "emea-general", {}),
    ("smb-dach", "least_loaded", ("dach",), 8, [], "emea-general", {}),
    ("spanish-us", "least_loaded", US_TEAMS, 6, ["from:language"], "smb-central", {}),
    (
        "latam",
        "least_loaded",
        US_TEAMS,
        5,
        ["from:language"],
        "spanish-us",
        {"respect_hours": False},
    ),
    (
        "french",
        "least_loaded",
        EMEA_TEAMS,
        4,
        ["from:language"],
        None,
        {"when_unavailable": "hold"},
    ),
    ("german", "round_robin", ("dach",), 6, ["from:language"], "smb-dach", {}),
    ("benelux", "round_robin", EMEA_TEAMS, 3, ["nl"], "emea-general", {}),
    ("nordics", "round_robin", ("uk",), 4, [], "emea-general", {}),
    ("southern-europe", "weighted", ("uk",), 4, [], "emea-general", {}),
    ("canada", "round_robin", ("east",), 5, [], "mm-east", {}),
    ("apac", "round_robin", ("west",), 5, [], "night-desk", {"respect_hours": False}),
    ("partners", "weighted", US_TEAMS, 6, [], "us-general", {}),
    ("requested", "by_field", (), 0, [], None, {"field": "requested_rep"}),
    ("account-team", "by_field", EMEA_TEAMS, 10, [], "emea-general", {"field": "account.owner"}),
    ("inbound-chat", "round_robin", ("east",), 6, [], "smb-east", {}),
    ("trials", "least_loaded", ("east", "west"), 8, [], "us-general", {}),
    ("webinar-followup", "least_loaded", US_TEAMS, 8, [], "us-general", {}),
    ("events-team", "weighted", US_TEAMS, 5, [], "us-general", {}),
    ("customer-success", "least_loaded", US_TEAMS, 6, [], "us-general", {}),
    ("emea-general", "round_robin", EMEA_TEAMS, 10, [], None, {"when_unavailable": "hold"}),
    ("us-general", "round_robin", US_TEAMS, 10, [], "night-desk", {}),
    ("night-desk", "round_robin", ("west", "east"), 6, [], None, {"respect_hours": False}),
]
LANGUAGE_POOLS = {
    "spanish-us": {"es"},
    "latam": {"es", "pt"},
    "french": {"fr"},
    "german": {"de"},
}

COMPETITORS = ["Leandata Inc", "Chili Piper", "Distribution Engine", "Routeco"]
FREEMAIL = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com"]


def _all(*conds: Any) -> dict[str, Any]:
    return {"all": list(conds)}


def _big(territory: str | list[str], employees: int = 1000, score: int = 60) -> dict[str, Any]:
    return _all(
        {"territory": territory}, {"employees": {"gte": employees}}, {"score": {"gte": score}}
    )


def _mid(territory: str | list[str]) -> dict[str, Any]:
    return _all({"territory": territory}, {"employees": {"between": [200, 999]}})


# The rules, in the order a RevOps team would keep them: cheap screens, owners, strategic
# accounts, enterprise by region, verticals and channels, languages, mid-market, SMB.
RULES: list[dict[str, Any]] = [
    {
        "name": "test-and-junk",
        "when": {
            "any": [
                {"email": {"ends_with": "@example.invalid"}},
                {"company": {"matches": "^(test|asdf|qwerty)\\b"}},
            ]
        },
        "nurture": "junk-review",
    },
    {"name": "competitors", "when": {"company": COMPETITORS}, "nurture": "competitors"},
    {"name": "no-email", "when": {"email": {"exists": False}}, "nurture": "needs-enrichment"},
    {
        "name": "existing-owner",
        "when": {"existing_owner": {"exists": True}},
        "assign": "existing_owner",
        "else": "customer-success",
    },
    {
        "name": "emea-account-team",
        "when": _all(
            {"account.owner": {"exists": True}},
            {"territory": ["uk-ireland", "dach", "benelux", "nordics", "southern-europe"]},
        ),
        "route": "account-team",
    },
    {
        "name": "account-owner",
        "when": {"account.owner": {"exists": True}},
        "assign": "account_owner",
        "respect_hours": False,
    },
    {"name": "requested-rep", "when": {"requested_rep": {"exists": True}}, "route": "requested"},
    {
        "name": "students",
        "when": _all(
            {"email": {"ends_with": ".edu"}},
            {"industry": "education"},
            {"employees": {"lt": 50}},
        ),
        "nurture": "students",
    },
    {
        "name": "partner-sourced",
        "when": _all({"source": "partner"}, {"score": {"gte": 40}}),
        "route": "partners",
    },
    {
        "name": "strategic-healthcare",
        "when": _all(
            {"industry": "healthcare"},
            {"employees": {"gte": 5000}},
            {"country": ["US", "CA"]},
        ),
        "route": "strategic-health",
    },
    {
        "name": "strategic-finance",
        "when": _all({"industry": ["finance", "insurance"]}, {"employees": {"gte": 5000}}),
        "route": "strategic-finance",
    },
    {
        "name": "public-sector",
        "when": _all(
            {"industry": "public-sector"}, {"country": "US"}, {"not": {"source": "paid-social"}}
        ),
        "route": "public-sector",
    },
    {"name": "very-low-fit", "when": {"score": {"lt": 12}}, "nurture": "low-fit"},
    {
        "name": "freemail-tiny",
        "when": _all(
            {"any": [{"email": {"ends_with": f"@{domain}"}} for domain in FREEMAIL]},
            {"not": {"employees": {"gte": 50}}},
        ),
        "nurture": "freemail",
    },
    {"name": "enterprise-northeast", "when": _big("northeast"), "route": "ent-east"},
    {"name": "enterprise-southeast", "when": _big("southeast"), "route": "ent-east"},
    {"name": "enterprise-central", "when": _big("central"), "route": "ent-central"},
    {"name": "enterprise-west", "when": _big("west"), "route": "ent-west"},
    {"name": "enterprise-canada", "when": _big("canada", score=50), "route": "ent-east"},
    {"name": "enterprise-uki", "when": _big("uk-ireland"), "route": "ent-uk"},
    {"name": "enterprise-dach", "when": _big("dach", score=55), "route": "ent-dach"},
    {
        "name": "enterprise-rest-of-europe",
        "when": _big(["benelux", "nordics", "southern-europe"], score=50),
        "route": "ent-uk",
    },
    {
        "name": "healthcare-midmarket",
        "when": _all(
            {"industry": "healthcare"},
            {"employees": {"between": [200, 4999]}},
            {"country": "US"},
        ),
        "route": "healthcare-mm",
    },
    {
        "name": "fintech-uk",
        "when": _all(
            {"territory": "uk-ireland"},
            {"any": [{"industry": "finance"}, {"company": {"contains": "bank"}}]},
        ),
        "route": "fintech",
    },
    {
        "name": "webinar-drip",
        "when": _all({"source": "webinar"}, {"score": {"lt": 35}}),
        "nurture": "webinar-drip",
    },
    {
        "name": "chat-inbound",
        "when": _all({"source": "chat"}, {"country": ["US", "CA"]}, {"score": {"gte": 30}}),
        "route": "inbound-chat",
    },
    {
        "name": "product-trials",
        "when": _all(
            {"source": "product-trial"}, {"score": {"gte": 45}}, {"country": {"in": ["US", "CA"]}}
        ),
        "route": "trials",
    },
    {
        "name": "event-followup",
        "when": _all({"source": "event"}, {"score": {"gte": 30}}, {"country": ["US", "CA"]}),
        "route": "events-team",
    },
    {"name": "latam", "when": {"territory": "latam"}, "route": "latam"},
    {"name": "apac", "when": {"territory": "apac"}, "route": "apac"},
    {
        "name": "spanish-us",
        "when": _all({"language": "es"}, {"country": "US"}),
        "route": "spanish-us",
    },
    {
        "name": "german-speaking",
        "when": _all(
            {"language": "de"}, {"territory": "dach"}, {"not": {"employees": {"gte": 200}}}
        ),
        "route": "german",
    },
    {
        "name": "french-speaking",
        "when": _all({"language": "fr"}, {"not": {"territory": "dach"}}),
        "route": "french",
    },
    {"name": "benelux", "when": {"territory": "benelux"}, "route": "benelux"},
    {"name": "nordics", "when": {"territory": "nordics"}, "route": "nordics"},
    {
        "name": "southern-europe",
        "when": {"territory": "southern-europe"},
        "route": "southern-europe",
    },
    {"name": "low-fit", "when": {"score": {"lt": 30}}, "nurture": "low-fit"},
    {"name": "midmarket-northeast", "when": _mid("northeast"), "route": "mm-east"},
    {"name": "midmarket-southeast", "when": _mid("southeast"), "route": "mm-east"},
    {"name": "midmarket-central", "when": _mid("central"), "route": "mm-central"},
    {"name": "midmarket-west", "when": _mid("west"), "route": "mm-west"},
    {
        "name": "midmarket-uki",
        "when": _all({"territory": "uk-ireland"}, {"employees": {"gte": 200}}),
        "route": "mm-uk",
    },
    {
        "name": "midmarket-dach",
        "when": _all({"territory": "dach"}, {"employees": {"gte": 200}}),
        "route": "mm-dach",
    },
    {"name": "canada", "when": {"territory": "canada"}, "route": "canada"},
    {"name": "smb-east", "when": {"territory": ["northeast", "southeast"]}, "route": "smb-east"},
    {"name": "smb-central", "when": {"territory": "central"}, "route": "smb-central"},
    {"name": "smb-west", "when": {"territory": "west"}, "route": "smb-west"},
    {"name": "smb-uki", "when": {"territory": "uk-ireland"}, "route": "smb-uk"},
    {"name": "smb-dach", "when": {"territory": "dach"}, "route": "smb-dach"},
    {
        "name": "us-without-state",
        "when": _all({"country": "US"}, {"state": {"exists": False}}, {"source": {"ne": "chat"}}),
        "route": "us-general",
    },
]


def build_policy(
    reps: int = 200, pools: int = 40, rules: int = 50, seed: int = SEED
) -> dict[str, Any]:
    """The policy document as data; more pools or rules than the template adds campaign ones."""
    if pools < len(POOLS) or rules < len(RULES):
        raise ValueError(
            f"the benchmark policy has at least {len(POOLS)} pools and {len(RULES)} rules"
        )
    rng = random.Random(seed)
    people = _reps(rng, reps)
    pool_docs = _pools(rng, people)
    rule_docs = [dict(rule) for rule in RULES]
    _add_campaigns(rng, pool_docs, rule_docs, people, pools, rules)
    return {
        "version": 1,
        "timezone": TIMEZONE,
        "calendars": CALENDARS,
        "territories": TERRITORIES,
        "reps": [_rep_doc(rep) for rep in people],
        "pools": pool_docs,
        "rules": rule_docs,
        "fallback": "us-general",
    }


def _reps(rng: random.Random, n: int) -> list[_Rep]:
    people = [_Rep(rep, team) for rep, team in rep_ids(n)]
    calendars = {team: calendar for team, calendar, _ in TEAMS}
    managers: dict[str, str] = {}
    for rep in people:
        if rep.team not in managers:  # each team's first rep manages it and takes no leads
            managers[rep.team] = rep.id
            rep.manager, rep.active = True, False
    workers = [rep for rep in people if not rep.manager]
    for rep in rng.sample(workers, 2):  # left the company, still listed in pools
        rep.active = False
    for rep in people:
        if rep.manager:
            rep.doc = {"calendar": calendars[rep.team]}
            continue
        if rng.random() < 0.25:
            rep.skills.add("enterprise")
        for skill, share in (("healthcare", 0.12), ("finance", 0.12), ("public-sector", 0.06)):
            if rng.random() < share:
                rep.skills.add(skill)
        for skill, share in LANGUAGE_SKILLS[rep.team]:
            if rng.random() < share:
                rep.skills.add(skill)
        doc: dict[str, Any] = {"calendar": calendars[rep.team], "manager": managers[rep.team]}
        caps: dict[str, int] = {}
        if rng.random() < 0.40:
            caps["per_day"] = rng.randrange(60, 221, 10)
        if rng.random() < 0.25:
            caps["open"] = rng.randrange(2000, 6001, 250)
        if caps:
            doc["caps"] = caps
        if rng.random() < 0.15:
            doc["time_off"] = [_time_off(rng) for _ in range(rng.choice((1, 1, 2)))]
        rep.doc = doc
    return people


def _time_off(rng: random.Random) -> dict[str, str]:
    day = START.date() + timedelta(days=rng.randrange(DAYS))
    if rng.random() < 0.3:  # part of a day: a dentist, a school play
        hour = rng.choice((9, 10, 13, 14))
        start = datetime.combine(day, datetime.min.time()) + timedelta(hours=hour)
        end = start + timedelta(hours=rng.choice((2, 3, 4)))
        return {"from": start.isoformat(timespec="minutes"), "to": end.isoformat("T", "minutes")}
    last = day + timedelta(days=rng.choice((0, 1, 2, 4, 9)))
    return {"from": day.isoformat(), "to": last.isoformat()}


def _rep_doc(rep: _Rep) -> dict[str, Any]:
    first, _, last = rep.id.partition(".")
    doc: dict[str, Any] = {
        "id": rep.id,
        "name": f"{first.title()} {last.rstrip('0123456789').title()}",
        "email": rep_email(rep.id),
    }
    doc.update(rep.doc)
    if rep.skills:
        doc["skills"] = sorted(rep.skills)
    if not rep.active:
        doc["active"] = False
    return doc


def _pools(rng: random.Random, people: list[_Rep]) -> dict[str, dict[str, Any]]:
    by_team: dict[str, list[_Rep]] = {}
    for rep in people:
        if not rep.manager:
            by_team.setdefault(rep.team, []).append(rep)
    docs: dict[str, dict[str, Any]] = {}
    for name, strategy, teams, size, skills, overflow, extra in POOLS:
        doc: dict[str, Any] = {"strategy": strategy}
        candidates = [rep for team in teams for rep in by_team[team]]
        wanted = LANGUAGE_POOLS.get(name) or {s for s in skills if not s.startswith("from:")}
        chosen = _members(rng, candidates, wanted, size, any_of=name in LANGUAGE_POOLS)
        if strategy == "weighted":
            doc["members"] = [
                {"rep": rep.id, "weight": w} if (w := rng.choice((1, 1, 2, 3))) > 1 else rep.id
                for rep in chosen
            ]
        else:
            doc["members"] = [rep.id for rep in chosen]
        if skills:
            doc["skills"] = [
                {"from": s.removeprefix("from:")} if s.startswith("from:") else s for s in skills
            ]
        if overflow:
            doc["overflow"] = overflow
        doc.update(extra)
        docs[name] = doc
    return docs


def _members(
    rng: random.Random, candidates: list[_Rep], wanted: set[str], size: int, *, any_of: bool
) -> list[_Rep]:
    """`size` reps who have the skills (any one of them, for a language pool).

    When too few do, the skill is given to more reps: a team staffs the pools it has.
    """
    if size == 0:
        return []

    def fits(rep: _Rep) -> bool:
        return bool(rep.skills & wanted) if any_of else wanted <= rep.skills

    fitting = [rep for rep in candidates if fits(rep)]
    others = [rep for rep in candidates if not fits(rep)]
    rng.shuffle(others)
    while len(fitting) < size and others:
        rep = others.pop()
        rep.skills |= {rng.choice(sorted(wanted))} if any_of else wanted
        fitting.append(rep)
    chosen = rng.sample(fitting, min(size, len(fitting)))
    return sorted(chosen, key=candidates.index)


def _add_campaigns(
    rng: random.Random,
    pools: dict[str, dict[str, Any]],
    rules: list[dict[str, Any]],
    people: list[_Rep],
    n_pools: int,
    n_rules: int,
) -> None:
    """Pad to the asked sizes with campaign pools and rare campaign rules in the middle."""
    workers = [rep.id for rep in people if not rep.manager]
    for i in range(n_pools - len(pools)):
        members = sorted(rng.sample(workers, rng.randrange(3, 11)), key=workers.index)
        pools[f"campaign-{i + 1}"] = {
            "strategy": "round_robin",
            "members": members,
            "overflow": "us-general",
        }
    campaign_pools = [name for name in pools if name.startswith("campaign-")] or ["us-general"]
    for i in range(n_rules - len(rules)):
        rule = {
            "name": f"campaign-{i + 1}",
            "when": _all(
                {"source": "paid-search"},
                {"company": {"starts_with": rng.choice("ABCDEFGHKLMNPRSTW")}},
                {"score": {"gte": rng.randrange(70, 96)}},
            ),
            "route": campaign_pools[i % len(campaign_pools)],
        }
        rules.insert(len(RULES) // 2, rule)


def generate_policy(
    path: Path, reps: int = 200, pools: int = 40, rules: int = 50, seed: int = SEED
) -> Path:
    """Write the benchmark policy as YAML to `path`."""
    data = build_policy(reps, pools, rules, seed)
    header = (
        "# The leadflow benchmark policy, written by bench/generate.py (do not edit by hand).\n"
        f"# {reps} reps, {len(data['pools'])} pools, {len(data['rules'])} rules; seed {seed}.\n"
    )
    body = yaml.safe_dump(
        data, sort_keys=False, default_flow_style=None, width=100, allow_unicode=True
    )
    path.write_text(header + body, encoding="utf-8")
    return path


# Arrival times


def _hour_weights() -> list[float]:
    """Relative lead volume of each hour of the period, in the policy's wall time.

    Mornings and early afternoons in New York are busiest (and European mornings show up as
    New York's small hours); Saturdays and Sundays bring a quarter of a weekday, the days
    around Thanksgiving and Christmas less than half; volume grows by ~20% over the period.
    """
    by_hour = [1, 1, 1.5, 3, 5, 6, 5, 4, 6, 10, 12, 12, 10, 9, 10, 9, 7, 5, 4, 3, 3, 2, 1.5, 1]
    weights: list[float] = []
    for d in range(DAYS):
        day = START.date() + timedelta(days=d)
        factor = 0.25 if day.weekday() >= 5 else 1.0
        if day in HOLIDAY_LIKE or day >= date(2026, 12, 28):
            factor *= 0.45
        growth = 1 + 0.2 * d / DAYS
        weights.extend(h * factor * growth for h in by_hour)
    return weights


def arrival_seconds(n: int, seed: int = SEED) -> Iterator[int]:
    """Seconds after START at which each of `n` leads arrives, never decreasing.

    Each hour gets its share of `n` (largest remainders), spread at random within the hour.
    """
    rng = random.Random(seed * 7919 + 1)
    weights = _hour_weights()
    total = sum(weights)
    exact = [n * w / total for w in weights]
    counts = [math.floor(x) for x in exact]
    short = n - sum(counts)
    by_remainder = sorted(range(len(exact)), key=lambda i: counts[i] - exact[i])
    for i in by_remainder[:short]:
        counts[i] += 1
    randrange = rng.randrange
    for hour, k in enumerate(counts):
        base = hour * 3600
        for s in sorted(randrange(3600) for _ in range(k)):
            yield base + s


def _wall(seconds: int) -> str:
    return (START + timedelta(seconds=seconds)).isoformat()


def lead_id(i: int) -> str:
    return f"L{i:07d}"


# Leads

COUNTRIES = [
    ("US", 55),
    ("CA", 4),
    ("GB", 8),
    ("IE", 1),
    ("DE", 6),
    ("AT", 1),
    ("CH", 1.5),
    ("FR", 3.5),
    ("BE", 1),
    ("NL", 2),
    ("SE", 1),
    ("DK", 0.6),
    ("NO", 0.6),
    ("FI", 0.5),
    ("ES", 2.5),
    ("IT", 2),
    ("PT", 0.6),
    ("PL", 1),
    ("BR", 2),
    ("MX", 1.2),
    ("AU", 1.5),
    ("JP", 0.4),
    ("IN", 1.2),
    ("SG", 0.4),
    ("", 1.2),
]
US_STATES = [
    ("CA", 12),
    ("TX", 9),
    ("FL", 6.5),
    ("NY", 7),
    ("PA", 4),
    ("IL", 4),
    ("OH", 3.5),
    ("GA", 3.2),
    ("NC", 3.2),
    ("MI", 3),
    ("NJ", 3.5),
    ("VA", 3),
    ("WA", 3),
    ("AZ", 2.2),
    ("MA", 3.5),
    ("TN", 2),
    ("IN", 2),
    ("MD", 2),
    ("MO", 1.8),
    ("WI", 1.7),
    ("CO", 2.2),
    ("MN", 1.8),
    ("OR", 1.3),
    ("UT", 1.2),
    ("CT", 1.1),
    ("DC", 0.8),
    ("", 1.5),
]
CA_PROVINCES = [("ON", 40), ("QC", 22), ("BC", 14), ("AB", 12), ("MB", 4), ("NS", 3)]
INDUSTRIES = [
    ("software", 22),
    ("healthcare", 10),
    ("finance", 10),
    ("insurance", 3),
    ("retail", 9),
    ("manufacturing", 12),
    ("education", 6),
    ("public-sector", 4),
    ("media", 5),
    ("logistics", 6),
    ("energy", 4),
    ("", 9),
]
SOURCES = [
    ("website", 30),
    ("paid-search", 18),
    ("paid-social", 8),
    ("webinar", 10),
    ("event", 6),
    ("partner", 5),
    ("chat", 6),
    ("product-trial", 7),
    ("content", 8),
    ("referral", 2),
]
NAME_PARTS = _words(
    "north south east west blue red green silver bright clear river stone oak pine cedar harbor "
    "summit apex nova terra vertex quantum swift atlas orion polar lumen vivid urban prime"
)
NAME_TAILS = _words(
    "wind field bridge point gate works line path peak wave forge stream rock light"
)
SUFFIXES = _words(
    "Labs Health Capital Systems Foods Logistics Energy Media Group Partners Software "
    "Insurance Bank Retail Manufacturing Analytics"
)
COUNTRY_LANGUAGE = {
    "ES": "es",
    "MX": "es",
    "AR": "es",
    "CO": "es",
    "CL": "es",
    "BR": "pt",
    "PT": "pt",
    "DE": "de",
    "AT": "de",
    "FR": "fr",
    "NL": "nl",
    "IT": "it",
}
TEAM_OF_COUNTRY = {"GB": "uk", "IE": "uk", "DE": "dach", "AT": "dach", "CH": "dach"}
TEAM_OF_STATE = {
    **dict.fromkeys(_words("WA OR CA NV AZ UT CO ID MT WY NM AK HI"), "west"),
    **dict.fromkeys(_words("OH MI IN IL WI MN IA MO ND SD NE KS OK TX AR LA"), "central"),
}


def _companies(rng: random.Random, n: int = 4000) -> list[str]:
    names = {
        f"{rng.choice(NAME_PARTS).title()}{rng.choice(NAME_TAILS)} {rng.choice(SUFFIXES)}"
        for _ in range(n)
    }
    out = sorted(names)
    rng.shuffle(out)
    return out


def lead_rows(n: int, seed: int = SEED, reps: int = 200) -> Iterator[list[str]]:
    """The rows of the leads file (without the header), in arrival order."""
    rng = random.Random(seed)
    rand, randrange, gauss, lognorm = rng.random, rng.randrange, rng.gauss, rng.lognormvariate
    country_of = _picker(rng, COUNTRIES)
    state_of = _picker(rng, US_STATES)
    province_of = _picker(rng, CA_PROVINCES)
    industry_of = _picker(rng, INDUSTRIES)
    source_of = _picker(rng, SOURCES)
    companies = _companies(rng)
    ids = rep_ids(reps)
    everyone = [rep for rep, _ in ids]
    team_reps: dict[str, list[str]] = {}
    for rep, team in ids:
        team_reps.setdefault(team, []).append(rep)

    def owner(team: str) -> str:
        pool = team_reps[team] if rand() < 0.8 else everyone
        rep = pool[randrange(len(pool))]
        if rand() < 0.3:  # CRM exports often carry the owner's email, sometimes in capitals
            email = rep_email(rep)
            return email.upper() if rand() < 0.2 else email
        return rep

    for i, seconds in enumerate(arrival_seconds(n, seed)):
        country = country_of()
        state = ""
        if country == "US":
            state = state_of()
        elif country == "CA":
            state = province_of()
        team = TEAM_OF_COUNTRY.get(country) or TEAM_OF_STATE.get(state, "east")
        company = companies[randrange(len(companies))]
        if rand() < 0.003:
            company = COMPETITORS[randrange(len(COMPETITORS))]
        elif rand() < 0.004:
            company = "Test Company"
        industry = industry_of()
        r = rand()
        local = f"{FIRST[randrange(len(FIRST))]}.{LAST[randrange(len(LAST))]}"
        if r < 0.02:
            email = ""
        elif r < 0.03:
            email = f"{local}@example.invalid"
        elif r < 0.15:
            email = f"{local}@{FREEMAIL[randrange(len(FREEMAIL))]}"
        elif industry == "education" and r < 0.45:
            email = f"{local}@{company.split()[0].lower()}.edu"
        else:
            email = f"{local}@{company.replace(' ', '').lower()}.com"
        employees = "" if rand() < 0.04 else str(min(300_000, max(1, int(lognorm(4.2, 1.8)))))
        fit = math.log10(int(employees)) * 5 if employees else 0
        score = "" if rand() < 0.02 else str(min(100, max(0, int(gauss(45, 22) + fit))))
        language = COUNTRY_LANGUAGE.get(country, "")
        if country == "CH":
            language = "de" if rand() < 0.7 else "fr"
        elif country == "BE":
            language = "fr" if rand() < 0.5 else "nl"
        elif country == "US" and rand() < 0.07:
            language = "es"
        elif not language and country in ("US", "CA", "GB", "IE", "AU") and rand() < 0.4:
            language = "en"
        source = source_of()
        existing = owner(team) if rand() < 0.04 else ""
        requested = owner(team) if rand() < 0.02 else ""
        account = owner(team) if rand() < 0.06 else ""
        yield [
            lead_id(i + 1),
            _wall(seconds),
            email,
            company,
            country,
            state,
            industry,
            employees,
            score,
            language,
            source,
            existing,
            requested,
            account,
        ]


def generate_leads(path: Path, n: int, seed: int = SEED, reps: int = 200) -> Path:
    """Write `n` leads as CSV to `path`, in arrival order."""
    with path.open("w", newline="", encoding="utf-8", buffering=1 << 20) as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(LEAD_COLUMNS)
        writer.writerows(lead_rows(n, seed, reps))
    return path


# Events


def event_items(
    leads_n: int, seed: int = SEED, reps: int = 200
) -> list[tuple[int, dict[str, Any]]]:
    """(seconds after START, event) for every event, in time order.

    Reps: about 3,000 changes over the period, whatever the number of leads (presence away and
    back in working hours, new caps, sick days, two reps who leave). Leads: ~10% are won, lost
    or closed, an hour to two weeks after they arrived.
    """
    rng = random.Random(seed * 7919 + 2)
    ids = [rep for rep, _ in rep_ids(reps)]
    events: list[tuple[int, dict[str, Any]]] = []
    horizon = DAYS * 86400
    for _ in range(1200):  # away for a meeting, a call, an afternoon
        day = rng.randrange(DAYS)
        if (START + timedelta(days=day)).weekday() >= 5:
            continue
        at = day * 86400 + rng.randrange(3 * 3600, 17 * 3600)
        rep = rng.choice(ids)
        back = at + rng.randrange(1800, 4 * 3600)
        events.append((at, {"type": "rep.updated", "rep": rep, "presence": "away"}))
        events.append((back, {"type": "rep.updated", "rep": rep, "presence": "available"}))
    for _ in range(350):
        rep = rng.choice(ids)
        caps = (
            {"per_day": rng.randrange(40, 241, 10)}
            if rng.random() < 0.7
            else {"open": rng.randrange(1500, 8001, 500)}
        )
        events.append((rng.randrange(horizon), {"type": "rep.updated", "rep": rep, "caps": caps}))
    for _ in range(250):
        at = rng.randrange(horizon - 86400)
        first = (START + timedelta(seconds=at)).date() + timedelta(days=1)
        last = first + timedelta(days=rng.choice((0, 0, 1, 2)))
        period = {"from": first.isoformat(), "to": last.isoformat(), "note": "sick"}
        events.append((at, {"type": "rep.updated", "rep": rng.choice(ids), "time_off": [period]}))
    for rep in rng.sample(ids, 2):
        events.append(
            (rng.randrange(horizon), {"type": "rep.updated", "rep": rep, "active": False})
        )
    statuses = _picker(rng, [("won", 15), ("lost", 35), ("closed", 50)])
    rand = rng.random
    for i, seconds in enumerate(arrival_seconds(leads_n, seed)):
        if rand() < 0.10:
            later = seconds + int(3600 * (1 + rng.expovariate(1 / 72)))
            later = min(later, seconds + 14 * 86400)
            status = {"type": "lead.status", "lead_id": lead_id(i + 1), "status": statuses()}
            events.append((later, status))
    events.sort(key=lambda item: item[0])
    return events


def generate_events(path: Path, leads_n: int, seed: int = SEED, reps: int = 200) -> Path:
    """Write the events of a data set of `leads_n` leads as JSONL to `path`, in time order."""
    with path.open("wb", buffering=1 << 20) as file:
        for seconds, event in event_items(leads_n, seed, reps):
            file.write(orjson.dumps({"at": _wall(seconds), **event}) + b"\n")
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000, help="number of leads")
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--pools", type=int, default=40)
    parser.add_argument("--rules", type=int, default=50)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / ".data")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    policy = generate_policy(args.out / "policy.yaml", args.reps, args.pools, args.rules, args.seed)
    leads = generate_leads(args.out / f"leads-{args.leads}.csv", args.leads, args.seed, args.reps)
    events = generate_events(
        args.out / f"events-{args.leads}.jsonl", args.leads, args.seed, args.reps
    )
    for written in (policy, leads, events):
        print(written)


if __name__ == "__main__":
    main()
