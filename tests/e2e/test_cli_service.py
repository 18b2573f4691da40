"""`leadflow db upgrade`, `apikey create|list|revoke` and `demo` on a real database file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from leadflow import cli_service
from leadflow.api.app import create_app
from leadflow.cli_service import mount
from leadflow.service import keys
from leadflow.service.context import Services
from leadflow.settings import Settings
from leadflow.store.tables import LeadRow, PolicyVersionRow

KEY = re.compile(r"lf_[0-9a-f]+_[\w-]+")


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The URL of an empty SQLite file, as the commands read it from the environment."""
    url = f"sqlite:///{tmp_path / 'leadflow.sqlite'}"
    monkeypatch.setenv("LEADFLOW_DATABASE_URL", url)
    monkeypatch.setenv("LEADFLOW_SQLITE_SYNCHRONOUS", "NORMAL")
    return url


def leadflow(*args: str) -> Result:
    app = typer.Typer()
    mount(app)
    return CliRunner().invoke(app, list(args))


def count(url: str, table: type) -> int:
    svc = Services.build(Settings(database_url=url))
    try:
        with svc.store.reading() as session:
            return session.scalar(select(func.count()).select_from(table)) or 0
    finally:
        svc.store.close()


def answers(url: str, token: str, path: str) -> int:
    """The status of a GET with this key, on an app over the same database."""
    with TestClient(create_app(Settings(database_url=url))) as client:
        headers = {"Authorization": f"Bearer {token}"}
        return client.get(f"/api/v1{path}", headers=headers).status_code


def test_db_upgrade_is_idempotent(database: str) -> None:
    first, again = leadflow("db", "upgrade"), leadflow("db", "upgrade")
    assert (first.exit_code, again.exit_code) == (0, 0), first.output + again.output
    assert "up to date" in again.stdout
    assert count(database, LeadRow) == 0


def test_apikey_create_prints_a_key_that_the_api_accepts(database: str) -> None:
    result = leadflow("apikey", "create", "--role", "manager", "--name", "ops")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert KEY.fullmatch(token)
    assert answers(database, token, "/reps") == 200


def test_apikey_create_makes_a_rep_key_only_for_a_rep(database: str) -> None:
    result = leadflow("apikey", "create", "--role", "rep")
    assert result.exit_code == 2
    assert "needs --rep" in result.stderr


def test_apikey_create_refuses_an_unknown_role(database: str) -> None:
    result = leadflow("apikey", "create", "--role", "root")
    assert result.exit_code == 2 and "unknown role" in result.stderr


def test_apikey_list_shows_each_key_with_its_prefix_and_role_but_no_secret(database: str) -> None:
    token = leadflow("apikey", "create", "--role", "rep", "--rep", "alice").stdout.strip()
    result = leadflow("apikey", "list")
    assert result.exit_code == 0, result.output
    prefix, secret = token.split("_", 2)[1:]
    row = next(line for line in result.stdout.splitlines() if prefix in line)
    assert row.split()[:5] == ["1", "alice", prefix, "rep", "alice"]
    assert secret not in result.stdout


def test_apikey_revoke_makes_the_api_refuse_the_key(database: str) -> None:
    token = leadflow("apikey", "create", "--role", "manager").stdout.strip()
    result = leadflow("apikey", "revoke", "1")
    assert result.exit_code == 0, result.output
    assert answers(database, token, "/reps") == 401


def test_apikey_list_shows_when_a_key_was_revoked(database: str) -> None:
    leadflow("apikey", "create", "--role", "manager")
    leadflow("apikey", "revoke", "1")
    listed = leadflow("apikey", "list").stdout.splitlines()
    revoked = listed[0].split().index("revoked")
    assert listed[1].split()[revoked].endswith("Z")


def test_apikey_revoke_of_an_unknown_id_fails(database: str) -> None:
    result = leadflow("apikey", "revoke", "7")
    assert result.exit_code == 1 and "no API key 7" in result.stderr


def test_demo_loads_the_policy_and_routes_every_demo_lead(database: str) -> None:
    result = leadflow("demo")
    assert result.exit_code == 0, result.output
    assert "Routed 400 demo leads" in result.stdout
    assert count(database, LeadRow) == 400
    assert count(database, PolicyVersionRow) == 1
    token = KEY.search(result.stdout)
    assert token is not None and answers(database, token.group(), "/policy") == 200


def test_demo_loads_into_an_empty_database_only_once(database: str) -> None:
    leadflow("demo")
    again = leadflow("demo")
    assert again.exit_code == 0, again.output
    assert "loaded nothing" in again.stdout and KEY.search(again.stdout)
    assert count(database, LeadRow) == 400
    assert count(database, PolicyVersionRow) == 1


@pytest.fixture
def any_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """An empty SQLite file or PostgreSQL database, as the commands read it from the environment."""
    monkeypatch.setenv("LEADFLOW_DATABASE_URL", database_url)
    monkeypatch.setenv("LEADFLOW_SQLITE_SYNCHRONOUS", "NORMAL")
    return database_url


def test_demo_run_twice_leaves_one_live_demo_admin_key_the_one_printed_last(
    any_database: str,
) -> None:
    first, again = leadflow("demo"), leadflow("demo")
    assert (first.exit_code, again.exit_code) == (0, 0), first.output + again.output
    old, new = KEY.search(first.stdout), KEY.search(again.stdout)
    assert old is not None and new is not None and old.group() != new.group()
    svc = Services.build(Settings(database_url=any_database))
    try:
        demo_keys = [k for k in keys.list_keys(svc) if k.name == "demo-admin"]
    finally:
        svc.store.close()
    assert [k.revoked_at is None for k in demo_keys] == [False, True]
    assert answers(any_database, new.group(), "/policy") == 200
    assert answers(any_database, old.group(), "/policy") == 401
    old_prefix = old.group().split("_")[1]
    assert f"replaces the demo-admin key printed before (lf_{old_prefix}_)" in again.stdout


def test_demo_leaves_other_admin_keys_alone(database: str) -> None:
    ops = leadflow("apikey", "create", "--role", "admin", "--name", "ops").stdout.strip()
    leadflow("demo")
    leadflow("demo")
    assert answers(database, ops, "/policy") == 200


def test_demo_out_goes_with_simulate(database: str) -> None:
    result = leadflow("demo", "--out", "decisions.jsonl")
    assert result.exit_code == 2 and "--simulate" in result.stderr


def test_the_cli_offers_exactly_the_roles_that_keys_may_have() -> None:
    assert cli_service.ROLES == keys.ROLES
