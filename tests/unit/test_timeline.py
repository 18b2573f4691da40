from __future__ import annotations

import tempfile
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadflow.core.calendar import parse_local, to_epoch
from leadflow.simulate.timeline import (
    LeadArrival,
    LeadStatus,
    RepUpdate,
    TimelineError,
    count_rows,
    read_events,
    read_leads,
    timeline,
)

NY = "America/New_York"


def utc(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def write(folder: Path, name: str, *lines: str) -> Path:
    path = folder / name
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def write_jsonl(folder: Path, name: str, *objects: object) -> Path:
    return write(folder, name, *(orjson.dumps(obj).decode() for obj in objects))


def one_lead(path: Path, tz: str = "UTC") -> LeadArrival:
    (lead,) = read_leads(path, tz)
    return lead


def error_of(items: Iterable[object]) -> TimelineError:
    with pytest.raises(TimelineError) as caught:
        list(items)
    return caught.value


# Reading leads


def test_csv_row_becomes_a_lead_whose_fields_are_the_other_columns(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.csv", "id,received_at,email", "L1,2026-03-02T10:00Z,a@x.com")
    assert one_lead(path) == LeadArrival(
        utc("2026-03-02T10:00Z"), "L1", {"email": "a@x.com"}, 2, "leads.csv"
    )


def test_csv_line_is_the_physical_line_where_a_multiline_record_starts(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "leads.csv",
        "id,received_at,note",
        'L1,2026-03-02,"two\nlines"',
        "L2,2026-03-02,x",
    )
    assert [lead.line for lead in read_leads(path, "UTC")] == [2, 4]


def test_csv_with_a_byte_order_mark_still_has_an_id_column(tmp_path: Path) -> None:
    path = tmp_path / "leads.csv"
    path.write_bytes(b"\xef\xbb\xbfid,received_at\r\nL1,2026-03-02\r\n")
    assert one_lead(path).lead_id == "L1"


def test_dotted_csv_columns_nest(tmp_path: Path) -> None:
    path = write(
        tmp_path, "leads.csv", "id,received_at,account.owner,account.tier", "L1,2026-03-02,bo,A"
    )
    assert one_lead(path).fields == {"account": {"owner": "bo", "tier": "A"}}


def test_empty_csv_cells_are_left_out(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.csv", "id,received_at,email,phone,a.b", "L1,2026-03-02,,+1555,")
    assert one_lead(path).fields == {"phone": "+1555"}


def test_blank_csv_lines_are_skipped_and_still_counted(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.csv", "id,received_at", "", "L1,2026-03-02", ",")
    assert [lead.line for lead in read_leads(path, "UTC")] == [3]


def test_jsonl_values_keep_their_json_types(tmp_path: Path) -> None:
    lead = {"id": "L1", "received_at": "2026-03-02", "employees": 1200, "vip": True, "tags": ["a"]}
    path = write_jsonl(tmp_path, "leads.jsonl", lead)
    assert one_lead(path).fields == {"employees": 1200, "vip": True, "tags": ["a"]}


def test_dotted_jsonl_keys_nest_beside_nested_objects(tmp_path: Path) -> None:
    lead = {
        "id": "L1",
        "received_at": "2026-03-02",
        "account": {"tier": "A"},
        "account.owner": "bo",
    }
    path = write_jsonl(tmp_path, "leads.jsonl", lead)
    assert one_lead(path).fields == {"account": {"tier": "A", "owner": "bo"}}


def test_whole_number_jsonl_id_becomes_text(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path, "leads.jsonl", {"id": 42, "received_at": "2026-03-02"})
    assert one_lead(path).lead_id == "42"


def test_file_without_a_known_extension_is_jsonl_if_it_starts_with_a_brace(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "leads.txt", "", '  {"id": "L1", "received_at": "2026-03-02", "n": 1}')
    assert one_lead(path).fields == {"n": 1}


def test_file_without_a_known_extension_is_csv_otherwise(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.txt", "id,received_at,n", "L1,2026-03-02,1")
    assert one_lead(path).fields == {"n": "1"}


# Time


def test_naive_time_is_wall_time_in_the_default_time_zone(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.csv", "id,received_at", "L1,2026-07-01T09:00:00")
    assert one_lead(path, NY).at == utc("2026-07-01T13:00:00+00:00")


def test_explicit_offset_overrides_the_default_time_zone(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.csv", "id,received_at", "L1,2026-07-01T09:00:00+02:00")
    assert one_lead(path, NY).at == utc("2026-07-01T07:00:00+00:00")


def test_z_suffix_means_utc(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.csv", "id,received_at", "L1,2026-07-01T09:00:00Z")
    assert one_lead(path, NY).at == utc("2026-07-01T09:00:00+00:00")


def test_date_only_is_local_midnight(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.csv", "id,received_at", "L1,2026-01-15")
    assert one_lead(path, NY).at == utc("2026-01-15T05:00:00+00:00")


@settings(max_examples=25, deadline=None)
@given(
    minutes=st.lists(st.integers(-3 * 60, 3 * 60), min_size=1, max_size=40),
    change=st.sampled_from(["2026-03-08T02:00", "2026-11-01T01:00"]),
)
def test_naive_times_around_dst_changes_read_as_core_calendar_reads_them(
    minutes: list[int], change: str
) -> None:
    texts = [
        (datetime.fromisoformat(change) + timedelta(minutes=m, seconds=7)).isoformat()
        for m in minutes
    ]
    with tempfile.TemporaryDirectory() as folder:
        rows = [f"L{i},{text}" for i, text in enumerate(texts)]
        path = write(Path(folder), "leads.csv", "id,received_at", *rows)
        got = [lead.at for lead in read_leads(path, NY)]
    assert got == [to_epoch(parse_local(text, NY)) for text in texts]


# Errors


def test_bad_time_is_an_error_naming_the_file_the_line_and_the_field(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.csv", "id,received_at", "L1,2026-01-01", "L2,2026-13-01")
    error = error_of(read_leads(path, "UTC"))
    assert str(error) == "leads.csv line 3: received_at: '2026-13-01' is not an ISO 8601 date-time"
    assert (error.path, error.line, error.field) == (path, 3, "received_at")


def test_missing_id_is_an_error_naming_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.csv", "id,received_at,email", "L1,2026-01-01,", ",2026-01-01,a@x")
    assert str(error_of(read_leads(path, "UTC"))) == "leads.csv line 3: a lead needs id"


def test_missing_received_at_is_an_error_naming_the_line(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path, "leads.jsonl", {"id": "L1"})
    assert str(error_of(read_leads(path, "UTC"))) == "leads.jsonl line 1: a lead needs received_at"


def test_a_repeated_id_is_replayed_as_another_arrival(tmp_path: Path) -> None:
    # A set of every id seen would grow with the leads; repeats are for dedupe to judge.
    path = write(tmp_path, "leads.csv", "id,received_at", "L1,2026-01-01", "L1,2026-01-02")
    assert [(a.lead_id, a.line) for a in read_leads(path, "UTC")] == [("L1", 2), ("L1", 3)]


def test_ragged_csv_row_is_an_error_naming_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.csv", "id,received_at", "L1,2026-01-01", "L2,2026-01-01,extra")
    assert str(error_of(read_leads(path, "UTC"))) == (
        "leads.csv line 3: 3 cells, but the header has 2 columns"
    )


def test_unclosed_quote_is_an_error_naming_the_line_it_opens_on(tmp_path: Path) -> None:
    path = write(
        tmp_path, "leads.csv", "id,received_at,note", 'L1,2026-01-01,"open', "L2,2026-01-01,"
    )
    assert str(error_of(read_leads(path, "UTC"))) == (
        "leads.csv line 2: not valid CSV: unexpected end of data"
    )


def test_header_without_received_at_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.csv", "id,created", "L1,2026-01-01")
    assert str(error_of(read_leads(path, "UTC"))) == (
        "leads.csv line 1: the header has no received_at column"
    )


def test_column_that_nests_under_another_column_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.csv", "id,received_at,account,account.owner", "L1,2026-01-01,,")
    assert error_of(read_leads(path, "UTC")).field == "account.owner"


def test_malformed_json_line_is_an_error_naming_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.jsonl", '{"id": "L1", "received_at": "2026-01-01"}', '{"id": ')
    assert str(error_of(read_leads(path, "UTC"))).startswith("leads.jsonl line 2: not valid JSON")


def test_unknown_event_type_is_an_error_naming_the_line(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path, "events.jsonl", {"at": "2026-01-01", "type": "lead.deleted"})
    error = error_of(read_events(path, "UTC"))
    assert (error.line, error.field) == (1, "type")


def test_lead_status_without_lead_id_is_an_error_naming_the_line(tmp_path: Path) -> None:
    status = {"at": "2026-01-01", "type": "lead.status", "status": "won"}
    path = write_jsonl(tmp_path, "events.jsonl", status)
    assert (
        str(error_of(read_events(path, "UTC"))) == "events.jsonl line 1: lead.status needs lead_id"
    )


def test_lead_status_outside_the_known_statuses_is_an_error(tmp_path: Path) -> None:
    status = {"at": "2026-01-01", "type": "lead.status", "lead_id": "L1", "status": "done"}
    path = write_jsonl(tmp_path, "events.jsonl", status)
    assert error_of(read_events(path, "UTC")).field == "status"


def test_rep_updated_with_a_misspelt_key_is_an_error(tmp_path: Path) -> None:
    update = {"at": "2026-01-01", "type": "rep.updated", "rep": "alice", "activ": False}
    path = write_jsonl(tmp_path, "events.jsonl", update)
    assert error_of(read_events(path, "UTC")).field == "activ"


def test_time_off_that_ends_before_it_starts_is_an_error(tmp_path: Path) -> None:
    off = [{"from": "2026-01-10", "to": "2026-01-05"}]
    update = {"at": "2026-01-01", "type": "rep.updated", "rep": "alice", "time_off": off}
    path = write_jsonl(tmp_path, "events.jsonl", update)
    assert error_of(read_events(path, "UTC")).field == "time_off[0]"


# Events


def test_lead_received_event_arrives_at_its_at_by_default(tmp_path: Path) -> None:
    event = {"at": "2026-01-01T10:00Z", "type": "lead.received", "lead": {"id": "L9", "x": 1}}
    path = write_jsonl(tmp_path, "events.jsonl", event)
    assert list(read_events(path, "UTC")) == [
        LeadArrival(utc("2026-01-01T10:00Z"), "L9", {"x": 1}, 1, "events.jsonl")
    ]


def test_lead_received_event_arrives_at_the_leads_own_received_at(tmp_path: Path) -> None:
    lead = {"id": "L9", "received_at": "2026-01-01T09:59Z"}
    event = {"at": "2026-01-01T10:00Z", "type": "lead.received", "lead": lead}
    path = write_jsonl(tmp_path, "events.jsonl", event)
    assert [item.at for item in read_events(path, "UTC")] == [utc("2026-01-01T09:59Z")]


def test_lead_status_event_is_read(tmp_path: Path) -> None:
    status = {"at": "2026-01-01T10:00Z", "type": "lead.status", "lead_id": "L1", "status": "won"}
    path = write_jsonl(tmp_path, "events.jsonl", status)
    assert list(read_events(path, "UTC")) == [
        LeadStatus(utc("2026-01-01T10:00Z"), "L1", "won", 1, "events.jsonl")
    ]


def test_rep_updated_changes_hold_only_the_keys_given(tmp_path: Path) -> None:
    update = {"at": "2026-01-01", "type": "rep.updated", "rep": "bo", "presence": "away"}
    path = write_jsonl(tmp_path, "events.jsonl", update)
    assert list(read_events(path, "UTC")) == [
        RepUpdate(utc("2026-01-01T00:00Z"), "bo", {"presence": "away"}, 1, "events.jsonl")
    ]


def test_rep_updated_keeps_time_off_and_caps_as_written(tmp_path: Path) -> None:
    off = [{"from": "2026-01-05", "to": "2026-01-09T12:00"}]
    caps = {"per_day": 5, "open": None}
    update = {"at": "2026-01-01", "type": "rep.updated", "rep": "bo", "time_off": off, "caps": caps}
    path = write_jsonl(tmp_path, "events.jsonl", update)
    (item,) = read_events(path, "UTC")
    assert isinstance(item, RepUpdate)
    assert item.changes == {"time_off": off, "caps": caps}


# Order


def lead_rows(*pairs: tuple[str, str]) -> list[str]:
    return ["id,received_at", *(f"{lead_id},{at}" for lead_id, at in pairs)]


def test_unsorted_leads_come_out_in_time_order(tmp_path: Path) -> None:
    rows = lead_rows(("L1", "2026-01-03"), ("L2", "2026-01-01"), ("L3", "2026-01-02"))
    path = write(tmp_path, "leads.csv", *rows)
    assert [item.line for item in timeline(path, None, "UTC")] == [3, 4, 2]


def test_external_sort_with_tiny_chunks_is_in_time_order_and_stable(tmp_path: Path) -> None:
    days = [5, 1, 3, 1, 5, 2, 1, 4, 3, 2]
    rows = lead_rows(*((f"L{i}", f"2026-01-0{day}") for i, day in enumerate(days)))
    path = write(tmp_path, "leads.csv", *rows)
    got = [(item.at, item.line) for item in timeline(path, None, "UTC", chunk_size=3)]
    want = sorted((utc(f"2026-01-0{day}T00:00Z"), i + 2) for i, day in enumerate(days))
    assert got == want


def test_unsorted_input_longer_than_a_chunk_spills_to_tmpdir(tmp_path: Path) -> None:
    rows = lead_rows(*((f"L{i}", f"2026-01-0{9 - i}") for i in range(5)))
    path = write(tmp_path, "leads.csv", *rows)
    with pytest.raises(FileNotFoundError):
        list(timeline(path, None, "UTC", chunk_size=3, tmpdir=tmp_path / "missing"))


def test_sorted_input_is_streamed_without_spilling_to_tmpdir(tmp_path: Path) -> None:
    rows = lead_rows(*((f"L{i}", f"2026-01-0{i + 1}") for i in range(5)))
    path = write(tmp_path, "leads.csv", *rows)
    items = timeline(path, None, "UTC", chunk_size=1, tmpdir=tmp_path / "missing")
    assert [item.line for item in items] == [2, 3, 4, 5, 6]


def test_at_the_same_instant_events_come_before_leads(tmp_path: Path) -> None:
    leads = write(tmp_path, "leads.csv", *lead_rows(("L1", "2026-01-01T10:00")))
    update = {"at": "2026-01-01T10:00", "type": "rep.updated", "rep": "bo", "active": False}
    events = write_jsonl(tmp_path, "events.jsonl", update)
    assert [item.source for item in timeline(leads, events, "UTC")] == ["events.jsonl", "leads.csv"]


@settings(max_examples=120, deadline=None)
@given(
    lead_minutes=st.lists(st.integers(0, 6), max_size=12),
    event_minutes=st.lists(st.integers(0, 6), max_size=12),
    as_jsonl=st.booleans(),
    chunk_size=st.integers(1, 6),
)
def test_timeline_is_both_files_sorted_by_time_then_events_first_then_file_order(
    lead_minutes: list[int], event_minutes: list[int], as_jsonl: bool, chunk_size: int
) -> None:
    def stamp(minute: int) -> str:
        return f"2026-01-01T10:0{minute}"

    events = [
        {"at": stamp(m), "type": "lead.status", "lead_id": f"L{i}", "status": "won"}
        if i % 2
        else {"at": stamp(m), "type": "lead.received", "lead": {"id": f"E{i}"}}
        for i, m in enumerate(event_minutes)
    ]
    leads = [{"id": f"L{i}", "received_at": stamp(m)} for i, m in enumerate(lead_minutes)]
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        if as_jsonl:
            leads_path = write_jsonl(folder, "leads.jsonl", *leads)
        else:
            leads_path = write(
                folder, "leads.csv", *lead_rows(*((x["id"], x["received_at"]) for x in leads))
            )
        events_path = write_jsonl(folder, "events.jsonl", *events)
        items = list(timeline(leads_path, events_path, "UTC", chunk_size=chunk_size))
    first_line = 1 if as_jsonl else 2
    want = sorted(
        [(m * 60.0, 0, i + 1) for i, m in enumerate(event_minutes)]
        + [(m * 60.0, 1, i + first_line) for i, m in enumerate(lead_minutes)]
    )
    start = utc("2026-01-01T10:00Z")
    got = [(item.at - start, item.source != "events.jsonl", item.line) for item in items]
    assert got == want


# Progress


def test_count_rows_is_the_csv_lines_less_the_header(tmp_path: Path) -> None:
    path = write(tmp_path, "leads.csv", *lead_rows(("L1", "2026-01-01"), ("L2", "2026-01-01")))
    assert count_rows(path) == 2


def test_count_rows_of_jsonl_counts_a_last_line_without_newline(tmp_path: Path) -> None:
    path = tmp_path / "leads.jsonl"
    path.write_text('{"id": 1}\n{"id": 2}', encoding="utf-8")
    assert count_rows(path) == 2


def test_count_rows_of_a_missing_file_is_unknown(tmp_path: Path) -> None:
    assert count_rows(tmp_path / "nowhere.csv") is None
