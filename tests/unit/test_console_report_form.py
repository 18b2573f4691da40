"""The reports page's form (`console.pages.reports.read_form`): its defaults, and each mistake
said beside its own field rather than as a failed request."""

from __future__ import annotations

from datetime import date

from leadflow.console.pages.reports import lead_links, read_form

TODAY = date(2026, 12, 9)  # a Wednesday


def test_by_default_it_is_the_last_seven_whole_days_in_the_viewers_zone_by_source() -> None:
    asked = read_form({}, "Europe/Berlin", TODAY)
    assert asked.errors == {}
    assert asked.query is not None
    period = asked.query.period
    assert (period.start, period.end, period.zone) == (
        date(2026, 12, 2),
        date(2026, 12, 8),
        "Europe/Berlin",
    )
    assert asked.query.group_by == "source"


def test_the_lead_lists_owner_is_the_reports_rep() -> None:
    asked = read_form({"owner": "ann", "pool": "general"}, "UTC", TODAY)
    assert asked.query is not None
    assert dict(asked.query.filters) == {"rep": "ann", "pool": "general"}


def test_no_grouping_is_a_choice() -> None:
    asked = read_form({"group_by": ""}, "UTC", TODAY)
    assert asked.query is not None and asked.query.group_by is None


def test_from_after_to_is_an_error_on_from() -> None:
    asked = read_form({"from": "2026-12-05", "to": "2026-12-01"}, "UTC", TODAY)
    assert asked.query is None
    assert asked.errors == {"from": "The start is after the end."}


def test_an_unknown_zone_is_an_error_on_the_zone() -> None:
    asked = read_form({"tz": "Mars/Olympus"}, "UTC", TODAY)
    assert asked.query is None and set(asked.errors) == {"tz"}


def test_a_date_that_is_not_one_is_an_error_on_its_field_and_the_text_is_kept() -> None:
    asked = read_form({"to": "yesterday"}, "UTC", TODAY)
    assert set(asked.errors) == {"to"}
    assert asked.typed["to"] == "yesterday"


def test_an_unknown_grouping_or_bucket_is_an_error_on_its_field() -> None:
    asked = read_form({"group_by": "colour", "bucket": "fortnight"}, "UTC", TODAY)
    assert set(asked.errors) == {"group_by", "bucket"}


def test_a_numbers_link_carries_the_period_the_filters_and_its_group() -> None:
    asked = read_form({"from": "2026-11-02", "to": "2026-11-08", "pool": "east"}, "UTC", TODAY)
    summary = {
        "period": {"from": "2026-11-02", "to": "2026-11-08"},
        "previous": {"period": {"from": "2026-10-26", "to": "2026-11-01"}},
    }
    href = lead_links(asked.typed, summary, "UTC")
    assert (
        href({"source": "web"}, False)
        == "/leads?from=2026-11-02&to=2026-11-08&source=web&pool=east"
    )
    assert href({}, True) == "/leads?from=2026-10-26&to=2026-11-01&pool=east"
    assert href(None, False) is None


def test_a_link_keeps_the_reports_own_sla_filter() -> None:
    asked = read_form({"sla_status": "breached"}, "UTC", TODAY)
    summary = {"period": {"from": "2026-12-02", "to": "2026-12-08"}, "previous": {}}
    href = lead_links(asked.typed, summary, "UTC")
    assert href({"sla_status": "met"}, False) == (
        "/leads?from=2026-12-02&to=2026-12-08&sla_status=breached"
    )
