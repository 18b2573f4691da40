"""`leadflow user add|list|disable|enable|password` and the demo's console logins."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from leadflow.cli import app
from leadflow.service import users
from leadflow.service.context import Services
from leadflow.service.errors import Invalid
from leadflow.settings import Settings

PASSWORD = "a long enough password"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'leadflow.sqlite'}"
    monkeypatch.setenv("LEADFLOW_DATABASE_URL", url)
    monkeypatch.setenv("LEADFLOW_SQLITE_SYNCHRONOUS", "NORMAL")
    return url


def leadflow(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(app, list(args), input=stdin)


def signs_in(url: str, email: str, password: str) -> bool:
    svc = Services.build(Settings(database_url=url))
    try:
        users.sign_in(svc, email, password)
    except Invalid:
        return False
    finally:
        svc.store.close()
    return True


def test_user_add_reads_the_password_from_standard_input(database: str) -> None:
    added = leadflow("user", "add", "ann@example.com", "--role", "admin", stdin=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    assert "added admin ann@example.com" in added.stdout
    assert signs_in(database, "ann@example.com", PASSWORD)


def test_user_add_with_a_rep_that_the_policy_lacks_fails_naming_it(database: str) -> None:
    added = leadflow(
        "user", "add", "zed@example.com", "--role", "rep", "--rep", "zed", stdin=PASSWORD + "\n"
    )
    assert added.exit_code == 2
    assert "no rep 'zed'" in added.output


def test_user_add_without_a_password_fails(database: str) -> None:
    added = leadflow("user", "add", "ann@example.com", "--role", "admin", stdin="")
    assert added.exit_code == 2
    assert "no password" in added.output


def test_user_list_shows_every_user_with_role_and_state(database: str) -> None:
    leadflow("user", "add", "ann@example.com", "--role", "admin", stdin=PASSWORD + "\n")
    leadflow("user", "add", "max@example.com", "--role", "manager", stdin=PASSWORD + "\n")
    leadflow("user", "disable", "max@example.com")
    listed = leadflow("user", "list")
    assert listed.exit_code == 0
    rows = [line.split() for line in listed.stdout.splitlines()[1:]]
    assert [(r[0], r[2], r[4]) for r in rows] == [
        ("ann@example.com", "admin", "active"),
        ("max@example.com", "manager", "disabled"),
    ]


def test_a_disabled_user_cannot_sign_in_until_enabled(database: str) -> None:
    leadflow("user", "add", "ann@example.com", "--role", "admin", stdin=PASSWORD + "\n")
    assert leadflow("user", "disable", "ann@example.com").exit_code == 0
    assert not signs_in(database, "ann@example.com", PASSWORD)
    assert leadflow("user", "enable", "ann@example.com").exit_code == 0
    assert signs_in(database, "ann@example.com", PASSWORD)


def test_user_password_sets_a_new_password(database: str) -> None:
    leadflow("user", "add", "ann@example.com", "--role", "admin", stdin=PASSWORD + "\n")
    changed = leadflow("user", "password", "ann@example.com", stdin="another long one\n")
    assert changed.exit_code == 0, changed.output
    assert signs_in(database, "ann@example.com", "another long one")
    assert not signs_in(database, "ann@example.com", PASSWORD)


def test_disabling_an_unknown_user_fails(database: str) -> None:
    done = leadflow("user", "disable", "nobody@example.com")
    assert done.exit_code == 1
    assert "no user nobody@example.com" in done.output


def test_the_demo_prints_console_logins_that_sign_in(database: str) -> None:
    shown = leadflow("demo")
    assert shown.exit_code == 0, shown.output
    logins = re.findall(r"(admin|manager|rep)\s+(\S+@\S+)\s+password (\S+)", shown.stdout)
    assert [role for role, _, _ in logins] == ["admin", "manager", "rep"]
    for _, email, password in logins:
        assert signs_in(database, email, password)
