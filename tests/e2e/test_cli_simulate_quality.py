"""`leadflow simulate --accounts`: leads matched to accounts and screened for junk, as live."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

POLICY = """\
version: 1
timezone: Europe/Lisbon
reps:
  - {id: ines, name: Ines}
  - {id: rui, name: Rui}
pools:
  inbound: {strategy: round_robin, members: [ines, rui]}
junk:
  honeypots: [fax_2]
rules:
  - name: account-owner
    when: {account.owner: {exists: true}}
    assign: account_owner
fallback: inbound
"""

LEADS = """\
id,received_at,email,company,fax_2
L1,2026-05-04T10:00,marta@tagus.example,Tagus Shipping,
L2,2026-05-04T10:05,joao@douro.example,Douro Wines,
L3,2026-05-04T10:10,bot@spam.example,Spam Inc,555-0100
L4,2026-05-04T10:15,rita@tagus.example,Tagus Shipping,
"""

ACCOUNTS = """\
id,name,domains,owner,country
tagus,Tagus Shipping,tagus.example,rui,PT
"""


def leadflow(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "leadflow.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "policy.yaml").write_text(POLICY)
    (tmp_path / "leads.csv").write_text(LEADS)
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    return tmp_path


def simulate(files: Path) -> subprocess.CompletedProcess[str]:
    return leadflow(
        "simulate",
        "--policy", "policy.yaml",
        "--leads", "leads.csv",
        "--accounts", "accounts.csv",
        cwd=files,
    )  # fmt: skip


def test_the_summary_counts_the_leads_matched_to_an_account(files: Path) -> None:
    result = simulate(files)
    assert result.returncode == 0, result.stderr
    assert "Accounts: 2 leads matched, 0 for review (2 by domain_exact)" in result.stdout


def test_the_summary_counts_junk_leads_by_reason(files: Path) -> None:
    result = simulate(files)
    assert result.returncode == 0, result.stderr
    assert "Junk because" in result.stdout
    assert re.search(r"honeypot\s+│\s+1\s+│", result.stdout), result.stdout


def test_a_lead_with_no_usable_email_or_phone_is_counted_as_unreachable_junk(
    files: Path,
) -> None:
    with (files / "leads.csv").open("a") as leads:
        leads.write("L5,2026-05-04T10:20,not-an-email,Nobody Ltd,\n")
    result = simulate(files)
    assert result.returncode == 0, result.stderr
    assert re.search(r"unreachable\s*│\s*1", result.stdout), result.stdout


def test_a_bad_accounts_row_stops_the_run_naming_its_line(files: Path) -> None:
    (files / "accounts.csv").write_text(ACCOUNTS + "ebro,Ebro Foods,ebro.example,ines,Narnia\n")
    result = simulate(files)
    assert result.returncode == 1
    assert "accounts.csv line 3: country: unknown country 'Narnia'" in result.stderr


def test_an_accounts_file_that_does_not_exist_is_an_error(files: Path) -> None:
    (files / "accounts.csv").unlink()
    result = simulate(files)
    assert result.returncode == 2
    assert "accounts file accounts.csv does not exist" in result.stderr
