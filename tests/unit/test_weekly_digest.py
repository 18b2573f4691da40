"""The weekly digest's pure parts: when it is sent, the policy section, and what it says in
each channel (email text and HTML, Slack Block Kit, a Teams Adaptive Card)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from email import message_from_string
from email.policy import default
from typing import Any

import pytest

from leadflow.core.digest import ScheduleError, Weekly, covers
from leadflow.notify import Delivery, Recipient
from leadflow.notify.digest import slack_message, teams_message
from leadflow.notify.mail import message
from leadflow.notify.templates import Templates
from leadflow.policy import check_policy, load_policy
from leadflow.reports.digest import cells, duration, team_rows

MONDAY_8 = Weekly.parse("monday 08:00")

# The schedule


def test_a_weekly_time_is_a_weekday_and_a_24_hour_time() -> None:
    assert Weekly.parse("Mon 8:05") == Weekly(0, time(8, 5), "Mon 8:05")
    assert Weekly.parse("friday 17:30").weekday == 4


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("mondy 8am", "not a weekly time"),
        ("mondy 08:00", "did you mean 'monday'?"),
        ("monday 25:00", "25:00 is not a time of day"),
        ("08:00", "not a weekly time"),
    ],
)
def test_a_bad_weekly_time_says_what_is_expected(text: str, says: str) -> None:
    with pytest.raises(ScheduleError, match=says):
        Weekly.parse(text)


def test_monday_0800_in_new_york_is_1300_utc_in_winter_and_1200_utc_in_summer() -> None:
    # DST ends Sun 1 Nov 2026 in New York: the Monday before is EDT, the Monday after EST.
    before = MONDAY_8.next_send("America/New_York", datetime(2026, 10, 26, tzinfo=UTC))
    after = MONDAY_8.next_send("America/New_York", before + timedelta(seconds=1))
    assert before == datetime(2026, 10, 26, 12, 0, tzinfo=UTC)
    assert after == datetime(2026, 11, 2, 13, 0, tzinfo=UTC)  # a week and an hour later
    # DST starts Sun 8 Mar 2026: Monday 2 March is EST, Monday 9 March EDT.
    winter = MONDAY_8.next_send("America/New_York", datetime(2026, 3, 1, tzinfo=UTC))
    summer = MONDAY_8.next_send("America/New_York", datetime(2026, 3, 3, tzinfo=UTC))
    assert winter == datetime(2026, 3, 2, 13, 0, tzinfo=UTC)
    assert summer == datetime(2026, 3, 9, 12, 0, tzinfo=UTC)


def test_the_send_instant_itself_is_due_and_a_second_later_is_next_week() -> None:
    at = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
    assert MONDAY_8.next_send("America/New_York", at) == at
    later = at.replace(second=1)
    assert MONDAY_8.next_send("America/New_York", later) == datetime(2026, 11, 30, 13, tzinfo=UTC)


def test_a_manager_in_another_zone_gets_it_at_0800_on_their_own_wall() -> None:
    after = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)  # Sunday noon UTC
    assert MONDAY_8.next_send("Europe/Berlin", after) == datetime(2026, 11, 23, 7, tzinfo=UTC)
    # Tokyo's Monday 08:00 is still Sunday 23:00 UTC
    assert MONDAY_8.next_send("Asia/Tokyo", after) == datetime(2026, 11, 22, 23, tzinfo=UTC)


def test_a_time_in_the_spring_gap_is_sent_as_far_past_the_gaps_start() -> None:
    sunday = Weekly.parse("sunday 02:30")  # 02:00-03:00 does not exist on 8 Mar 2026 in NY
    at = sunday.next_send("America/New_York", datetime(2026, 3, 7, tzinfo=UTC))
    assert at == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 03:30 EDT


def test_a_digest_covers_the_seven_local_days_before_the_day_it_is_sent() -> None:
    send = datetime(2026, 11, 22, 23, tzinfo=UTC)  # Monday 23 Nov 08:00 in Tokyo
    assert covers(send, "Asia/Tokyo") == (date(2026, 11, 16), date(2026, 11, 22))
    assert covers(send, "UTC") == (date(2026, 11, 15), date(2026, 11, 21))


# The policy section

BASE = """version: 1
timezone: America/New_York
calendars:
  berlin: {timezone: Europe/Berlin, hours: {mon-fri: ["09:00-17:00"]}}
reps:
  - {id: ann, name: Ann, email: ann@x.com, manager: max}
  - {id: bea, name: Bea, email: bea@x.com, manager: eva}
  - {id: max, name: Max, email: max@x.com}
  - {id: eva, name: Eva, email: eva@x.com, calendar: berlin}
pools:
  p: {strategy: round_robin, members: [ann, bea]}
channels:
  mail: {type: email}
  hook: {type: webhook, url: "https://hooks.example/h"}
  chat: {type: slack, url: "${SLACK_URL}"}
rules:
  - {name: all, route: p}
fallback: p
"""


def errors(text: str) -> list[tuple[int | None, int | None, str]]:
    _, problems = check_policy(text)
    return [(p.line, p.column, p.message) for p in problems if p.severity == "error"]


def test_a_bad_at_is_an_error_at_its_line_and_column() -> None:
    text = BASE + 'reports:\n  digest:\n    at: "mondy 8am"\n'
    ((line, column, message),) = errors(text)
    assert (line, column) == (text.splitlines().index('    at: "mondy 8am"') + 1, 9)
    assert "'mondy 8am' is not a weekly time" in message
    assert 'such as "monday 08:00"' in message


def test_digest_channels_must_exist_and_not_be_webhooks() -> None:
    text = BASE + 'reports:\n  digest: {at: "monday 08:00", channels: [hook, chta]}\n'
    messages = [m for _, _, m in errors(text)]
    assert any("'hook' is a webhook" in m for m in messages)
    assert any("unknown channel 'chta'" in m and "did you mean 'chat'?" in m for m in messages)


def test_an_unknown_key_in_the_digest_is_an_error() -> None:
    text = BASE + 'reports:\n  digest: {at: "monday 08:00", when: weekly}\n'
    assert any("when" in m for _, _, m in errors(text))


def test_via_must_name_an_email_channel() -> None:
    text = BASE + 'reports:\n  digest: {at: "monday 08:00", via: chat}\n'
    ((_, _, message),) = errors(text)
    assert "'chat' is a slack channel" in message


def test_a_digest_with_no_email_channel_and_no_channels_goes_nowhere() -> None:
    text = BASE.replace("  mail: {type: email}\n", "") + 'reports:\n  digest: {at: "mon 08:00"}\n'
    assert any("the digest goes nowhere" in m for _, _, m in errors(text))


def test_a_manager_without_email_is_warned_of() -> None:
    text = BASE.replace("{id: max, name: Max, email: max@x.com}", "{id: max, name: Max}")
    _, problems = check_policy(text + 'reports:\n  digest: {at: "monday 08:00"}\n')
    warnings = [p.message for p in problems if p.severity == "warning"]
    assert "manager 'max' has no email: their digest goes only to the digest's channels" in warnings


def test_the_digest_compiles_with_the_first_email_channel_and_its_channels() -> None:
    policy = load_policy(BASE + 'reports:\n  digest: {at: "monday 08:00", channels: chat}\n')
    assert policy.weekly_digest is not None
    assert policy.weekly_digest.at == MONDAY_8
    assert (policy.weekly_digest.via, policy.weekly_digest.channels) == ("mail", ("chat",))
    assert policy.teams() == {"max": ("ann",), "eva": ("bea",)}
    assert policy.reps["eva"].timezone == "Europe/Berlin"  # her digest is on Berlin's wall


# What it says

FIGURES_NOW: dict[str, Any] = {
    "leads": 4,
    "accepted_share": 0.75,
    "time_to_first_touch": {"p50_seconds": 600},
    "sla_met_share": 0.5,
    "funnel": {"meeting": {"count": 2}, "won": {"count": 1}},
}
FIGURES_BEFORE: dict[str, Any] = {
    "leads": 2,
    "accepted_share": 0.5,
    "time_to_first_touch": {"p50_seconds": 1800},
    "sla_met_share": 1.0,
    "funnel": {"meeting": {"count": 2}, "won": {"count": 0}},
}


def test_each_figure_is_shown_with_its_change_and_whether_it_is_better() -> None:
    shown = {
        c["key"]: (c["shown"], c["change"], c["better"]) for c in cells(FIGURES_NOW, FIGURES_BEFORE)
    }
    assert shown == {
        "leads": ("4", "+2", True),
        "accepted": ("75%", "+25 pts", True),
        "first_touch": ("10m", "-20m", True),  # faster is better
        "sla_met": ("50%", "-50 pts", False),
        "meetings": ("2", "0", None),
        "won": ("1", "+1", True),
    }


def test_a_rep_without_leads_shows_zero_leads_and_no_shares() -> None:
    (row,) = team_rows([("ann", "Ann")], {}, {})
    shown = {c["key"]: c["shown"] for c in row["cells"]}
    assert shown == {
        "leads": "0",
        "accepted": "-",
        "first_touch": "-",
        "sla_met": "-",
        "meetings": "0",
        "won": "0",
    }


@pytest.mark.parametrize(
    ("seconds", "said"),
    [(45, "45s"), (600, "10m"), (7500, "2h 5m"), (7200, "2h"), (98000, "1d 3h")],
)
def test_durations_are_said_in_two_units_at_most(seconds: float, said: str) -> None:
    assert duration(seconds) == said


SCRIPT = "<script>alert(1)</script>"


def digest_delivery(
    channel_type: str = "email", reps: int = 2, role: str = "manager", breached: int = 1
) -> Delivery:
    names = [(f"rep{i}", f"Rep {i}") for i in range(reps)]
    rows = team_rows(
        names, {n: FIGURES_NOW for n, _ in names}, {n: FIGURES_BEFORE for n, _ in names}
    )
    leads = [
        {
            "id": f"L{i}",
            "name": SCRIPT if i == 0 else f"Lead {i}",
            "company": "Evil & Co <b>",
            "rep": "rep0",
            "rep_name": "Rep 0",
            "tier": "hot",
            "link": f"https://leadflow.example/leads/L{i}",
        }
        for i in range(breached)
    ]
    context = {
        "occurred_at": "2026-11-23T13:00:00+00:00",
        "digest": {
            "manager": {"id": "max", "name": "Max Major", "email": "max@example.com"},
            "period": {
                "from": "2026-11-16",
                "to": "2026-11-22",
                "zone": "America/New_York",
                "label": "16 - 22 Nov 2026",
            },
            "previous": {"from": "2026-11-09", "to": "2026-11-15"},
            "team": cells(FIGURES_NOW, FIGURES_BEFORE),
            "reps": rows,
            "breaches": breached,
            "breached_leads": leads,
            "links": {"leads": "https://leadflow.example/leads"},
        },
    }
    recipient = (
        Recipient("manager", "max", "Max Major", "max@example.com")
        if role == "manager"
        else Recipient("channel")
    )
    return Delivery(
        id="d-1",
        event="report.digest",
        channel={"name": "c", "type": channel_type},
        recipient=recipient,
        context=context,
    )


def test_the_email_has_a_subject_a_text_part_and_an_html_part() -> None:
    delivery = digest_delivery()
    texts = Templates().email(delivery, "leadflow <leadflow@localhost>")
    assert texts.subject == "Weekly digest: Max Major's team, 16 - 22 Nov 2026"
    msg = message(delivery, texts, sender="leadflow <l@x>", to=["max@example.com"])
    parsed = message_from_string(msg.as_string(), policy=default)
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]


def test_the_text_part_says_each_reps_figures_and_the_breached_leads_as_written() -> None:
    text = Templates().email(digest_delivery(), "").text
    assert "Hi Max Major," in text
    assert "  Leads: 4 (+2)" in text
    assert "  Median first touch: 10m (-20m)" in text
    assert "SLA breaches: 1" in text
    assert f"- {SCRIPT}, Evil & Co <b> (Rep 0): https://leadflow.example/leads/L0" in text


def test_the_html_part_escapes_what_leads_wrote() -> None:
    html = Templates().email(digest_delivery(), "").html
    assert html is not None
    assert SCRIPT not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Evil &amp; Co &lt;b&gt;" in html
    assert 'href="https://leadflow.example/leads/L0"' in html


SLACK_BLOCKS = {"actions", "context", "divider", "header", "section"}


def slack_shape_problems(payload: dict[str, Any]) -> list[str]:
    """Block Kit's rules for what a digest uses (header, section, divider, context)."""
    problems = []
    blocks = payload["blocks"]
    if not payload.get("text") or len(blocks) > 50:
        problems.append("text or block count")
    for block in blocks:
        kind = block["type"]
        if kind not in SLACK_BLOCKS:
            problems.append(f"block {kind}")
        if kind == "header" and (
            block["text"]["type"] != "plain_text" or not 0 < len(block["text"]["text"]) <= 150
        ):
            problems.append("header")
        if kind == "section" and (
            block["text"]["type"] != "mrkdwn" or not 0 < len(block["text"]["text"]) <= 3000
        ):
            problems.append("section")
        if kind == "context" and not 0 < len(block["elements"]) <= 10:
            problems.append("context")
    return problems


def test_the_slack_message_is_block_kit_with_a_header_and_a_section_per_rep() -> None:
    payload = slack_message(digest_delivery("slack", role="channel"), "the summary")
    assert slack_shape_problems(payload) == []
    kinds = [b["type"] for b in payload["blocks"]]
    assert kinds == ["header", "section", "divider", "section", "section", "divider", "section"]
    assert (
        payload["blocks"][0]["text"]["text"] == "Weekly digest: Max Major's team, 16 - 22 Nov 2026"
    )
    rep = payload["blocks"][3]["text"]["text"]
    assert rep.startswith("*Rep 0*\nLeads 4 (+2) · Accepted 75% (+25 pts)")


def test_slack_breached_leads_are_escaped_links_to_their_pages() -> None:
    payload = slack_message(digest_delivery("slack", role="channel"), "s")
    breaches = payload["blocks"][-1]["text"]["text"]
    assert breaches.startswith("*SLA breaches: 1*\n")
    assert (
        "<https://leadflow.example/leads/L0|&lt;script&gt;alert(1)&lt;/script&gt;>"
        " · Evil &amp; Co &lt;b&gt; · Rep 0 · SLA hot"
    ) in breaches


def test_a_large_team_stays_within_slacks_limits() -> None:
    payload = slack_message(digest_delivery("slack", reps=60, breached=200), "s" * 5000)
    assert slack_shape_problems(payload) == []
    assert len(payload["text"]) <= 3000
    assert payload["blocks"][-3]["type"] == "context"  # "and 20 more reps"
    assert payload["blocks"][-1]["text"]["text"].endswith("more")


def test_the_teams_message_is_one_adaptive_card_as_the_other_teams_messages() -> None:
    payload = teams_message(digest_delivery("teams", role="channel"), "the summary")
    assert payload["type"] == "message"
    (attachment,) = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["contentUrl"] is None
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert {e["type"] for e in card["body"]} == {"TextBlock", "FactSet"}
    facts = [e for e in card["body"] if e["type"] == "FactSet"]
    assert len(facts) == 3  # the team and each rep
    assert facts[1]["facts"][0] == {"title": "Leads", "value": "4 (+2)"}
    link = card["body"][-1]["text"]
    # markdown's own characters are escaped: the name is a link's text, never a link of its own
    assert link.startswith(r"[<script\>alert\(1\)</script\>](https://leadflow.example/leads/L0)")
