"""Write a PNG of every console page, with the demo data, into docs/screenshots/.

    make screenshots        # or: .venv/bin/python scripts/screenshots.py [--out DIR]

A fresh demo database in a temporary folder (`leadflow demo`, which prints the demo logins), a
`leadflow serve` process on it, a few leads posted now (so that the inbox and today's figures
are live, not a week old), the demo's outcomes recorded on its leads (for the reports page),
then Debian's Chromium signed in as the demo's admin, manager and rep takes each page at
1280 px, and the rep's inbox and a lead's page at a phone's 390 px too.
"""

from __future__ import annotations

import argparse
import json
import re
import sqlite3
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
import serverproc  # noqa: E402  (the tests' helper that runs `leadflow serve`)

REPORT_WEEK = "/reports?from=2026-11-23&to=2026-11-29&tz=America/New_York&group_by=source"
LOGIN = re.compile(r"(admin|manager|rep)\s+(\S+@\S+)\s+password (\S+)")
KEY = re.compile(r"Admin API key \(shown once\): (\S+)")
FRESH = [  # posted at the time of the screenshots, to the demo's rep through `requested_rep`
    {"first_name": "Priya", "last_name": "Natarajan", "company": "Northwind Health",
     "email": "priya@northwind-health.com", "source": "demo_request", "employees": 1400},
    {"first_name": "Tom", "last_name": "Becker", "company": "Kessler Logistics",
     "email": "tom.becker@kessler-logistics.com", "source": "webinar", "employees": 220},
    {"first_name": "Ana", "last_name": "Souza", "company": "Lumen Retail",
     "email": "ana@lumenretail.com", "source": "website", "employees": 80},
]  # fmt: skip


def demo(url: str) -> tuple[dict[str, tuple[str, str]], str]:
    """Load the demo; the logins it printed (role -> (email, password)) and its API key."""
    done = subprocess.run(
        [sys.executable, "-m", "leadflow.cli", "demo"],
        env=serverproc.environment(url),
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    logins = {role: (email, password) for role, email, password in LOGIN.findall(done.stdout)}
    key = KEY.search(done.stdout)
    assert key is not None and len(logins) == 3, done.stdout
    return logins, key.group(1)


def demo_outcomes(database: Path, base: str, key: str) -> int:
    """Record the demo's own outcomes (`demo/events.jsonl`: contacted, won, lost, closed) on its
    leads, at their times, so that the reports page has first touches to show; how many."""
    from importlib import resources

    from leadflow.demo.load import demo_text

    zone = ZoneInfo(yaml.safe_load(demo_text("policy.yaml"))["timezone"])
    with sqlite3.connect(database) as db:
        ids = dict(db.execute("SELECT external_id, id FROM leads"))
    kinds = {"contacted": "contacted", "won": "won", "lost": "lost", "closed": "disqualified"}
    lines = (resources.files("leadflow") / "demo" / "events.jsonl").read_text().splitlines()
    done = 0
    for event in map(json.loads, lines):
        if event["type"] != "lead.status" or event["lead_id"] not in ids:
            continue
        at = datetime.fromisoformat(event["at"]).replace(tzinfo=zone)
        answer = httpx.post(
            f"{base}/api/v1/leads/{ids[event['lead_id']]}/events",
            json={"type": kinds[event["status"]], "at": at.isoformat()},
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
        done += answer.status_code == 200  # a lead still held has no owner to touch it: 409
    return done


def shoot(page: Any, path: str, out: Path, name: str, screens: float | None = None) -> None:
    """The whole page, or its first `screens` viewport heights (a long list's top)."""
    page.goto(path)
    page.wait_for_load_state("networkidle")
    size = page.viewport_size
    if screens is None:
        page.screenshot(path=str(out / f"{name}.png"), full_page=True)
    else:
        clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"] * screens}
        page.screenshot(path=str(out / f"{name}.png"), full_page=True, clip=clip)
    print(f"  {name}.png  {path}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'demo.sqlite'}"
        logins, key = demo(url)
        server = serverproc.Server(url, Path(tmp) / "server.log")
        with server.start(), sync_playwright() as playwright:
            rep_id = logins["rep"][0].split("@")[0]
            lead_ids = []
            for fields in FRESH:
                answer = httpx.post(
                    f"{server.url}/api/v1/leads",
                    json={**fields, "requested_rep": rep_id},
                    headers={"Authorization": f"Bearer {key}"},
                    timeout=30,
                )
                answer.raise_for_status()
                lead_ids.append(answer.json()["id"])
            print(f"  {demo_outcomes(Path(tmp) / 'demo.sqlite', server.url, key)} outcomes")
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
            )

            def signed_in(role: str, width: int = 1280) -> Any:
                context = browser.new_context(
                    viewport={"width": width, "height": 800},
                    base_url=server.url,
                    device_scale_factor=1,
                )
                page = context.new_page()
                page.goto("/login")
                page.get_by_label("Email").fill(logins[role][0])
                page.get_by_label("Password").fill(logins[role][1])
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_load_state()
                return page

            anonymous = browser.new_context(viewport={"width": 1280, "height": 800})
            login_page = anonymous.new_page()
            login_page.goto(f"{server.url}/login")
            login_page.screenshot(path=str(args.out / "login.png"))
            print("  login.png")
            rep = signed_in("rep")
            shoot(rep, "/inbox", args.out, "inbox", screens=1.25)
            phone = signed_in("rep", width=390)
            shoot(phone, "/inbox", args.out, "inbox-phone", screens=1.5)
            # the rep's own lead (a fresh one may be held, and then it is not theirs: 404)
            own = phone.locator(".inbox-name a").first.get_attribute("href")
            shoot(phone, own or "/leads", args.out, "lead-phone")
            manager = signed_in("manager")
            shoot(manager, "/home", args.out, "home")
            shoot(manager, "/leads", args.out, "leads", screens=1.25)
            shoot(manager, f"/leads/{lead_ids[0]}", args.out, "lead")
            shoot(manager, "/team", args.out, "team")
            shoot(manager, f"/team/{rep_id}", args.out, "team-rep")
            shoot(manager, "/queues", args.out, "queues", screens=1.25)
            shoot(manager, REPORT_WEEK, args.out, "reports")
            manager_phone = signed_in("manager", width=390)
            shoot(manager_phone, "/team", args.out, "team-phone", screens=1.5)
            shoot(manager_phone, REPORT_WEEK, args.out, "reports-phone", screens=2)
            admin = signed_in("admin")
            shoot(admin, "/policy", args.out, "policy")
            shoot(admin, "/admin", args.out, "admin")
            shoot(signed_in("admin", width=390), "/admin", args.out, "admin-phone", screens=1.5)
            browser.close()


if __name__ == "__main__":
    main()
