"""How well and how fast leads are matched to accounts, against a plain fuzzy baseline.

    .venv/bin/python bench/match_bench.py                         # 100,000 accounts, 20,000 leads
    .venv/bin/python bench/match_bench.py --accounts 20000 --leads 5000 --seed 3

It reads the real company lists in ../shared/data/companies, beside the checkout (or
$LEADFLOW_COMPANIES; see that folder's README; not
part of the project, so the benchmark stops with a message when they are absent) and builds a
labeled set from them, seeded and deterministic:

- Real names: the S&P 500, the GLEIF LEI legal names and their other names (tickers left out),
  and the YC companies with their websites as domains (a website host that several companies
  share, such as angel.co, is nobody's domain and is dropped). Only YC companies have domains:
  deriving one from a legal name ("acmeholdings.com") would be a guess, so the other accounts
  are matched by name alone, which is the harder case. Names equal after `name_key` (legal
  form, case, punctuation and spaces aside: "Reddit" and "REDDIT INC") are one company, so
  that the labels are unambiguous; the exact-name stage is therefore never ambiguous here.
- A quarter of the real names are held out: they are the companies that are not accounts.
  The rest are accounts.
- The accounts are padded to --accounts with synthetic distractors: names recombined from the
  real names' words ("Sharda Mining Partners LLP"), as many words as real names have, in the
  same letter case, with a legal form of their country, half with a domain made of the name
  (unless a real company has that domain).
  None is equal, after `name_key`, to a real name or another distractor. They are synthetic
  because no open list of 100,000 real companies is at hand; recombining real words makes
  them look like real names to the matcher (same words, same lengths, same legal forms) and
  puts many near names around each real one, which is what makes matching hard.
- Leads: 70% from real accounts, 30% from held-out companies. Each lead's name is perturbed
  one way, chosen among those that apply: left as it is, legal form dropped, legal form
  respelled or added ("Inc." -> "Incorporated", "Ltd" -> "Limited"), letter case changed, one
  typo in a name of eight letters or more (two letters swapped, one dropped or one doubled),
  one abbreviation ("International" -> "Intl", "Corporation" -> "Corp", "Technologies" ->
  "Tech", "&" <-> "and"), or "The " added or dropped. Its email domain: for an account with a
  domain, the domain (45%), a host under it such as eu.acme.com (10%), the same name under
  another country's suffix that no other company has (15%) or free mail (30%); for an
  account without one, a domain of its own that the account table does not know (60%) or
  free mail (40%); for a held-out company, its website or a domain of its own (60%) or free
  mail (40%). Country: the company's, for 85% of leads.

These perturbations were decided before the matcher was tuned, and are not tuned to it.

It then runs `AccountIndex.match` on every lead, and the baseline, `rapidfuzz.process.extractOne`
of the lead's company over all account names with `fuzz.WRatio` and a cutoff of 90 (no domains,
no blocking), on a subset of leads because it scores every account name for every lead. It
prints, for each: precision of accepted matches (correct / accepted), recall (correct accepted
/ leads that have an account), the leads put up for review, and leads matched per second over
the whole set once the index is built (index build time apart); then precision and recall by
perturbation, so that weaknesses show.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import re
import resource
import string
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pycountry
from rapidfuzz import fuzz, process, utils

from leadflow.quality.accounts import Account, AccountIndex, Match, domain_forms
from leadflow.quality.names import name_key

DATA = Path(
    os.environ.get("LEADFLOW_COMPANIES")
    or Path(__file__).resolve().parents[2] / "shared" / "data" / "companies"
)
FILES = {
    "sp500": "sp500_constituents.csv",
    "gleif": "gleif_lei_companies_sample_5000.csv",
    "gleif_mining": "gleif_lei_mining_energy_655.csv",
    "yc": "yc_companies_from_yc-oss.csv",
}
GOALS = {"precision": 0.98, "recall": 0.90, "leads_per_second": 2_000}
HELD_OUT = 0.25
BASELINE_CUTOFF = 90
FREE_MAIL = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "gmx.de")

# Country -> public suffix of its companies' domains.
SUFFIXES = {
    "US": "com", "GB": "co.uk", "IN": "in", "AU": "com.au", "JP": "co.jp", "BR": "com.br",
    "NZ": "co.nz", "ZA": "co.za", "MX": "com.mx", "AR": "com.ar", "CN": "com.cn",
}  # fmt: skip
OTHER_SUFFIXES = ("com", "de", "co.uk", "fr", "nl", "com.au", "in", "es", "it", "ca", "io", "se")

# Equivalent spellings of a legal form, as people write them; the first is the usual one.
LEGAL_SPELLINGS = [
    ["Inc.", "Inc", "Incorporated"],
    ["Corporation", "Corp.", "Corp"],
    ["Limited", "Ltd.", "Ltd"],
    ["Private Limited", "Pvt. Ltd.", "Pvt Ltd", "Private Ltd"],
    ["LLC", "L.L.C.", "Llc"],
    ["LLP", "L.L.P."],
    ["L.P.", "LP", "L P"],
    ["PLC", "plc", "Public Limited Company"],
    ["Pty Ltd", "Pty. Ltd.", "Proprietary Limited"],
    ["Company", "Co.", "Co"],
    ["GmbH", "GMBH", "G.m.b.H."],
    ["AG", "A.G."],
    ["S.R.L.", "SRL", "S.r.l.", "S R L"],
    ["S.p.A.", "SpA", "SPA"],
    ["B.V.", "BV", "B V"],
    ["N.V.", "NV"],
    ["S.A.", "SA", "S A"],
    ["S.L.", "SL", "S L"],
    ["SAS", "S.A.S."],
    ["AB", "Aktiebolag"],
    ["A/S", "AS", "A S"],
    ["ApS", "APS"],
    ["Oy", "OY"],
    ["Ltda", "Ltda."],
    ["Sp. z o.o.", "Sp. z o. o.", "Sp z oo"],
    ["s.r.o.", "sro"],
    ["Kft.", "Kft"],
    ["OÜ", "OU"],
]
LEGAL_BY_COUNTRY = {
    "US": ["Inc.", "LLC", "Corporation"], "GB": ["Limited", "Ltd", "PLC", "LLP"],
    "IN": ["Private Limited", "Pvt Ltd", "LLP"], "DE": ["GmbH", "AG"], "AT": ["GmbH"],
    "IT": ["S.R.L.", "S.p.A."], "NL": ["B.V.", "N.V."], "FR": ["SAS", "S.A."],
    "ES": ["S.L.", "S.A."], "SE": ["AB"], "DK": ["ApS", "A/S"], "NO": ["AS"], "FI": ["Oy"],
    "AU": ["Pty Ltd"], "BR": ["Ltda"], "PL": ["Sp. z o.o."], "CZ": ["s.r.o."], "HU": ["Kft."],
    "EE": ["OÜ"],
}  # fmt: skip
DEFAULT_LEGAL = ["Inc.", "Ltd", "LLC", "Limited"]

ABBREVIATIONS = [
    ("International", "Intl"), ("Corporation", "Corp"), ("Technologies", "Tech"),
    ("Technology", "Tech"), ("Company", "Co"), ("Limited", "Ltd"), ("Manufacturing", "Mfg"),
    ("Brothers", "Bros"), ("Associates", "Assoc"), ("Laboratories", "Labs"),
    ("Management", "Mgmt"), ("Pharmaceuticals", "Pharma"), ("&", "and"), ("and", "&"),
]  # fmt: skip

NAME_KINDS = ("as_is", "legal_dropped", "legal_changed", "case", "typo", "abbreviation", "the")
DOMAIN_KINDS = ("domain", "subdomain", "other_tld", "free_mail", "unknown_domain")


@dataclass(frozen=True, slots=True)
class Company:
    name: str
    country: str | None
    domain: str | None = None
    industry: str | None = None
    employees: int | None = None


@dataclass(frozen=True, slots=True)
class Lead:
    company: str
    domain: str | None
    country: str | None
    truth: str | None  # the account id, None for a company that is not an account
    name_kind: str
    domain_kind: str


# The real companies.


def read_companies(folder: Path) -> list[Company]:
    """Every real company name in the four lists, one per `name_key`, with a domain if any."""
    missing = [name for name in FILES.values() if not (folder / name).is_file()]
    if missing:
        sys.exit(
            f"match_bench: the company lists are missing from {folder} ({', '.join(missing)}).\n"
            "They are reference data outside the project (see ../shared/data/README.md); "
            "pass --data to point at them."
        )
    companies: list[Company] = []
    for row in _rows(folder / FILES["sp500"]):
        companies.append(Company(row["Security"], "US", industry=row["GICS Sector"]))
    for file in ("gleif", "gleif_mining"):
        for row in _rows(folder / FILES[file]):
            country = row["country"] or None
            companies.append(Company(row["name"], country))
            for alias in (row[f"alias{i}"] for i in range(1, 6)):
                if alias and not _is_ticker(alias):
                    companies.append(Company(alias, country))
    yc = list(_rows(folder / FILES["yc"]))
    hosts = Counter(_website_domain(row["website"]) for row in yc)
    for row in yc:
        domain = _website_domain(row["website"])
        companies.append(
            Company(
                row["name"],
                _alpha2(row["country"]),
                domain if domain and hosts[domain] == 1 else None,
                row["industry"] or None,
                int(row["team_size"]) if row["team_size"].isdigit() else None,
            )
        )
    unique: dict[str, Company] = {}
    for company in companies:
        key = name_key(company.name)
        first = unique.setdefault(key, company)
        if key and first.domain is None and company.domain is not None:
            unique[key] = Company(first.name, first.country, company.domain, first.industry)
    return [company for key, company in unique.items() if key]


def _rows(path: Path) -> Iterable[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        yield from csv.DictReader(file)


def _is_ticker(alias: str) -> bool:
    return alias.isupper() and " " not in alias and len(alias) <= 5


def _website_domain(website: str) -> str | None:
    forms = domain_forms(website) if website else None
    return forms.registrable if forms else None


def _alpha2(country: str) -> str | None:
    try:
        return str(pycountry.countries.lookup(country).alpha_2)
    except LookupError:
        return None


# Accounts: the real companies not held out, then synthetic distractors.


def build_accounts(
    companies: list[Company], total: int, rng: random.Random
) -> tuple[list[Account], list[Company], dict[str, Company]]:
    """The accounts, the held-out companies, and the real company behind each real account."""
    shuffled = list(companies)
    rng.shuffle(shuffled)
    cut = int(len(shuffled) * HELD_OUT)
    held_out, real = shuffled[:cut], shuffled[cut:][:total]
    accounts: list[Account] = []
    behind: dict[str, Company] = {}
    for company in real:
        account = Account(
            id=f"R{len(accounts):06d}",
            name=company.name,
            domains=(company.domain,) if company.domain else (),
            owner=f"rep-{rng.randrange(200)}",
            industry=company.industry,
            employees=company.employees,
            country=company.country,
        )
        accounts.append(account)
        behind[account.id] = company
    taken = {name_key(c.name) for c in companies}
    real_domains = {c.domain for c in companies if c.domain}
    for name, country, domain in synthetic_names(companies, total - len(accounts), taken, rng):
        domain = domain if domain not in real_domains else None
        accounts.append(
            Account(
                id=f"S{len(accounts):06d}",
                name=name,
                domains=(domain,) if domain else (),
                owner=f"rep-{rng.randrange(200)}",
                country=country,
            )
        )
    return accounts, held_out, behind


def synthetic_names(
    companies: list[Company], count: int, taken: set[str], rng: random.Random
) -> Iterable[tuple[str, str | None, str | None]]:
    """Names recombined from the real names' words, each new after `name_key`."""
    heads: list[str] = []
    rest: list[str] = []
    lengths: list[int] = []
    legal = {s.casefold() for spellings in LEGAL_SPELLINGS for s in spellings}
    for company in companies:
        words = [w for w in re.findall(r"[\w'.-]+", company.name) if w.casefold() not in legal]
        if words:
            heads.append(words[0])
            rest.extend(words[1:])
            lengths.append(len(words))
    countries = [c.country for c in companies]
    made = 0
    while made < count:
        size = rng.choice(lengths)
        words = [rng.choice(heads)] + [rng.choice(rest or heads) for _ in range(size - 1)]
        words = [w.upper() if rng.random() < 0.3 else w for w in words]
        country = rng.choice(countries)
        name = " ".join(words)
        if rng.random() < 0.7:
            name += " " + rng.choice(LEGAL_BY_COUNTRY.get(country or "", DEFAULT_LEGAL))
        key = name_key(name)
        if not key or key in taken:
            continue
        taken.add(key)
        made += 1
        domain = own_domain(name, country) if rng.random() < 0.5 else None
        yield name, country, domain


def own_domain(name: str, country: str | None) -> str:
    """A company's own domain made from its name: "Sharda Steel Ltd" (IN) -> shardasteel.in."""
    label = re.sub(r"[^a-z0-9]", "", name_key(name))[:30] or "company"
    suffix = SUFFIXES.get(country or "", (country or "com").lower())
    return f"{label}.{suffix}"


# Leads.


def build_leads(
    accounts: list[Account],
    held_out: list[Company],
    behind: dict[str, Company],
    count: int,
    rng: random.Random,
) -> list[Lead]:
    real = [a for a in accounts if a.id in behind]
    registered = {d for a in accounts for d in a.domains} | {c.domain for c in held_out if c.domain}
    leads: list[Lead] = []
    for _ in range(count):
        if rng.random() < 0.70:
            account = rng.choice(real)
            truth: str | None = account.id
            company = behind[account.id]
            domain, domain_kind = account_lead_domain(account, registered, rng)
        else:
            company = rng.choice(held_out)
            truth = None
            if rng.random() < 0.6:
                domain = company.domain or own_domain(company.name, company.country)
                domain_kind = "unknown_domain"
            else:
                domain, domain_kind = rng.choice(FREE_MAIL), "free_mail"
        name, name_kind = perturb(company.name, company.country, rng)
        country = company.country if rng.random() < 0.85 else None
        leads.append(Lead(name, domain, country, truth, name_kind, domain_kind))
    return leads


def account_lead_domain(
    account: Account, registered: set[str], rng: random.Random
) -> tuple[str, str]:
    """An email domain for a lead from an account, and its kind (the module's docstring).

    A domain under another suffix is never one that another company has (`registered`).
    """
    draw = rng.random()
    if not account.domains:
        if draw < 0.6:
            return own_domain(account.name, account.country), "unknown_domain"
        return rng.choice(FREE_MAIL), "free_mail"
    domain = account.domains[0]
    if draw < 0.45:
        return domain, "domain"
    if draw < 0.55:
        return f"{rng.choice(('www', 'eu', 'us', 'mail', 'corp'))}.{domain}", "subdomain"
    if draw < 0.70:
        forms = domain_forms(domain)
        if forms is not None:
            others = [f"{forms.label}.{s}" for s in OTHER_SUFFIXES if s != forms.suffix]
            others = [d for d in others if d not in registered]
            if others:
                return rng.choice(others), "other_tld"
    return rng.choice(FREE_MAIL), "free_mail"


def perturb(name: str, country: str | None, rng: random.Random) -> tuple[str, str]:
    """The name as a lead writes it, and how it was changed."""
    legal = _trailing_legal_form(name)
    kinds: dict[str, Callable[[], str]] = {"as_is": lambda: name, "case": lambda: _case(name, rng)}
    if legal:
        bare, spelling, group = legal
        kinds["legal_dropped"] = lambda: bare
        others = [s for s in group if s != spelling]
        kinds["legal_changed"] = lambda: f"{bare} {rng.choice(others)}" if others else bare
    else:
        forms = LEGAL_BY_COUNTRY.get(country or "", DEFAULT_LEGAL)
        kinds["legal_changed"] = lambda: f"{name} {rng.choice(forms)}"
    if sum(c.isalnum() for c in name) >= 8:
        kinds["typo"] = lambda: _typo(name, rng)
    abbreviations = [
        (long, short)
        for long, short in ABBREVIATIONS
        if re.search(rf"(?<!\w){re.escape(long)}(?!\w)", name, re.IGNORECASE)
    ]
    if abbreviations:
        kinds["abbreviation"] = lambda: _abbreviate(name, rng.choice(abbreviations))
    kinds["the"] = lambda: name[4:] if name.lower().startswith("the ") else f"The {name}"
    kind = rng.choice(sorted(kinds))
    return kinds[kind](), kind


def _trailing_legal_form(name: str) -> tuple[str, str, list[str]] | None:
    """The name without its legal form, the form as written, and its other spellings."""
    found: tuple[str, str, list[str]] | None = None
    for group in LEGAL_SPELLINGS:
        for spelling in group:
            match = re.search(rf"[\s,]+{re.escape(spelling)}\.?$", name, re.IGNORECASE)
            if match and (found is None or len(spelling) > len(found[1])):
                found = (name[: match.start()], spelling, group)
    return found


def _case(name: str, rng: random.Random) -> str:
    changed = rng.choice((name.upper(), name.lower(), string.capwords(name)))
    return changed if changed != name else name.swapcase()


def _typo(name: str, rng: random.Random) -> str:
    positions = [i for i, c in enumerate(name) if c.isalnum()]
    i = rng.choice(positions[:-1])
    kind = rng.choice(("swap", "drop", "double"))
    if kind == "swap" and name[i] != name[i + 1]:
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    if kind == "drop":
        return name[:i] + name[i + 1 :]
    return name[:i] + name[i] + name[i:]


def _abbreviate(name: str, pair: tuple[str, str]) -> str:
    long, short = pair
    pattern = re.compile(rf"(?<!\w){re.escape(long)}(?!\w)", re.IGNORECASE)
    return pattern.sub(lambda m: short.upper() if m.group().isupper() else short, name, count=1)


# Measuring.


@dataclass
class Tally:
    leads: int = 0
    with_account: int = 0
    right: int = 0  # accepted, the true account
    wrong: int = 0  # accepted, another account or a company that is not an account
    review: int = 0

    def add(self, lead: Lead, account_id: str | None, verdict: str | None) -> None:
        self.leads += 1
        self.with_account += lead.truth is not None
        if verdict == "accept":
            if account_id == lead.truth:
                self.right += 1
            else:
                self.wrong += 1
        elif verdict == "review":
            self.review += 1

    @property
    def precision(self) -> float:
        accepted = self.right + self.wrong
        return self.right / accepted if accepted else 1.0

    @property
    def recall(self) -> float:
        return self.right / self.with_account if self.with_account else float("nan")


def run_ours(index: AccountIndex, leads: list[Lead]) -> tuple[list[Match | None], float]:
    started = time.perf_counter()
    matches = [index.match(lead.company, lead.domain, lead.country) for lead in leads]
    return matches, time.perf_counter() - started


def run_baseline(
    accounts: list[Account], leads: list[Lead]
) -> tuple[list[tuple[str | None, str | None]], float]:
    names = [utils.default_process(a.name) for a in accounts]
    started = time.perf_counter()
    results: list[tuple[str | None, str | None]] = []
    for lead in leads:
        best = process.extractOne(
            utils.default_process(lead.company),
            names,
            scorer=fuzz.WRatio,
            processor=None,
            score_cutoff=BASELINE_CUTOFF,
        )
        results.append((accounts[best[2]].id, "accept") if best else (None, None))
    return results, time.perf_counter() - started


def tally(leads: list[Lead], results: Iterable[tuple[str | None, str | None]]) -> Tally:
    total = Tally()
    for lead, (account_id, verdict) in zip(leads, results, strict=True):
        total.add(lead, account_id, verdict)
    return total


def by_kind(
    leads: list[Lead], results: list[tuple[str | None, str | None]], kind: str
) -> dict[tuple[str, str], Tally]:
    tallies: dict[tuple[str, str], Tally] = defaultdict(Tally)
    for lead, (account_id, verdict) in zip(leads, results, strict=True):
        group = "account" if lead.truth else "not an account"
        tallies[group, getattr(lead, kind)].add(lead, account_id, verdict)
    return tallies


def print_kinds(title: str, tallies: dict[tuple[str, str], Tally], order: tuple[str, ...]) -> None:
    print(f"\n{title:<32} {'leads':>6} {'right':>6} {'wrong':>6} {'review':>6} "
          f"{'recall':>7} {'precision':>9}")  # fmt: skip
    for group in ("account", "not an account"):
        for kind in order:
            t = tallies.get((group, kind))
            if t is None:
                continue
            recall = f"{t.recall:7.3f}" if t.with_account else f"{'-':>7}"
            precision = f"{t.precision:9.3f}" if t.with_account else f"{'-':>9}"
            print(f"{group + ': ' + kind:<32} {t.leads:>6,} {t.right:>6,} {t.wrong:>6,} "
                  f"{t.review:>6,} {recall} {precision}")  # fmt: skip


def print_calibration(leads: list[Lead], matches: list[Match | None]) -> None:
    """How often a match of each kind and score was right: whether the scores mean what they say."""
    buckets: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for lead, match in zip(leads, matches, strict=True):
        if match is None:
            continue
        kind = match.reasons[0].split(":")[0]
        low = min(int(match.score * 20) / 20, 0.95)
        bucket = buckets[kind, f"{low:.2f}-{low + 0.05:.2f}"]
        bucket[0] += 1
        bucket[1] += match.account.id == lead.truth
    print(f"\n{'calibration: first reason, score':<40} {'matches':>7} {'right':>6} {'share':>6}")
    for (kind, scores), (count, right) in sorted(buckets.items()):
        print(f"{kind + ' ' + scores:<40} {count:>7,} {right:>6,} {right / count:>6.3f}")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--baseline-leads", type=int, default=500)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)

    companies = read_companies(args.data)
    accounts, held_out, behind = build_accounts(companies, args.accounts, rng)
    leads = build_leads(accounts, held_out, behind, args.leads, rng)
    print(f"Python {platform.python_version()}, seed {args.seed}")
    print(f"real companies: {len(companies):,} ({len(held_out):,} held out as non-accounts)")
    print(f"accounts: {len(accounts):,} ({len(behind):,} real, "
          f"{len(accounts) - len(behind):,} synthetic; "
          f"{sum(bool(a.domains) for a in accounts):,} with a domain)")  # fmt: skip
    print(f"leads: {len(leads):,} ({sum(lead.truth is not None for lead in leads):,} "
          "from accounts)")  # fmt: skip

    rss_before = _peak_rss_mb()
    started = time.perf_counter()
    index = AccountIndex(accounts)
    built = time.perf_counter() - started
    rss_after = _peak_rss_mb()
    matches, seconds = run_ours(index, leads)
    ours: list[tuple[str | None, str | None]] = [
        (m.account.id, m.verdict) if m else (None, None) for m in matches
    ]
    subset = leads[: args.baseline_leads]
    baseline, baseline_seconds = run_baseline(accounts, subset)

    mine, base, mine_subset = (
        tally(leads, ours),
        tally(subset, baseline),
        tally(subset, ours[: len(subset)]),
    )
    ours_speed = len(leads) / seconds
    base_speed = len(subset) / baseline_seconds
    print(f"\nindex built in {built:.2f} s ({len(accounts) / built:,.0f} accounts/s); "
          f"peak RSS {rss_before:,.0f} -> {rss_after:,.0f} MB\n")  # fmt: skip
    print(f"{'matcher':<40} {'leads':>6} {'precision':>9} {'recall':>7} {'review':>6} "
          f"{'leads/s':>9}")  # fmt: skip
    rows = [
        ("AccountIndex.match", mine, ours_speed),
        ("AccountIndex.match, baseline's subset", mine_subset, ours_speed),
        (f"extractOne WRatio >= {BASELINE_CUTOFF}, subset", base, base_speed),
    ]
    for title, t, speed in rows:
        print(f"{title:<40} {t.leads:>6,} {t.precision:>9.3f} {t.recall:>7.3f} "
              f"{t.review:>6,} {speed:>9,.0f}")  # fmt: skip
    print(f"speed ours / baseline: {ours_speed / base_speed:,.0f}x "
          f"(baseline measured on the first {len(subset):,} leads)")  # fmt: skip

    print_kinds("by name perturbation", by_kind(leads, ours, "name_kind"), NAME_KINDS)
    print_kinds("by email domain", by_kind(leads, ours, "domain_kind"), DOMAIN_KINDS)
    print_calibration(leads, matches)

    print()
    for goal, value, fmt in (
        ("precision", mine.precision, ".3f"),
        ("recall", mine.recall, ".3f"),
        ("leads_per_second", ours_speed, ",.0f"),
    ):
        met = "met" if value >= GOALS[goal] else "NOT met"
        print(f"goal {goal} >= {GOALS[goal]:,}: {met} ({value:{fmt}})")


if __name__ == "__main__":
    main()
