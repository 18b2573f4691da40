"""Checking `channels`, `notify`, `acknowledge` and `slack_id`; choosing routes and templates."""

from __future__ import annotations

import textwrap

import pytest

from leadflow.core.policy import Acknowledge, Channel, NotifyRoute, Policy
from leadflow.policy import check_policy

Found = tuple[int | None, int | None, str]  # line, column, message

# What a test adds starts at line 9.
BASE = """\
version: 1
timezone: UTC
reps:
  - {id: alice, name: Alice, manager: mia}
  - {id: mia, name: Mia}
pools:
  general: {strategy: round_robin, members: [alice]}
fallback: general
"""
CHANNELS = """\
channels:
  mail: {type: email}
  ops-mail: {type: email, to: [ops@example.com]}
  sales: {type: slack, url: "${SLACK_WEBHOOK_URL}"}
"""


def problems(extra: str, severity: str, base: str = BASE) -> list[Found]:
    _, found = check_policy(base + textwrap.dedent(extra))
    return [(p.line, p.column, p.message) for p in found if p.severity == severity]


def errors(extra: str) -> list[Found]:
    return problems(extra, "error")


def warnings(extra: str, base: str = BASE) -> list[Found]:
    return problems(extra, "warning", base)


def compiled(extra: str) -> Policy:
    policy, found = check_policy(BASE + textwrap.dedent(extra))
    assert policy is not None, found
    return policy


# Channels


def test_channels_compile_with_their_type_url_secret_and_addresses() -> None:
    policy = compiled("""\
        channels:
          ops: {type: email, to: [ops@example.com]}
          crm: {type: webhook, url: "https://crm.example.com/hook", secret: "${CRM_SECRET}"}
        """)
    assert policy.channels == {
        "ops": Channel("ops", "email", to=("ops@example.com",)),
        "crm": Channel("crm", "webhook", "https://crm.example.com/hook", "${CRM_SECRET}"),
    }


def test_a_variable_in_a_url_is_kept_as_written_and_never_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T0/B0/secret")
    assert compiled(CHANNELS).channels["sales"].url == "${SLACK_WEBHOOK_URL}"


def test_a_single_address_in_to_means_a_list_of_one() -> None:
    policy = compiled("channels:\n  ops: {type: email, to: ops@example.com}\n")
    assert policy.channels["ops"].to == ("ops@example.com",)


def test_a_policy_without_channels_notify_or_acknowledge_has_none() -> None:
    policy = compiled("")
    assert (policy.channels, policy.notify, policy.acknowledge) == ({}, (), None)


def test_an_unknown_channel_type_is_an_error_that_lists_the_types() -> None:
    assert errors("channels:\n  chat: {type: discord, url: https://x.example}\n") == [
        (10, 16, "expected 'slack', 'teams', 'email' or 'webhook', got 'discord'")
    ]


@pytest.mark.parametrize("kind", ["slack", "teams", "webhook"])
def test_a_channel_that_posts_to_a_webhook_needs_a_url(kind: str) -> None:
    assert errors(f"channels:\n  chat: {{type: {kind}}}\n") == [
        (
            10,
            3,
            f"channel 'chat' is a {kind} channel, which needs 'url': its webhook address, "
            "or ${VAR} to read it from the environment",
        )
    ]


def test_a_url_on_an_email_channel_is_an_error() -> None:
    assert errors("channels:\n  mail: {type: email, url: https://x.example}\n") == [
        (
            10,
            23,
            "'url' is not for email channels: channel 'mail' sends through the SMTP server "
            "of LEADFLOW_SMTP_*",
        )
    ]


def test_a_secret_on_a_channel_other_than_a_webhook_is_an_error() -> None:
    assert errors("channels:\n  chat: {type: slack, url: '${URL}', secret: '${S}'}\n") == [
        (
            10,
            38,
            "'secret' is only for webhook channels (it signs the payload); channel 'chat' is slack",
        )
    ]


def test_addresses_on_a_channel_other_than_email_are_an_error() -> None:
    assert errors("channels:\n  chat: {type: teams, url: '${URL}', to: [a@example.com]}\n") == [
        (10, 38, "'to' is only for email channels; channel 'chat' is teams: it posts to its url")
    ]


def test_a_url_that_is_not_http_or_a_variable_is_an_error() -> None:
    assert errors("channels:\n  chat: {type: slack, url: hooks.slack.com/x}\n") == [
        (10, 28, "channel 'chat': expected an http(s) URL or ${VAR}, got 'hooks.slack.com/x'")
    ]


def test_a_variable_that_is_not_closed_is_an_error() -> None:
    assert errors("channels:\n  chat: {type: slack, url: '${SLACK_URL'}\n") == [
        (10, 28, "'${SLACK_URL' is not a variable: write ${NAME}, with letters, digits and _")
    ]


def test_a_variable_inside_a_url_is_accepted() -> None:
    assert errors("channels:\n  chat: {type: webhook, url: 'https://${HOST}/hook'}\n") == []


def test_an_address_that_is_not_an_email_is_an_error() -> None:
    assert errors("channels:\n  ops: {type: email, to: [ops@example.com, ops]}\n") == [
        (10, 44, "channel 'ops': expected an email address such as ops@example.com, got 'ops'")
    ]


# Notify routes


def test_a_notify_route_compiles_with_its_events_channel_and_recipient() -> None:
    policy = compiled(
        CHANNELS + "notify:\n  - {events: [lead.assigned, sla.reminder], to: owner, via: mail}\n"
    )
    assert policy.notify == (
        NotifyRoute(frozenset({"lead.assigned", "sla.reminder"}), "mail", "owner"),
    )


def test_a_notify_route_goes_to_the_channel_by_default() -> None:
    policy = compiled(CHANNELS + "notify:\n  - {events: [lead.assigned], via: sales}\n")
    assert policy.notify[0].to == "channel"


def test_an_unknown_event_is_an_error_that_lists_the_events() -> None:
    assert errors(
        CHANNELS + "notify:\n  - {events: [lead.assigned, lead.assign], via: sales}\n"
    ) == [
        (
            14,
            30,
            "unknown event 'lead.assign'; did you mean 'lead.assigned'? (known events: "
            "lead.assigned, lead.reassigned, lead.unassigned, lead.queued, lead.nurtured, "
            "lead.merged, lead.junk, sla.reminder, sla.breached)",
        )
    ]


def test_a_route_without_events_is_an_error() -> None:
    ((line, column, _),) = errors(CHANNELS + "notify:\n  - {events: [], via: sales}\n")
    assert (line, column) == (14, 14)


def test_a_route_via_an_unknown_channel_is_an_error() -> None:
    assert errors(CHANNELS + "notify:\n  - {events: [lead.assigned], via: slak}\n") == [
        (
            14,
            36,
            "unknown channel 'slak' in notify route 1 (known channels: mail, ops-mail, sales)",
        )
    ]


def test_an_unknown_recipient_is_an_error_that_lists_the_recipients() -> None:
    assert errors(CHANNELS + "notify:\n  - {events: [lead.assigned], via: mail, to: boss}\n") == [
        (14, 46, "expected 'owner', 'manager' or 'channel', got 'boss'")
    ]


def test_sending_to_an_email_channel_without_addresses_is_an_error() -> None:
    assert errors(CHANNELS + "notify:\n  - {events: [lead.assigned], via: mail}\n") == [
        (
            14,
            36,
            "notify route 1 sends to the channel, but email channel 'mail' has no 'to' "
            "addresses: give the channel 'to', or send to owner or manager",
        )
    ]


def test_sending_to_an_email_channel_with_addresses_is_accepted() -> None:
    assert errors(CHANNELS + "notify:\n  - {events: [lead.assigned], via: ops-mail}\n") == []


def test_a_bad_condition_on_a_route_is_an_error_inside_it() -> None:
    extra = (
        CHANNELS + "notify:\n  - {events: [lead.assigned], via: sales, when: {score: {gte: [1]}}}\n"
    )
    assert errors(extra) == [(14, 58, "notify route 1: 'gte' takes a single value")]


def test_a_route_to_a_manager_when_no_rep_has_a_manager_is_a_warning() -> None:
    base = BASE.replace(", manager: mia", "").replace("  - {id: mia, name: Mia}\n", "")
    extra = CHANNELS + "notify:\n  - {events: [sla.breached], to: manager, via: mail}\n"
    assert warnings(extra, base) == [
        (13, 34, "this route sends to the owner's manager, but no rep has a 'manager'")
    ]


def test_a_route_to_a_manager_when_a_rep_has_one_has_no_warning() -> None:
    assert (
        warnings(CHANNELS + "notify:\n  - {events: [sla.breached], to: manager, via: mail}\n") == []
    )


# The acknowledgment

ACK = (
    CHANNELS
    + """\
acknowledge:
  via: mail
  templates:
    - {when: {form: demo_request}, template: demo_request}
    - {when: {employees: {gte: 1000}}, template: enterprise}
    - {template: default}
"""
)


def test_the_acknowledgment_compiles_with_its_templates_in_order() -> None:
    ack = compiled(ACK).acknowledge
    assert ack is not None and [t.template for t in ack.templates] == [
        "demo_request",
        "enterprise",
        "default",
    ]


def test_the_acknowledgment_answers_assigned_queued_and_unassigned_leads_by_default() -> None:
    ack = compiled(ACK).acknowledge
    assert ack is not None and ack.outcomes == {"assigned", "queued", "unassigned"}


def test_the_acknowledgment_can_answer_nurture_leads_too() -> None:
    ack = compiled(ACK + "  outcomes: [assigned, nurture]\n").acknowledge
    assert isinstance(ack, Acknowledge) and ack.outcomes == {"assigned", "nurture"}


def test_an_acknowledgment_via_a_channel_that_is_not_email_is_an_error() -> None:
    assert errors(ACK.replace("via: mail", "via: sales")) == [
        (
            14,
            8,
            "acknowledge sends email: 'via' must name an email channel; 'sales' is a slack channel",
        )
    ]


def test_an_acknowledgment_via_an_unknown_channel_is_an_error() -> None:
    assert errors(ACK.replace("via: mail", "via: post")) == [
        (14, 8, "unknown channel 'post' in acknowledge (known channels: mail, ops-mail, sales)")
    ]


def test_a_template_name_that_is_not_a_plain_name_is_an_error() -> None:
    assert errors(ACK.replace("template: default", "template: ../secrets")) == [
        (
            18,
            18,
            "a template name is letters, digits, '-' and '_' (it names a file), got '../secrets'",
        )
    ]


def test_a_template_after_one_without_a_condition_is_never_used() -> None:
    assert warnings(ACK + "    - {when: {score: 1}, template: late}\n")[1:] == [  # [0]: 'form'
        (
            19,
            36,
            "acknowledgment template 'late' is never used: template 'default' before it "
            "has no 'when'",
        )
    ]


def test_an_unknown_outcome_to_acknowledge_is_an_error() -> None:
    assert errors(ACK + "  outcomes: [assigned, merged]\n") == [
        (19, 24, "expected 'assigned', 'queued', 'unassigned' or 'nurture', got 'merged'")
    ]


def test_an_acknowledgment_without_templates_is_an_error() -> None:
    ((line, column, _),) = errors(CHANNELS + "acknowledge: {via: mail, templates: []}\n")
    assert (line, column) == (13, 37)


def test_a_broken_template_does_not_hide_the_errors_of_the_others() -> None:
    text = ACK.replace("{template: default}", "{templat: default}")
    text = text.replace("template: enterprise", "template: a/b")
    assert [(line, column) for line, column, _ in errors(text)] == [(17, 50), (18, 7), (18, 8)]


# slack_id


def test_a_reps_slack_id_compiles() -> None:
    policy, _ = check_policy(BASE.replace("name: Alice,", "name: Alice, slack_id: U012AB3CD,"))
    assert policy is not None and policy.reps["alice"].slack_id == "U012AB3CD"


def test_a_rep_without_a_slack_id_has_none() -> None:
    assert compiled("").reps["alice"].slack_id is None


def test_a_slack_id_that_is_not_a_member_id_is_a_warning() -> None:
    base = BASE.replace("name: Alice,", "name: Alice, slack_id: '@alice',")
    assert warnings("", base) == [
        (
            4,
            40,
            "slack_id '@alice' does not look like a Slack member id such as U012AB3CD: "
            "Slack messages cannot mention this rep",
        )
    ]


# Which routes fire, and which template answers

ROUTED = compiled(
    CHANNELS
    + """\
notify:
  - {events: [lead.assigned, sla.breached], to: owner, via: mail}
  - {events: [sla.breached], to: manager, via: mail}
  - {events: [lead.assigned], via: sales, when: {score: {gte: 80}}}
"""
    + ACK.removeprefix(CHANNELS)
    + "  outcomes: [assigned]\n"
)


def routes(event: str, notify_manager: bool = True, **fields: object) -> list[tuple[str, str]]:
    return [
        (r.to, r.via) for r in ROUTED.notify_routes(event, fields, notify_manager=notify_manager)
    ]


def test_the_routes_that_name_an_event_fire_for_it_in_policy_order() -> None:
    assert routes("sla.breached") == [("owner", "mail"), ("manager", "mail")]


def test_a_route_whose_condition_holds_fires() -> None:
    assert routes("lead.assigned", score=90) == [("owner", "mail"), ("channel", "sales")]


def test_a_route_whose_condition_fails_does_not_fire() -> None:
    assert routes("lead.assigned", score=10) == [("owner", "mail")]


def test_routes_to_a_manager_are_left_out_when_the_breach_does_not_tell_the_manager() -> None:
    assert routes("sla.breached", notify_manager=False) == [("owner", "mail")]


def test_an_event_that_no_route_names_sends_nothing() -> None:
    assert routes("lead.nurtured") == []


def test_the_first_template_whose_condition_holds_answers() -> None:
    assert ROUTED.ack_template({"form": "demo_request", "employees": 5000}) == "demo_request"


def test_a_template_without_a_condition_answers_any_other_lead() -> None:
    assert ROUTED.ack_template({"employees": 10}) == "default"


def test_a_lead_whose_outcome_is_not_acknowledged_gets_no_template() -> None:
    assert ROUTED.ack_template({"employees": 10}, outcome="queued") is None


def test_a_lead_whose_outcome_is_acknowledged_gets_its_template() -> None:
    assert ROUTED.ack_template({"employees": 5000}, outcome="assigned") == "enterprise"


def test_no_template_holding_gives_no_acknowledgment() -> None:
    policy = compiled(ACK.replace("    - {template: default}\n", ""))
    assert policy.ack_template({"employees": 10}) is None


def test_a_policy_without_an_acknowledgment_answers_nobody() -> None:
    assert compiled("").ack_template({"form": "demo_request"}) is None
