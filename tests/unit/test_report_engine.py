"""The report engine on a history the test builds, in an in-memory SQLite: known figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection

from leadflow.reports.engine import (
    Query,
    ReportError,
    fairness,
    figures_by_group,
    insert_facts,
    over_time,
    summary,
)
from leadflow.reports.facts import Event, LeadSnapshot, derive
from leadflow.reports.periods import Period
from leadflow.reports.replay import facts_database

NY = "America/New_York"
MEETING = "meeting_booked"
REROUTED = ("rerouted", {"reason": "rejected"})
MONDAY = datetime(2026, 11, 16, 15, 0, tzinfo=UTC)  # 10:00 in New York


def lead(
    n: int,
    at: datetime,
    *,
    source: str = "web",
    assign_after: float | None = 10,
    touch_after: float | None = None,
    events: list[tuple[float, str, dict[str, Any]]] = (),  # type: ignore[assignment]
    sla: str | None = None,
    **snapshot: Any,
) -> tuple[LeadSnapshot, list[Event]]:
    timeline = [Event(at, "received")]
    if assign_after is not None:
        assigned = at + timedelta(seconds=assign_after)
        timeline.append(Event(assigned, "assigned", {"rep": "alice", "pool": "general"}))
        if touch_after is not None:
            timeline.append(Event(assigned + timedelta(seconds=touch_after), "contacted"))
    timeline += [Event(at + timedelta(seconds=s), kind, data) for s, kind, data in events]
    timeline.sort(key=lambda e: e.at)
    snap = LeadSnapshot(
        id=f"L{n}",
        received_at=at,
        source=source,
        status=snapshot.pop("status", "assigned"),
        tier=None,
        fields=snapshot.pop("fields", {"email": "x@example.com"}),
        sla_tier="hot" if sla else None,
        sla_status=sla,
        **snapshot,
    )
    return snap, timeline


@pytest.fixture
def db() -> Connection:
    return facts_database().connect()


def store(db: Connection, *leads: tuple[LeadSnapshot, list[Event]], records: Any = ()) -> None:
    facts = [derive(snap, events, records) for snap, events in leads]
    insert_facts(db, facts)


def week() -> Period:
    return Period.of(date(2026, 11, 16), date(2026, 11, 22), NY)


def overall(db: Connection, **filters: str) -> dict[str, Any]:
    (entry,) = figures_by_group(db, Query(week(), None, filters))
    figures: dict[str, Any] = entry["figures"]
    return figures


def test_the_median_time_to_first_touch_is_the_middle_lead(db: Connection) -> None:
    store(
        db,
        lead(1, MONDAY, touch_after=60),
        lead(2, MONDAY, touch_after=252),
        lead(3, MONDAY, touch_after=1800),
    )
    touch = overall(db)["time_to_first_touch"]
    assert touch["p50_seconds"] == 252
    assert touch["p90_seconds"] == 1800


def test_leads_never_touched_count_in_never_not_in_the_percentiles(db: Connection) -> None:
    store(db, lead(1, MONDAY, touch_after=100), lead(2, MONDAY), lead(3, MONDAY), lead(4, MONDAY))
    touch = overall(db)["time_to_first_touch"]
    assert touch["p50_seconds"] == 100
    assert touch["never"] == 0.75
    assert touch["within_5m"] == 0.25


def test_a_touch_after_an_hour_is_measured_within_one_percent(db: Connection) -> None:
    store(db, lead(1, MONDAY, touch_after=7200))
    p50 = overall(db)["time_to_first_touch"]["p50_seconds"]
    assert 7200 * 0.99 <= p50 <= 7200


def test_the_sla_met_share_leaves_out_leads_still_running(db: Connection) -> None:
    store(
        db,
        lead(1, MONDAY, sla="met"),
        lead(2, MONDAY, sla="met"),
        lead(3, MONDAY, sla="met"),
        lead(4, MONDAY, sla="breached"),
        lead(5, MONDAY, sla="pending"),
    )
    got = overall(db)
    assert got["sla_met_share"] == 0.75
    assert got["sla"]["hot"] == {"met": 3, "breached": 1, "pending": 1, "met_share": 0.75}


def test_the_funnel_counts_each_stage_of_all_leads_with_its_interval(db: Connection) -> None:
    store(
        db,
        lead(
            1, MONDAY, touch_after=5, events=[(3600, MEETING, {}), (7200, "won", {"value": 5000})]
        ),
        lead(2, MONDAY, touch_after=5, events=[(3600, MEETING, {})]),
        lead(3, MONDAY, touch_after=5),
        lead(4, MONDAY),
        lead(5, MONDAY),
    )
    got = overall(db)
    assert got["meeting_share"] == 2 / 5
    assert got["won_share"] == 1 / 5
    assert got["won_value"] == 5000
    meeting = got["funnel"]["meeting"]
    assert (meeting["count"], meeting["of"]) == (2, 5)
    assert meeting["low"] == pytest.approx(0.1176, abs=1e-4)
    assert meeting["high"] == pytest.approx(0.7693, abs=1e-4)


def test_rejections_and_reassignments_keep_their_reasons(db: Connection) -> None:
    store(
        db,
        lead(1, MONDAY, events=[(60, "rejected", {"note": "wrong territory"}), (60, *REROUTED)]),
        lead(2, MONDAY, events=[(600, "sla.reassigned", {})]),
        lead(3, MONDAY),
        lead(4, MONDAY),
    )
    got = overall(db)
    assert got["reassigned_share"] == 0.5
    assert got["rejected_share"] == 0.25
    assert got["reject_reasons"] == {"wrong territory": 1}
    assert got["reassign_reasons"] == {"rejected": 1, "sla_breach": 1}


def test_grouped_by_source_each_source_has_its_own_figures(db: Connection) -> None:
    store(
        db,
        lead(1, MONDAY, source="web", touch_after=60),
        lead(2, MONDAY, source="web", touch_after=120),
        lead(3, MONDAY, source="event"),
    )
    groups = {g["group"]: g["figures"] for g in figures_by_group(db, Query(week(), "source"))}
    assert groups["web"]["leads"] == 2
    assert groups["web"]["time_to_first_touch"]["p50_seconds"] == 60
    assert groups["event"]["leads"] == 1
    assert groups["event"]["time_to_first_touch"]["p50_seconds"] is None


def test_a_lead_at_23_59_local_on_sunday_is_in_that_week_not_the_next(db: Connection) -> None:
    sunday_late = datetime(2026, 11, 23, 4, 59, tzinfo=UTC)  # Sun 22 Nov 23:59 in New York
    monday_early = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # Mon 23 Nov 00:00
    store(db, lead(1, sunday_late), lead(2, monday_early))
    assert overall(db)["leads"] == 1
    weeks = over_time(db, Query(Period.of(date(2026, 11, 16), date(2026, 11, 29), NY)), "week")
    assert [(w["bucket"], w["leads"]) for w in weeks] == [("2026-W47", 1), ("2026-W48", 1)]


def test_hour_of_week_cells_follow_the_zone_across_a_dst_change(db: Connection) -> None:
    before = datetime(2026, 10, 26, 13, 30, tzinfo=UTC)  # Mon 09:30 EDT (UTC-4)
    after = datetime(2026, 11, 2, 14, 30, tzinfo=UTC)  # Mon 09:30 EST (UTC-5)
    store(db, lead(1, before), lead(2, after))
    period = Period.of(date(2026, 10, 26), date(2026, 11, 8), NY)
    cells = {g["group"]: g["figures"]["leads"] for g in figures_by_group(db, Query(period, "hour"))}
    assert cells == {"Mon 09": 2}


def test_an_empty_period_has_zero_leads_and_no_percentiles(db: Connection) -> None:
    got = summary(db, Query(week()))
    assert got["overall"]["leads"] == 0
    assert got["overall"]["time_to_first_touch"]["p50_seconds"] is None
    assert got["overall"]["sla_met_share"] is None


def test_the_previous_period_is_beside_the_period(db: Connection) -> None:
    store(
        db,
        lead(1, MONDAY),
        lead(2, MONDAY - timedelta(days=7)),
        lead(3, MONDAY - timedelta(days=7)),
    )
    got = summary(db, Query(week()))
    assert got["overall"]["leads"] == 1
    assert got["previous"]["overall"]["leads"] == 2
    assert got["previous"]["period"]["from"] == "2026-11-09"


def test_junk_duplicates_and_coverage_are_rates_of_all_leads(db: Connection) -> None:
    store(
        db,
        lead(1, MONDAY, assign_after=None, status="junk", junk_reason="disposable: mailinator.com"),
        lead(
            2, MONDAY, duplicate_of="L9", fields={"email": "a@b.example", "phone": "+15551234567"}
        ),
        lead(3, MONDAY),
        lead(4, MONDAY),
    )
    got = overall(db)
    assert got["junk_share"] == 0.25
    assert got["junk_reasons"] == {"disposable": 1}
    assert got["duplicate_share"] == 0.25
    assert got["coverage"]["phone"] == 0.25
    assert got["coverage"]["email"] == 1.0


def test_an_unknown_group_or_filter_is_refused_naming_it() -> None:
    with pytest.raises(ReportError) as bad:
        Query(week(), "colour")
    assert bad.value.field == "group_by"
    with pytest.raises(ReportError) as bad:
        Query(week(), None, {"colour": "red"})
    assert bad.value.field == "colour"


def assigned_from(pool: str, picked: str, eligible: list[str], **extra: Any) -> dict[str, Any]:
    """A decision record as the core writes it: the pool's candidates and who was picked."""
    candidates = [{"rep": r, "eligible": r in eligible} for r in ("ann", "ben", "cid")]
    entry = {"pool": pool, "result": "assigned", "picked": picked, "candidates": candidates}
    return {"outcome": "assigned", "pools": [{**entry, **extra}]}


def test_a_rep_away_is_owed_nothing_of_the_leads_that_came_meanwhile(db: Connection) -> None:
    # 4 leads while all three work (each owed 4/3), then 2 while cid is away (ann, ben: 1 each)
    everyone = ["ann", "ben", "cid"]
    for n, picked in enumerate(["ann", "ben", "cid", "ann"]):
        insert_facts(db, [derive(*lead(n, MONDAY), [assigned_from("team", picked, everyone)])])
    for n, picked in enumerate(["ben", "ann"], start=10):
        record = assigned_from("team", picked, ["ann", "ben"])
        insert_facts(db, [derive(*lead(n, MONDAY), [record])])
    (team,) = fairness(db, Query(week()))
    reps = {r["rep"]: (r["leads"], r["expected"]) for r in team["reps"]}
    assert reps["cid"] == (1, pytest.approx(4 / 3))
    assert reps["ann"] == (3, pytest.approx(4 / 3 + 1))
    assert reps["ben"] == (2, pytest.approx(4 / 3 + 1))
    # the largest deviation is cid's: (1 - 4/3) / (4/3) = -25%; ann: (3 - 7/3) / (7/3) = +28.6%
    assert team["deviation"] == pytest.approx((3 - 7 / 3) / (7 / 3))
    assert team["assigned"] == 6


def test_a_weighted_pool_owes_by_weight(db: Connection) -> None:
    record = assigned_from("big", "ann", ["ann", "ben"], weights={"ann": 3, "ben": 1, "cid": 1})
    insert_facts(db, [derive(*lead(1, MONDAY), [record])])
    (big,) = fairness(db, Query(week()))
    assert {r["rep"]: r["expected"] for r in big["reps"]} == {"ann": 0.75, "ben": 0.25}


def test_a_pool_that_names_its_rep_by_a_field_owes_nobody(db: Connection) -> None:
    record = assigned_from("named", "ann", ["ann"], field={"requested_rep": "ann"})
    insert_facts(db, [derive(*lead(1, MONDAY), [record])])
    assert fairness(db, Query(week())) == []


def test_leads_of_one_local_hour_are_one_cell_whatever_their_minute(db: Connection) -> None:
    store(db, lead(1, MONDAY + timedelta(minutes=10)), lead(2, MONDAY + timedelta(minutes=50)))
    cells = figures_by_group(db, Query(week(), "hour"))
    assert [(c["group"], c["figures"]["leads"]) for c in cells] == [("Mon 10", 2)]
