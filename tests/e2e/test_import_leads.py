"""Importing leads from CSV: `leadflow import leads FILE` and `POST /api/v1/leads/import`.

The command runs in-process (Typer's runner) against a temporary SQLite file named by
LEADFLOW_DATABASE_URL, as a user runs it; its policy has no calendar, so that leads are placed
whatever the hour the test runs at. The API tests use conftest's app, fixed clock and policy
(alice, bob and chen in a round robin), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from databases import FixedClock
from leadflow.api.app import create_app
from leadflow.cli import app as leadflow_app
from leadflow.cli_service import env_services
from leadflow.service.context import Services
from leadflow.service.keys import create_key
from leadflow.service.policies import publish_policy
from leadflow.service.routing import SYSTEM
from leadflow.settings import Settings
from leadflow.store.tables import DecisionRow, LeadEventRow, LeadRow

API = "/api/v1"
Headers = dict[str, str]

POLICY = """\
version: 1
timezone: Europe/Berlin
reps:
  - {id: lena, name: Lena}
  - {id: omar, name: Omar}
pools:
  inbound: {strategy: round_robin, members: [lena, omar]}
junk:
  honeypots: [fax]
intake:
  trade-fair:
    fields:
      E-Mail: email
      Firma: company
      Nachname: last_name
      Mitarbeiter: {to: employees, transform: integer}
fallback: inbound
"""

GOOD = """\
email,first_name,company
greta@hafen.example,Greta,Hafen Logistik
piet@molen.example,Piet,Molen BV
sara@fjord.example,Sara,Fjord AS
"""


# the command


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A migrated SQLite file with POLICY active, named in the environment as the CLI reads it."""
    url = f"sqlite:///{tmp_path / 'leadflow.sqlite'}"
    monkeypatch.setenv("LEADFLOW_DATABASE_URL", url)
    monkeypatch.setenv("LEADFLOW_SQLITE_SYNCHRONOUS", "NORMAL")
    svc = env_services()
    try:
        publish_policy(svc, POLICY, SYSTEM)
    finally:
        svc.store.close()
    return url


def leadflow(*args: str | Path) -> Result:
    return CliRunner().invoke(leadflow_app, [str(arg) for arg in args])


def write(folder: Path, text: str, name: str = "leads.csv", encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def stored(url: str) -> list[LeadRow]:
    """Every lead in the database, in the order it was stored."""
    svc = Services.build(Settings(database_url=url))
    try:
        with svc.store.reading() as session:
            rows = list(session.scalars(select(LeadRow).order_by(LeadRow.seq)))
            session.expunge_all()
            return rows
    finally:
        svc.store.close()


def count(url: str) -> int:
    svc = Services.build(Settings(database_url=url))
    try:
        with svc.store.reading() as session:
            return session.scalar(select(func.count()).select_from(LeadRow)) or 0
    finally:
        svc.store.close()


def refused(errors: Path) -> list[tuple[int, str]]:
    """The error report as (line, reason) rows."""
    with errors.open(encoding="utf-8-sig", newline="") as file:
        return [(int(row["line"]), row["reason"]) for row in csv.DictReader(file)]


def test_good_rows_are_stored_and_routed_and_the_summary_says_so(
    database: str, tmp_path: Path
) -> None:
    result = leadflow("import", "leads", write(tmp_path, GOOD))
    assert result.exit_code == 0, result.output
    assert "3 rows: added 3 (3 assigned); 0 imported before; 0 refused" in result.stdout
    assert [(lead.status, lead.owner) for lead in stored(database)] == [
        ("assigned", "lena"),
        ("assigned", "omar"),
        ("assigned", "lena"),
    ]


def test_imported_leads_keep_their_source(database: str, tmp_path: Path) -> None:
    leadflow("import", "leads", write(tmp_path, GOOD), "--source", "webinar-2026")
    assert {lead.source for lead in stored(database)} == {"webinar-2026"}


def test_no_route_stores_the_leads_unrouted(database: str, tmp_path: Path) -> None:
    result = leadflow("import", "leads", write(tmp_path, GOOD), "--no-route")
    assert "added 3 (3 stored)" in result.stdout
    assert [(lead.status, lead.owner) for lead in stored(database)] == [("stored", None)] * 3


def test_restore_routes_a_lead_that_an_import_stored_unrouted(
    database: str, tmp_path: Path
) -> None:
    leadflow("import", "leads", write(tmp_path, GOOD), "--no-route")
    first = stored(database)[0]
    svc = Services.build(Settings(database_url=database))
    with TestClient(create_app(svc.settings, svc)) as client:
        admin = {"Authorization": f"Bearer {create_key(svc, 'admin', name='ops').token}"}
        answer = client.post(f"{API}/leads/{first.id}/restore", headers=admin)
    assert answer.status_code == 200, answer.text
    assert (answer.json()["status"], answer.json()["owner"]) == ("assigned", "lena")
    assert [lead.status for lead in stored(database)] == ["assigned", "stored", "stored"]


def test_a_dry_run_stores_nothing(database: str, tmp_path: Path) -> None:
    result = leadflow("import", "leads", write(tmp_path, GOOD), "--dry-run")
    assert result.exit_code == 0, result.output
    assert count(database) == 0


def test_a_dry_run_says_what_would_become_of_each_row(database: str, tmp_path: Path) -> None:
    rows = "email,company,fax\nbot@spam.example,Spam,0301234\ngreta@hafen.example,Hafen,\n"
    result = leadflow("import", "leads", write(tmp_path, rows), "--dry-run")
    assert "2 rows: would take 2 (1 junk, 1 assigned); nothing stored; 0 refused" in result.stdout


def test_a_dry_run_counts_the_duplicates_the_real_run_then_merges(
    database: str, tmp_path: Path
) -> None:
    svc = env_services()
    try:
        publish_policy(svc, POLICY + "dedupe: {window: 30d}\n", SYSTEM)
    finally:
        svc.store.close()
    path = write(tmp_path, GOOD + "greta@hafen.example,Greta,Hafen GmbH\n")
    dry = leadflow("import", "leads", path, "--dry-run")
    assert "4 rows: would take 4 (3 assigned, 1 merged); nothing stored" in dry.stdout, dry.stdout
    assert count(database) == 0
    real = leadflow("import", "leads", path)
    assert "4 rows: added 4 (3 assigned, 1 merged)" in real.stdout, real.stdout


def test_a_dry_run_of_a_file_imported_before_says_nothing_would_be_added(
    database: str, tmp_path: Path
) -> None:
    path = write(tmp_path, GOOD)
    leadflow("import", "leads", path)
    result = leadflow("import", "leads", path, "--dry-run")
    assert "would take 0 (none); nothing stored; 3 imported before" in result.stdout


def test_importing_the_same_file_twice_adds_nothing_the_second_time(
    database: str, tmp_path: Path
) -> None:
    path = write(tmp_path, GOOD)
    leadflow("import", "leads", path)
    again = leadflow("import", "leads", path)
    assert again.exit_code == 0, again.output
    assert "3 rows: added 0 (none); 3 imported before" in again.stdout
    assert count(database) == 3


def test_a_row_without_email_or_phone_is_refused_with_its_line_in_the_errors_file(
    database: str, tmp_path: Path
) -> None:
    rows = GOOD + ",Nobody,Anon GmbH\nkai@see.example,Kai,See AG\n"
    errors = tmp_path / "refused.csv"
    leadflow("import", "leads", write(tmp_path, rows), "--errors", errors)
    assert refused(errors) == [(5, "a lead needs an email or a phone")]


def test_a_row_with_no_usable_email_or_phone_is_kept_as_unreachable_junk(
    database: str, tmp_path: Path
) -> None:
    rows = GOOD + "not-an-email,Nobody,Anon GmbH\n"
    result = leadflow("import", "leads", write(tmp_path, rows))
    assert "4 rows: added 4 (3 assigned, 1 junk)" in result.stdout, result.stdout
    junk = [lead for lead in stored(database) if lead.status == "junk"]
    assert [lead.junk_reason for lead in junk] == ["unreachable: no valid email or phone"]


def test_a_row_kept_as_junk_is_noted_in_the_errors_file_with_its_reason(
    database: str, tmp_path: Path
) -> None:
    rows = GOOD + "not-an-email,Nobody,Anon GmbH\n"
    errors = tmp_path / "refused.csv"
    result = leadflow("import", "leads", write(tmp_path, rows), "--errors", errors)
    assert result.exit_code == 0, result.output
    assert refused(errors) == [(5, "kept as junk: unreachable: no valid email or phone")]


def test_the_rows_around_a_refused_row_are_kept(database: str, tmp_path: Path) -> None:
    rows = GOOD + ",Nobody,Anon GmbH\nkai@see.example,Kai,See AG\n"
    leadflow("import", "leads", write(tmp_path, rows))
    assert [lead.fields["first_name"] for lead in stored(database)] == [
        "Greta",
        "Piet",
        "Sara",
        "Kai",
    ]


def test_the_errors_file_goes_next_to_the_imported_file_by_default(
    database: str, tmp_path: Path
) -> None:
    leadflow("import", "leads", write(tmp_path, GOOD + ",Nobody,Anon GmbH\n"))
    assert refused(tmp_path / "leads.csv.errors.csv") == [(5, "a lead needs an email or a phone")]


def test_a_clean_import_leaves_no_errors_file(database: str, tmp_path: Path) -> None:
    leadflow("import", "leads", write(tmp_path, GOOD))
    assert not (tmp_path / "leads.csv.errors.csv").exists()


def test_the_exit_code_is_1_when_some_rows_were_refused(database: str, tmp_path: Path) -> None:
    result = leadflow("import", "leads", write(tmp_path, GOOD + ",Nobody,Anon GmbH\n"))
    assert result.exit_code == 1
    assert "4 rows: added 3 (3 assigned); 0 imported before; 1 refused" in result.stdout


def test_the_exit_code_is_0_when_no_row_was_refused(database: str, tmp_path: Path) -> None:
    assert leadflow("import", "leads", write(tmp_path, GOOD)).exit_code == 0


# what a file can hold


def utf8_with_a_bad_byte_after_the_sample(good_rows: int) -> bytes:
    """UTF-8 rows past the 64 KB the encoding is guessed from, then one with a stray byte.

    The stray byte must come after the sample: a small file with one is read as cp1252 (see
    `test_one_bad_byte_in_a_small_utf8_file_costs_only_its_row`)."""
    head = "email,first_name,company\n"
    body = "".join(f"p{i}@zoe.example,Zoë,Café Nº{i}\n" for i in range(good_rows))
    return (
        (head + body).encode() + b"bad@zoe.example,Zo\xff,Broken\n" + b"last@zoe.example,Li,End\n"
    )


def test_a_row_with_a_byte_that_is_not_utf8_is_refused_with_its_line(
    database: str, tmp_path: Path
) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(utf8_with_a_bad_byte_after_the_sample(2500))
    errors = tmp_path / "refused.csv"
    leadflow("import", "leads", path, "--no-route", "--errors", errors)
    assert refused(errors) == [(2502, "not valid UTF-8: byte 0xFF in column 2 (first_name)")]


def test_the_rows_around_a_byte_that_is_not_utf8_are_kept_with_their_text(
    database: str, tmp_path: Path
) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(utf8_with_a_bad_byte_after_the_sample(2500))
    leadflow("import", "leads", path, "--no-route")
    leads = stored(database)
    assert len(leads) == 2501
    assert (leads[0].fields["first_name"], leads[0].fields["company"]) == ("Zoë", "Café Nº0")
    assert leads[-1].fields["email"] == "last@zoe.example"


def test_one_bad_byte_in_a_small_utf8_file_costs_only_its_row(
    database: str, tmp_path: Path
) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(
        "email,first_name\nzoe@cafe.example,Zoë\n".encode() + b"bad@cafe.example,Zo\xff\n"
    )
    leadflow("import", "leads", path)
    assert [lead.fields["first_name"] for lead in stored(database)] == ["Zoë"]


def test_a_latin1_file_imports_with_its_accents_right(database: str, tmp_path: Path) -> None:
    rows = "email,last_name,company\nanna@mueller.example,Müller,Société Générale\n"
    leadflow("import", "leads", write(tmp_path, rows, encoding="latin-1"))
    (lead,) = stored(database)
    assert (lead.fields["last_name"], lead.fields["company"]) == ("Müller", "Société Générale")


def test_a_row_with_more_cells_than_the_header_is_refused_with_its_line(
    database: str, tmp_path: Path
) -> None:
    rows = GOOD + "kai@see.example,Kai,See AG,surplus\n"
    errors = tmp_path / "refused.csv"
    leadflow("import", "leads", write(tmp_path, rows), "--errors", errors)
    assert refused(errors) == [(5, "4 cells, but the header has 3 columns")]
    assert count(database) == 3


def test_a_quote_never_closed_costs_its_line_and_the_later_rows_are_kept(
    database: str, tmp_path: Path
) -> None:
    rows = (
        "email,first_name,company\n"
        'greta@hafen.example,Greta,"Hafen Logistik\n'
        "piet@molen.example,Piet,Molen BV\n"
        "sara@fjord.example,Sara,Fjord AS\n"
    )
    errors = tmp_path / "refused.csv"
    leadflow("import", "leads", write(tmp_path, rows), "--errors", errors)
    ((line, reason),) = refused(errors)
    assert line == 2 and "a quote opened on this line is never closed" in reason
    assert [lead.fields["first_name"] for lead in stored(database)] == ["Piet", "Sara"]


def test_an_empty_file_is_an_error_with_exit_code_2(database: str, tmp_path: Path) -> None:
    result = leadflow("import", "leads", write(tmp_path, ""))
    assert result.exit_code == 2
    assert "the file is empty: no header row" in result.stderr


def test_an_empty_file_stores_nothing(database: str, tmp_path: Path) -> None:
    leadflow("import", "leads", write(tmp_path, ""))
    assert count(database) == 0


def test_a_semicolon_delimited_file_with_a_bom_is_read_by_its_column_names(
    database: str, tmp_path: Path
) -> None:
    rows = "\ufeffemail;first_name;company\nsara@fjord.example;Sara;Fjord AS\n"
    result = leadflow("import", "leads", write(tmp_path, rows))
    assert result.exit_code == 0, result.output
    (lead,) = stored(database)
    assert (lead.fields["email"], lead.fields["company"]) == ("sara@fjord.example", "Fjord AS")


def test_the_sources_intake_mapping_renames_the_columns(database: str, tmp_path: Path) -> None:
    rows = "E-Mail,Nachname,Firma,Standnummer\njonas@werk.example,Weber,Werk AG,B-12\n"
    leadflow("import", "leads", write(tmp_path, rows), "--source", "trade-fair")
    (lead,) = stored(database)
    assert (lead.fields["email"], lead.fields["last_name"], lead.fields["company"]) == (
        "jonas@werk.example",
        "Weber",
        "Werk AG",
    )


def test_a_source_a_letter_off_a_mapped_one_is_warned_of_and_the_rows_kept(
    database: str, tmp_path: Path
) -> None:
    rows = "email\njonas@werk.example\n"
    result = leadflow("import", "leads", write(tmp_path, rows), "--source", "trade-fiar")
    assert result.exit_code == 0, result.output
    assert (
        "warning: source 'trade-fiar' has no intake mapping: did you mean 'trade-fair'?"
        in result.stdout
    )
    assert len(stored(database)) == 1
    plain = leadflow("import", "leads", write(tmp_path, "email\nx@y.example\n"), "--source", "expo")
    assert "warning" not in plain.stdout  # a label of its own, like nothing the policy names


def test_a_column_the_mapping_does_not_name_lands_under_custom(
    database: str, tmp_path: Path
) -> None:
    rows = "E-Mail,Nachname,Firma,Standnummer\njonas@werk.example,Weber,Werk AG,B-12\n"
    leadflow("import", "leads", write(tmp_path, rows), "--source", "trade-fair")
    (lead,) = stored(database)
    assert lead.fields["custom"] == {"Standnummer": "B-12"}


FAIR = "E-Mail,Firma,Mitarbeiter\njonas@werk.example,Werk AG,viele\nluisa@hof.example,Hof KG,12\n"
UNREADABLE = {
    "kind": "unreadable_value",
    "field": "Mitarbeiter",
    "value": "viele",
    "transform": "integer",
    "to": "employees",
    "reason": "not a number: 'viele'",
}


def quality_notes(url: str) -> list[dict[str, Any]]:
    """The `quality` events of every lead, in the order they were written."""
    svc = Services.build(Settings(database_url=url))
    try:
        with svc.store.reading() as session:
            query = select(LeadEventRow.data).where(LeadEventRow.type == "quality")
            return list(session.scalars(query.order_by(LeadEventRow.id)))
    finally:
        svc.store.close()


def test_a_value_its_transform_cannot_read_is_noted_on_the_imported_lead(
    database: str, tmp_path: Path
) -> None:
    result = leadflow("import", "leads", write(tmp_path, FAIR), "--source", "trade-fair")
    assert result.exit_code == 0, result.output
    assert quality_notes(database) == [UNREADABLE]
    first = stored(database)[0]
    assert "employees" not in first.fields


def test_a_value_its_transform_cannot_read_is_in_the_decision_record_of_the_imported_lead(
    database: str, tmp_path: Path
) -> None:
    leadflow("import", "leads", write(tmp_path, FAIR), "--source", "trade-fair")
    svc = Services.build(Settings(database_url=database))
    try:
        with svc.store.reading() as session:
            records = list(session.scalars(select(DecisionRow.record).order_by(DecisionRow.id)))
    finally:
        svc.store.close()
    assert [r["quality"].get("notes") for r in records] == [[UNREADABLE], None]


def test_a_value_its_transform_cannot_read_is_noted_in_the_errors_file_with_its_line(
    database: str, tmp_path: Path
) -> None:
    errors = tmp_path / "refused.csv"
    leadflow("import", "leads", write(tmp_path, FAIR), "--source", "trade-fair", "--errors", errors)
    assert refused(errors) == [(2, "kept, without employees: Mitarbeiter: not a number: 'viele'")]


def test_a_file_of_100_000_rows_is_imported_whole(database: str, tmp_path: Path) -> None:
    # Measured on SQLite here: 100,000 rows take ~100 s stored with --no-route and ~145 s
    # routed (over 90 s either way: each lead costs its own lookups and insert), so this
    # imports them unrouted; the file's size, read as it streams, is what it is about.
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as file:
        file.write("email,first_name,company,employees\n")
        file.writelines(
            f"p{i}@firm{i % 997}.example,P{i},Firm {i % 997},{i % 500}\n" for i in range(100_000)
        )
    result = leadflow("import", "leads", path, "--no-route", "--no-progress")
    assert result.exit_code == 0, result.output
    assert "100000 rows: added 100000 (100000 stored)" in result.stdout
    assert count(database) == 100_000


# the API


def upload(client: TestClient, headers: Headers, body: str | bytes, **params: Any) -> Any:
    return client.post(f"{API}/leads/import", params=params, content=body, headers=headers)


def test_an_uploaded_file_is_answered_with_what_became_of_its_rows(
    client: TestClient, admin: Headers, policy: int
) -> None:
    answer = upload(client, admin, GOOD)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["rows"], body["added"], body["outcomes"], body["failed"]) == (
        3,
        3,
        {"assigned": 3},
        0,
    )


def test_an_uploaded_file_with_route_false_is_stored_unrouted(
    client: TestClient, admin: Headers, policy: int
) -> None:
    answer = upload(client, admin, GOOD, route="false")
    assert answer.json()["outcomes"] == {"stored": 3}


def test_an_uploaded_dry_run_stores_nothing(
    client: TestClient, admin: Headers, policy: int
) -> None:
    answer = upload(client, admin, GOOD, dry_run="true")
    assert (answer.json()["dry_run"], answer.json()["outcomes"]) == (True, {"assigned": 3})
    assert client.get(f"{API}/leads", headers=admin).json()["items"] == []


def test_an_uploaded_file_sent_again_is_counted_as_already_imported(
    client: TestClient, admin: Headers, policy: int
) -> None:
    upload(client, admin, GOOD)
    again = upload(client, admin, GOOD).json()
    assert (again["rows"], again["added"], again["already"]) == (3, 0, 3)


def test_an_uploaded_row_that_fails_is_listed_with_its_line(
    client: TestClient, admin: Headers, policy: int
) -> None:
    body = upload(client, admin, GOOD + ",Nobody,Anon GmbH\n").json()
    assert (body["added"], body["failed"]) == (3, 1)
    assert body["errors"] == [{"line": 5, "reason": "a lead needs an email or a phone"}]


def test_an_uploaded_file_counts_its_unreadable_values_in_the_metrics(
    client: TestClient, admin: Headers, services: Services
) -> None:
    publish_policy(services, POLICY, SYSTEM)
    first = upload(client, admin, FAIR, source="trade-fair").json()
    upload(client, admin, FAIR, source="trade-fair", dry_run="true")
    again = upload(client, admin, FAIR, source="trade-fair").json()  # imported before
    assert (first["notes"], again["notes"], again["already"]) == (1, 0, first["added"])
    line = 'leadflow_quality_notes_total{kind="unreadable_value",source="trade-fair"} '
    found = [x for x in client.get("/metrics").text.splitlines() if x.startswith(line)]
    assert found == [line + "1.0"]


def test_a_rep_key_cannot_import_leads(client: TestClient, make_key: Any, policy: int) -> None:
    answer = upload(client, make_key("rep", "alice"), GOOD)
    assert answer.status_code == 403


def test_an_empty_upload_is_a_400(client: TestClient, admin: Headers, policy: int) -> None:
    answer = upload(client, admin, b"")
    assert answer.status_code == 400
    assert "the body is empty" in answer.json()["error"]["message"]


def test_an_upload_of_blank_lines_is_refused_naming_the_missing_header(
    client: TestClient, admin: Headers, policy: int
) -> None:
    answer = upload(client, admin, b"\n\n")
    assert answer.status_code == 422
    assert "no header row" in answer.json()["error"]["message"]


def test_a_multipart_upload_imports_its_first_file_part(
    client: TestClient, admin: Headers, policy: int
) -> None:
    answer = client.post(  # as `curl -F note=... -F file=@leads.csv -F other=@more.csv` sends it
        f"{API}/leads/import",
        data={"note": "email,first_name\nnot@a-row.example,No\n"},
        files=[
            ("file", ("leads.csv", GOOD.replace("\n", "\r\n").encode(), "text/csv")),
            ("other", ("more.csv", b"email\nsecond@file.example\n", "text/csv")),
        ],
        headers=admin,
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["rows"], body["added"], body["failed"]) == (3, 3, 0)
    listed = client.get(f"{API}/leads", headers=admin).json()["items"]
    emails = {lead["fields"]["email"] for lead in listed}
    assert emails == {"greta@hafen.example", "piet@molen.example", "sara@fjord.example"}


def test_a_file_input_left_empty_before_the_file_is_passed_over(
    client: TestClient, admin: Headers, policy: int
) -> None:
    files = [  # an HTML form with two file inputs, the first left empty
        ("extra", ("", b"", "application/octet-stream")),
        ("file", ("leads.csv", GOOD.encode(), "text/csv")),
    ]
    answer = client.post(f"{API}/leads/import", files=files, headers=admin)
    assert (answer.status_code, answer.json()["added"]) == (200, 3), answer.text


def test_a_multipart_upload_without_a_file_part_says_how_to_send_one(
    client: TestClient, admin: Headers, policy: int
) -> None:
    body = f'--b0\r\nContent-Disposition: form-data; name="file"\r\n\r\n{GOOD}\r\n--b0--\r\n'
    headers = {**admin, "Content-Type": "multipart/form-data; boundary=b0"}
    answer = client.post(f"{API}/leads/import", content=body, headers=headers)  # -F file=<text>
    assert answer.status_code == 400, answer.text
    message = answer.json()["error"]["message"]
    assert "no file part" in message and "curl -F file=@leads.csv" in message
    assert client.get(f"{API}/leads", headers=admin).json()["items"] == []


@pytest.mark.parametrize("content_type", ["application/json", "application/xml"])
def test_a_file_sent_as_another_type_is_a_415_with_a_hint(
    client: TestClient, admin: Headers, policy: int, content_type: str
) -> None:
    answer = upload(client, {**admin, "Content-Type": content_type}, GOOD)
    assert answer.status_code == 415, answer.text
    error = answer.json()["error"]
    assert error["type"] == "unsupported_media_type"
    assert content_type in error["message"]
    assert "--data-binary @leads.csv" in error["message"]
    assert "-F file=@leads.csv" in error["message"]
    assert client.get(f"{API}/leads", headers=admin).json()["items"] == []


@pytest.mark.parametrize(
    "content_type",
    ["text/csv; charset=utf-8", "application/octet-stream", "application/vnd.ms-excel"],
)
def test_a_csv_body_is_read_whatever_file_type_it_is_labelled(
    client: TestClient, admin: Headers, policy: int, content_type: str
) -> None:
    answer = upload(client, {**admin, "Content-Type": content_type}, GOOD)
    assert (answer.status_code, answer.json()["added"]) == (200, 3)


@pytest.fixture
def small_limit(settings: Settings, clock: FixedClock) -> Iterator[tuple[TestClient, Headers]]:
    """A client of an app whose import limit is 100 bytes, and an admin's headers."""
    limited = settings.model_copy(update={"max_import_bytes": 100})
    svc = Services.build(limited, clock=clock)
    with TestClient(create_app(limited, svc)) as client:
        token = create_key(svc, "admin", name="uploader").token
        yield client, {"Authorization": f"Bearer {token}"}


def test_an_upload_over_the_import_limit_is_refused_with_413(
    small_limit: tuple[TestClient, Headers],
) -> None:
    client, admin = small_limit
    answer = upload(client, admin, GOOD)  # 123 bytes
    assert answer.status_code == 413
    assert answer.json()["error"]["type"] == "too_large"


def test_a_multipart_upload_over_the_import_limit_is_refused_with_413(
    small_limit: tuple[TestClient, Headers],
) -> None:
    client, admin = small_limit
    files = {"file": ("leads.csv", GOOD.encode(), "text/csv")}
    answer = client.post(f"{API}/leads/import", files=files, headers=admin)
    assert answer.status_code == 413


def test_blank_or_placeholder_external_ids_do_not_make_rows_retries_of_each_other(
    database: str, tmp_path: Path
) -> None:
    rows = "external_id,email\nN/A,a@one.example\nN/A,b@two.example\n-,c@three.example\n"
    result = leadflow("import", "leads", write(tmp_path, rows))
    assert result.exit_code == 0, result.output
    assert count(database) == 3


def test_one_external_id_on_two_different_rows_refuses_the_second_with_its_line(
    database: str, tmp_path: Path
) -> None:
    rows = "external_id,email\nx-1,a@one.example\nx-2,b@two.example\nx-1,c@three.example\n"
    result = leadflow("import", "leads", write(tmp_path, rows))
    report = (tmp_path / "leads.csv.errors.csv").read_text(encoding="utf-8-sig")
    assert result.exit_code == 1 and count(database) == 2
    assert "4,external_id 'import:x-1' was already imported with other values" in report
