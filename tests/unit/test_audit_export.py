"""Reading a CRM export for an audit: vendors' column names, --map, the exports' dates, bad rows."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from leadflow.reports.crm_export import (
    BadRow,
    ExportError,
    ExportRow,
    parse_maps,
    parse_time,
    read_export,
    recognise,
)

NY = "America/New_York"


def test_hubspot_contact_export_columns_are_recognised() -> None:
    header = [
        "Record ID",
        "First Name",
        "Last Name",
        "Email",
        "Company Name",
        "Create Date",
        "Contact owner",
        "Owner assigned date",
        "Last Activity Date",
        "Lead Status",
        "Original Source",
    ]
    assert dict(recognise(header).of) == {
        "id": "Record ID",
        "first_name": "First Name",
        "last_name": "Last Name",
        "email": "Email",
        "company": "Company Name",
        "created": "Create Date",
        "owner": "Contact owner",
        "assigned": "Owner assigned date",
        "touched": "Last Activity Date",
        "status": "Lead Status",
        "source": "Original Source",
    }


def test_hubspot_internal_property_names_are_recognised() -> None:
    header = ["createdate", "hubspot_owner_id", "hubspot_owner_assigneddate", "hs_lead_status"]
    of = recognise([*header, "hs_analytics_source"]).of
    assert (of["created"], of["owner"], of["assigned"]) == tuple(header[:3])
    assert (of["status"], of["source"]) == ("hs_lead_status", "hs_analytics_source")


def test_salesforce_lead_report_columns_are_recognised() -> None:
    header = ["Lead ID", "Lead Owner", "Create Date", "Lead Status", "Lead Source", "Last Activity"]
    of = recognise([*header, "Email", "Company"]).of
    assert of["id"] == "Lead ID"
    assert (of["owner"], of["created"], of["status"]) == (
        "Lead Owner",
        "Create Date",
        "Lead Status",
    )
    assert (of["source"], of["touched"]) == ("Lead Source", "Last Activity")
    assert of["company"] == "Company"


def test_salesforce_api_names_prefer_the_first_call_to_the_last_activity() -> None:
    header = ["Id", "CreatedDate", "OwnerId", "Status", "LeadSource"]
    of = recognise([*header, "LastActivityDate", "FirstCallDateTime"]).of
    assert (of["created"], of["owner"], of["status"], of["source"]) == tuple(header[1:])
    assert of["touched"] == "FirstCallDateTime"


def test_pipedrive_leads_export_columns_are_recognised() -> None:
    of = recognise(["Title", "Owner", "Source", "Lead created"]).of
    assert (of["created"], of["owner"], of["source"]) == ("Lead created", "Owner", "Source")
    assert "id" not in of  # a lead's title is not its id


def test_names_compare_without_case_or_extra_spaces() -> None:
    assert recognise([" create  date ", "CONTACT OWNER"]).of == {
        "created": " create  date ".strip(),
        "owner": "CONTACT OWNER",
    }


def test_unrecognised_columns_say_what_is_needed_and_what_was_found() -> None:
    with pytest.raises(ExportError) as raised:
        recognise(["Signup", "Rep", "Channel"])
    message = str(raised.value)
    assert "no column for created, owner" in message
    assert "Create Date" in message and "Contact owner" in message  # what it needs
    assert "Its columns: Signup, Rep, Channel" in message  # what it found


def test_map_names_a_column_for_a_field_and_wins_over_a_known_name() -> None:
    header = ["Signup", "Rep", "Owner", "Channel"]
    of = recognise(header, parse_maps(["Signup=created", "Rep=owner", "Channel=source"])).of
    assert (of["created"], of["owner"], of["source"]) == ("Signup", "Rep", "Channel")


def test_map_reads_a_file_of_lines_with_comments(tmp_path: Path) -> None:
    mapping = tmp_path / "map.txt"
    mapping.write_text("# our CRM\nSignup = created\n\nRep=owner\n")
    assert parse_maps([str(mapping)]) == {"Signup": "created", "Rep": "owner"}


@pytest.mark.parametrize(
    ("items", "says"),
    [
        (["Signup=birthday"], "'birthday' is not a field"),
        (["=owner"], "names no column"),
        (["no-such-file.txt"], "neither COLUMN=FIELD nor a file"),
    ],
)
def test_a_bad_map_says_what_is_wrong(items: list[str], says: str) -> None:
    with pytest.raises(ExportError, match=says):
        parse_maps(items)


def test_map_to_a_column_the_export_lacks_is_refused() -> None:
    with pytest.raises(ExportError, match="no column 'Signup'"):
        recognise(["Create Date", "Owner"], {"Signup": "created"})


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        ("2026-11-23 14:05", datetime(2026, 11, 23, 19, 5, tzinfo=UTC)),  # HubSpot, Pipedrive
        ("2026-11-23 14:05:30", datetime(2026, 11, 23, 19, 5, 30, tzinfo=UTC)),
        ("11/23/2026 2:05 PM", datetime(2026, 11, 23, 19, 5, tzinfo=UTC)),  # Salesforce
        ("11/23/2026, 2:05 PM", datetime(2026, 11, 23, 19, 5, tzinfo=UTC)),
        ("11/23/2026 2:05 am", datetime(2026, 11, 23, 7, 5, tzinfo=UTC)),
        ("11/23/2026 14:05", datetime(2026, 11, 23, 19, 5, tzinfo=UTC)),
        ("2026-11-23T14:05:00-08:00", datetime(2026, 11, 23, 22, 5, tzinfo=UTC)),  # offset wins
        ("2026-11-23T14:05:00Z", datetime(2026, 11, 23, 14, 5, tzinfo=UTC)),
        ("2026-07-01 09:00", datetime(2026, 7, 1, 13, 0, tzinfo=UTC)),  # summer: UTC-4
    ],
)
def test_export_times_are_read_in_the_zone_unless_they_carry_an_offset(
    text: str, utc: datetime
) -> None:
    parsed = parse_time(text, NY)
    assert parsed is not None
    assert parsed[0] == utc and parsed[1] is False


def test_a_date_alone_is_local_midnight_and_says_so() -> None:
    assert parse_time("11/23/2026", NY) == (datetime(2026, 11, 23, 5, tzinfo=UTC), True)


def test_day_first_reads_23_11_as_the_23rd_of_november() -> None:
    assert parse_time("23/11/2026 14:05", NY) is None  # month 23: not a date, month first
    parsed = parse_time("23/11/2026 14:05", NY, day_first=True)
    assert parsed is not None and parsed[0] == datetime(2026, 11, 23, 19, 5, tzinfo=UTC)


def test_the_repeated_autumn_hour_is_its_first_occurrence() -> None:
    parsed = parse_time("2026-11-01 01:30", NY)
    assert parsed is not None and parsed[0] == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


@pytest.mark.parametrize("text", ["tomorrow", "2026-13-01 10:00", "11/31/2026", "14:05"])
def test_text_that_is_no_time_is_none(text: str) -> None:
    assert parse_time(text, NY) is None


def test_bad_rows_are_listed_by_line_and_the_good_ones_kept(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text(
        "Email,Create Date,Contact owner,Owner assigned date,Last Activity Date\n"
        "a@x.example,2026-11-23 09:00,Ann,2026-11-23 09:05,2026-11-23 09:30\n"  # line 2
        '"b@x.example",yesterday,Ann,,\n'  # line 3: no date
        '"c@x.example\n",2026-11-23 10:00,Ben,,\n'  # lines 4-5: a cell over two lines
        "d@x.example,2026-11-23 11:00,Ben,,2026-11-23 10:00\n"  # line 6: touched before
        "e@x.example,,Ben,,\n"  # line 7: no created time
        "\n"
        "f@x.example,2026-11-23 12:00,Ann,13:00,\n"  # line 9: not a time
        "g@x.example,2026-11-23 12:00,Ann,2026-11-23 11:00,\n"  # line 10: owned before created
    )
    _, rows = read_export(export, NY)
    assert [(r.line, r.email) for r in rows if isinstance(r, ExportRow)] == [
        (2, "a@x.example"),
        (4, "c@x.example"),
    ]
    bad = {r.line: r.reason for r in rows if isinstance(r, BadRow)}
    assert list(bad) == [3, 6, 7, 9, 10]
    assert bad[3] == "created time: 'yesterday' is not a date or time"
    assert "before created" in bad[6] and bad[7] == "no created time"
    assert "'13:00' is not a date or time" in bad[9] and "before created" in bad[10]


def test_a_date_only_touch_on_the_day_of_creation_counts_from_the_creation(
    tmp_path: Path,
) -> None:
    export = tmp_path / "sf.csv"
    export.write_text(
        "Lead Owner,Create Date,Last Activity\n"
        "Ann,11/23/2026 2:05 PM,11/23/2026\n"
        "Ann,11/23/2026 2:05 PM,11/22/2026\n"
    )
    _, (same_day, day_before) = read_export(export, NY)
    assert isinstance(same_day, ExportRow) and same_day.touched == same_day.created
    assert same_day.touched_date_only
    assert isinstance(day_before, BadRow) and "2026-11-22 is before created" in day_before.reason


def test_salesforce_first_call_and_first_email_give_the_earlier_touch(tmp_path: Path) -> None:
    export = tmp_path / "sf.csv"
    export.write_text(
        "OwnerId,CreatedDate,FirstCallDateTime,FirstEmailDateTime\n"
        "005A,2026-11-23T14:00:00Z,2026-11-23T15:00:00Z,2026-11-23T14:20:00Z\n"
    )
    _, (row,) = read_export(export, NY)
    assert isinstance(row, ExportRow)
    assert row.touched == datetime(2026, 11, 23, 14, 20, tzinfo=UTC)


def test_a_repeated_record_id_gets_its_line(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    export.write_text("Record ID,Create Date,Owner\n7,2026-11-23,Ann\n7,2026-11-24,Ben\n")
    _, rows = read_export(export, NY)
    assert [r.id for r in rows if isinstance(r, ExportRow)] == ["7", "7 (line 3)"]


def test_map_to_ignore_keeps_a_column_with_a_known_name_from_being_read() -> None:
    # "Last Activity" here holds what the activity was ("Email Opened"), not when
    header = ["Create Date", "Lead Owner", "Last Activity"]
    assert recognise(header).of["touched"] == "Last Activity"
    assert "touched" not in recognise(header, parse_maps(["Last Activity=ignore"])).of


def test_an_export_that_is_not_utf8_says_so(tmp_path: Path) -> None:
    export = tmp_path / "latin1.csv"
    export.write_bytes("Create Date,Owner,Company\n2026-11-23 09:00,Ann,Café\n".encode("latin-1"))
    with pytest.raises(ExportError, match="not UTF-8 text"):
        read_export(export, NY)
