"""The console in a real browser: a `leadflow serve` process and Debian's Chromium (Playwright).

    def test_something(console: Console, browser: Browser) -> None:
        page = console.signed_in(browser, "alice@example.com")
        page.get_by_role("button", name="Accept").click()

`console` is a fresh SQLite database with the shared test policy published, an admin API key,
and a user for each role (`USERS`, all with `PASSWORD`), served by a real process on a free
port. Chromium is `/usr/bin/chromium` (`make test` installs it); Playwright's own browser
download cannot work here. Without Chromium or Playwright a browser test is skipped with the
reason, except in CI, where it fails: no test may be skipped in CI for a missing component.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from serverproc import Server, environment
from shared_policy import POLICY

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
PASSWORD = "correct horse battery"
USERS = {  # email -> (role, rep)
    "admin@example.com": ("admin", None),
    "maria@example.com": ("manager", None),
    "alice@example.com": ("rep", "alice"),
    "bob@example.com": ("rep", "bob"),
    "chen@example.com": ("rep", "chen"),
    "dana@example.com": ("rep", "dana"),
}


def require_browser() -> None:
    """Skip without Chromium or Playwright; fail in CI."""
    problem = None
    if not CHROMIUM.exists():
        problem = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            problem = "Playwright for Python is not installed (pip install playwright)"
    if problem is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{problem} (CI: browser tests may not be skipped)", pytrace=False)
    pytest.skip(problem)


def add_user(database_url: str, email: str, role: str, rep: str | None, password: str) -> None:
    """`leadflow user add`, the password on standard input, as an operator would."""
    args = ["user", "add", email, "--role", role, *(["--rep", rep] if rep else [])]
    done = subprocess.run(
        [sys.executable, "-m", "leadflow.cli", *args],
        env=environment(database_url),
        input=password + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    if done.returncode != 0:
        raise RuntimeError(f"leadflow user add failed:\n{done.stdout}\n{done.stderr}")


@dataclass
class Console:
    """A served console: its URL, an admin API key, and helpers to act as each user."""

    server: Server
    admin_key: str
    pages: list[Any] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The HTTP API as the admin key."""
        headers = {"Authorization": f"Bearer {self.admin_key}", **kwargs.pop("headers", {})}
        return httpx.request(
            method, f"{self.url}/api/v1{path}", headers=headers, timeout=30, **kwargs
        )

    def post_lead(self, **fields: Any) -> dict[str, Any]:
        answer = self.api("POST", "/leads", json={"email": "lead@example.com", **fields})
        assert answer.status_code == 201, answer.text
        routed: dict[str, Any] = answer.json()
        return routed

    def new_page(
        self, browser: Any, width: int = 1280, height: int = 900, *, axe: bool = False
    ) -> Any:
        """A page in a new context; `axe`: one that may inject axe-core despite the CSP."""
        context = browser.new_context(
            viewport={"width": width, "height": height},
            base_url=self.url,
            locale="en-US",
            bypass_csp=axe,
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        self.pages.append(context)
        return page

    def signed_in(
        self, browser: Any, email: str, width: int = 1280, height: int = 900, *, axe: bool = False
    ) -> Any:
        """A new browser context signed in as `email` (with `PASSWORD`), on its home page."""
        page = self.new_page(browser, width, height, axe=axe)
        sign_in(page, email)
        return page


def sign_in(page: Any, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations of impact serious or critical on the page as it is now (a page
    from `new_page(..., axe=True)`: the console's CSP refuses injected scripts)."""
    page.add_script_tag(path=str(AXE))
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations
                .filter(v => v.impact === "serious" || v.impact === "critical")
                .map(v => ({id: v.id, impact: v.impact, help: v.help,
                            nodes: v.nodes.slice(0, 5).map(n => n.target.join(" "))}));
        }"""
    )
    return found


def describe(violations: list[dict[str, Any]]) -> str:
    return json.dumps(violations, indent=2)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session; each test opens its own contexts."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()


def prepare(database_url: str, policy: str = POLICY) -> str:
    """Migrate, publish `policy`, add `USERS`: in this process (a CLI call each would take
    seconds). The admin API key it made."""
    from leadflow.service import keys, users
    from leadflow.service.context import Services
    from leadflow.service.policies import publish_policy
    from leadflow.service.routing import SYSTEM
    from leadflow.settings import Settings
    from leadflow.store.migrate import upgrade

    svc = Services.build(Settings(database_url=database_url))
    try:
        upgrade(svc.store.engine)
        publish_policy(svc, policy, SYSTEM, message="the test policy")
        for email, (role, rep) in USERS.items():
            users.add_user(svc, email, PASSWORD, role, rep, by="tests")
        return keys.create_key(svc, "admin", "tests-admin").token
    finally:
        svc.store.close()


@pytest.fixture
def console_policy() -> str:
    """The policy `console` publishes: a test module defines its own fixture of this name for
    another one (junk rules, channels, a pool that holds)."""
    return POLICY


@pytest.fixture
def console_env() -> dict[str, str]:
    """More environment for the served process (`LEADFLOW_DELIVERY_ATTEMPTS`, a channel's
    `${VAR}`): a test module defines its own fixture of this name to add some."""
    return {}


@pytest.fixture
def console(tmp_path: Path, console_policy: str, console_env: dict[str, str]) -> Iterator[Console]:
    """A fresh database with the test policy and a user per role, served by a real process."""
    require_browser()
    url = f"sqlite:///{tmp_path / 'leadflow.sqlite'}"
    key = prepare(url, console_policy)
    env = {"LEADFLOW_HELD_CHECK_SECONDS": "0", **console_env}
    server = Server(url, tmp_path / "server.log", env=env)
    served = Console(server.start(), key)
    try:
        yield served
    finally:
        for context in served.pages:
            context.close()
        server.stop()
