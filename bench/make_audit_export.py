"""Regenerate examples/hubspot-export.csv: four weeks of a HubSpot contacts export, for an audit.

What a team's CRM looks like before leadflow, so `leadflow audit` has something real to find:
leads that arrive mostly in office hours, owners set by hand (within minutes in the day, the
next morning for a lead of the evening or the weekend), one rep who gets far more than the
others and one who is slow to call, a sixth of the leads never touched, people who fill in a
form twice, several sources, and two broken rows. The columns are HubSpot's export labels, and
one custom property ("First outreach date": HubSpot's own "Last Activity Date" is the last
activity, not the first). Deterministic (seeded):

    .venv/bin/python bench/make_audit_export.py
"""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "examples" / "hubspot-export.csv"
START = datetime(2026, 11, 2)  # a Monday, New York wall time (the portal's zone)
DAYS = 28
COLUMNS = [
    "Record ID",
    "First Name",
    "Last Name",
    "Email",
    "Company Name",
    "Create Date",
    "Contact owner",
    "Owner assigned date",
    "First outreach date",
    "Last Activity Date",
    "Lead Status",
    "Original Source",
]
SOURCES = {  # HubSpot's Original source values, weighted
    "Paid search": 30,
    "Organic search": 25,
    "Paid social": 15,
    "Referrals": 10,
    "Direct traffic": 10,
    "Offline sources": 6,
    "Email marketing": 4,
}
# owner: (share of the leads they are given, median minutes to a first touch)
OWNERS = {
    "Ava Patel": (0.42, 25),
    "Ben Ortiz": (0.22, 40),
    "Chloe Kim": (0.20, 30),
    "Dan Reyes": (0.16, 360),  # the slow one
}
FIRST = ["Ana", "Ben", "Carla", "Dev", "Emma", "Farid", "Grace", "Hiro", "Ines", "Jon", "Kira"]
LAST = ["Lopez", "Nguyen", "Smith", "Okafor", "Rossi", "Schmidt", "Tanaka", "Walsh", "Yilmaz"]
COMPANIES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Soylent"]


def main() -> None:
    rng = random.Random(20261102)
    rows = []
    people: list[tuple[str, str, str]] = []
    for n, created in enumerate(sorted(arrivals(rng)), 1):
        if people and rng.random() < 0.06:  # the same person again
            first, last, email = rng.choice(people[-60:])
        else:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = f"{first}.{last}{n}@{rng.choice(COMPANIES)}.example".lower()
            people.append((first, last, email))
        rows.append(contact(rng, n, created, first, last, email))
    rows[57]["Create Date"] = ""  # imported without one
    late = next(row for row in rows[131:] if row["First outreach date"])
    touched = _parse(late["First outreach date"])
    late["Create Date"] = _fmt(touched + timedelta(hours=5))  # entered in the wrong zone
    with OUT.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"{OUT}: {len(rows)} contacts")


def arrivals(rng: random.Random) -> list[datetime]:
    """Mostly office hours on weekdays; fewer in the evening, few at night and on weekends."""
    out = []
    for day in range(DAYS):
        date = START + timedelta(days=day)
        weekend = date.weekday() >= 5
        for hour in range(24):
            rate = 0.15 if weekend else (1.6 if 9 <= hour < 17 else 0.5 if 7 <= hour < 21 else 0.1)
            for _ in range(_poisson(rng, rate)):
                out.append(date + timedelta(hours=hour, minutes=rng.randrange(60)))
    return out


def contact(
    rng: random.Random, n: int, created: datetime, first: str, last: str, email: str
) -> dict[str, str]:
    row = {
        "Record ID": str(100_000 + n * 7),
        "First Name": first,
        "Last Name": last,
        "Email": email,
        "Company Name": email.split("@")[1].split(".")[0].title(),
        "Create Date": _fmt(created),
        "Original Source": rng.choices(list(SOURCES), list(SOURCES.values()))[0],
        "Contact owner": "",
        "Owner assigned date": "",
        "First outreach date": "",
        "Last Activity Date": "",
        "Lead Status": "New",
    }
    if rng.random() < 0.04:  # nobody ever took it
        return row
    owner = rng.choices(list(OWNERS), [share for share, _ in OWNERS.values()])[0]
    assigned = next_working_minute(created) + timedelta(minutes=rng.expovariate(1 / 12))
    row["Contact owner"] = owner
    row["Owner assigned date"] = _fmt(assigned)
    if rng.random() < 0.16:
        row["Lead Status"] = rng.choice(["New", "Open"])
        return row
    median = OWNERS[owner][1]
    touched = next_working_minute(assigned) + timedelta(minutes=rng.lognormvariate(0, 1) * median)
    row["First outreach date"] = _fmt(touched)
    row["Last Activity Date"] = _fmt(touched + timedelta(days=rng.choice([0, 0, 1, 3, 7])))
    row["Lead Status"] = rng.choice(
        ["Attempted to Contact", "Connected", "In Progress", "Open Deal", "Unqualified"]
    )
    return row


def next_working_minute(at: datetime) -> datetime:
    """`at`, or the next 09:00 of a weekday: reps set owners and call from 09:00 to 18:00."""
    if at.weekday() < 5 and 9 <= at.hour < 18:
        return at
    day = at.date() if at.hour < 9 else at.date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 9, 0)


def _poisson(rng: random.Random, rate: float) -> int:
    count, total = 0, rng.expovariate(1)
    while total < rate:
        count += 1
        total += rng.expovariate(1)
    return count


def _fmt(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M}"


def _parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M")


if __name__ == "__main__":
    main()
