"""Regenerate the demo's leads and events (src/leadflow/demo): a week of a B2B inbound funnel.

Deterministic (seeded), so the committed files only change when this script does:
    .venv/bin/python bench/make_demo.py
"""

from __future__ import annotations

import csv
import json
import random
from datetime import datetime, timedelta
from pathlib import Path

DEMO = Path(__file__).resolve().parent.parent / "src" / "leadflow" / "demo"
START = datetime(2026, 11, 23)  # Monday; Thursday the 26th is Thanksgiving
COLUMNS = [
    "id",
    "received_at",
    "first_name",
    "last_name",
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
FIRST = [
    "Ana",
    "Ben",
    "Carla",
    "Dev",
    "Emma",
    "Farid",
    "Gina",
    "Hank",
    "Ines",
    "Jon",
    "Kai",
    "Lena",
    "Mo",
    "Nina",
    "Omar",
    "Pia",
    "Quinn",
    "Rosa",
    "Sam",
    "Tess",
    "Uma",
    "Vic",
]
LAST = [
    "Ng",
    "Okafor",
    "Petrov",
    "Quist",
    "Rossi",
    "Silva",
    "Tanaka",
    "Ueda",
    "Varga",
    "Weber",
    "Xu",
    "Young",
    "Zimmer",
    "Garcia",
    "Muller",
    "Smith",
    "Dubois",
    "Jensen",
]
US_STATES = ["NY", "MA", "NJ", "PA", "CA", "WA", "OR", "TX", "IL", "FL", "GA", "CO", "AZ"]
EUROPE = ["GB", "DE", "FR", "ES", "NL", "SE", "IE"]
INDUSTRIES = ["software", "healthcare", "finance", "retail", "manufacturing", "education"]
SOURCES = ["website", "webinar", "paid-search", "event", "partner"]
REPS = ["alice", "bob", "chen", "dana", "eli", "fay", "greta", "hugo"]


def arrival(rng: random.Random) -> datetime:
    day = rng.choices(range(7), weights=[18, 18, 18, 6, 10, 3, 3])[0]
    hour = rng.choices(range(24), weights=[1] * 7 + [4, 8, 10, 10, 9, 7, 9, 10, 9, 7, 4] + [2] * 6)[
        0
    ]
    return START + timedelta(
        days=day, hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60)
    )


def lead(rng: random.Random, n: int) -> dict[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    region = rng.choices(["us", "europe", "canada", "other"], weights=[70, 18, 6, 6])[0]
    country = {"us": "US", "europe": rng.choice(EUROPE), "canada": "CA", "other": "BR"}[region]
    company = f"{rng.choice(LAST)} {rng.choice(['Labs', 'Health', 'Capital', 'Systems', 'Foods'])}"
    domain = company.lower().replace(" ", "") + ".com"
    employees = int(rng.lognormvariate(4.5, 1.6))
    row = {
        "id": f"L-{n:04d}",
        "received_at": arrival(rng).isoformat(),
        "first_name": first,
        "last_name": last,
        "email": f"{first.lower()}.{last.lower()}@{domain}",
        "company": company,
        "country": country,
        "state": rng.choice(US_STATES) if country == "US" else "",
        "industry": rng.choice(INDUSTRIES),
        "employees": str(employees),
        "score": str(min(100, max(0, int(rng.gauss(55, 22))))),
        "language": "es" if country in ("ES", "BR") or rng.random() < 0.08 else "",
        "source": rng.choice(SOURCES),
        "existing_owner": rng.choice(REPS) if rng.random() < 0.05 else "",
        "requested_rep": rng.choice(REPS) if rng.random() < 0.03 else "",
        "account.owner": rng.choice(REPS) if rng.random() < 0.06 else "",
    }
    if rng.random() < 0.02:
        row["email"] = f"{first.lower()}@example.invalid"
    return row


def main() -> None:
    rng = random.Random(20261123)
    leads = sorted((lead(rng, n) for n in range(1, 401)), key=lambda r: r["received_at"])
    with (DEMO / "leads.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(leads)
    events = [
        {"at": "2026-11-23T11:00:00", "type": "rep.updated", "rep": "bob", "presence": "away"},
        {"at": "2026-11-23T15:00:00", "type": "rep.updated", "rep": "bob", "presence": "available"},
        {"at": "2026-11-25T09:00:00", "type": "rep.updated", "rep": "fay", "caps": {"per_day": 3}},
        {
            "at": "2026-11-26T00:00:00",
            "type": "rep.updated",
            "rep": "hugo",
            "time_off": [{"from": "2026-11-26", "to": "2026-11-27"}],
        },
    ]
    for row in rng.sample(leads, 60):
        at = datetime.fromisoformat(row["received_at"]) + timedelta(hours=rng.randrange(2, 30))
        events.append(
            {
                "at": at.isoformat(),
                "type": "lead.status",
                "lead_id": row["id"],
                "status": rng.choice(["contacted", "won", "lost", "closed"]),
            }
        )
    events.sort(key=lambda e: e["at"])
    with (DEMO / "events.jsonl").open("w") as f:
        f.writelines(json.dumps(e) + "\n" for e in events)


if __name__ == "__main__":
    main()
