"""What each channel's message says and looks like, built from a delivery, with no server.

The builders are pure; `Notifier.send` is driven through httpx's `MockTransport` where a test
needs the request it makes. The real SMTP and HTTP servers are in
tests/integration/test_notify_channels.py.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from leadflow.core.policy import EVENTS
from leadflow.notify import (
    ACK_EVENT,
    Delivery,
    DeliveryError,
    Notifier,
    Recipient,
    expand,
    mail,
    slack,
    summary,
    teams,
    transport,
    webhook,
)
from leadflow.notify.templates import Templates
from leadflow.settings import Settings

DOCS = Path(__file__).parents[2] / "docs" / "notifications.md"
NOW = 1_794_841_200.0  # 2026-11-16 15:00 UTC
ACTION = "https://leadflow.ex.com/act/TOKEN"
CONTEXT: dict[str, Any] = {
    "occurred_at": "2026-11-16T15:00:00+00:00",
    "lead": {
        "id": "L1",
        "name": "Jane Doe",
        "first_name": "Jane",
        "last_name": "Doe",
        "email": "jane@acme.com",
        "phone": "+1 555 0100",
        "company": "Acme",
        "title": "VP Sales",
        "source": "web",
        "score": 92,
        "tier": "A",
        "fields": {"employees": 1200},
    },
    "decision": {"outcome": "assigned", "rule": "enterprise-us", "pool": "ae-east"},
    "owner": {"id": "alice", "name": "Alice Adams", "email": "alice@ex.com"},
    "sla": {
        "tier": "hot",
        "due_at": "2026-11-16T15:05:00+00:00",
        "due_local": "2026-11-16T10:05:00-05:00",
        "first_touch": "5m",
        "business_hours": True,
    },
    "links": {"lead": "https://leadflow.ex.com/api/v1/leads/L1"},
}
ALICE = Recipient("owner", "alice", "Alice Adams", "alice@ex.com", "U012AB3CD")
MIA = Recipient("manager", "mia", "Mia Manager", "mia@ex.com")
CHANNEL = Recipient("channel")
PROSPECT = Recipient("prospect", name="Jane Doe", email="jane@acme.com")
MAIL = {"name": "mail", "type": "email", "url": None, "secret": None, "to": []}
SLACK = {"name": "sales-slack", "type": "slack", "url": "${SLACK_WEBHOOK_URL}"}
TEAMS = {"name": "sales-teams", "type": "teams", "url": "https://teams.ex.com/hook"}
HOOK = {"name": "crm", "type": "webhook", "url": "https://crm.ex.com/hook", "secret": "${SECRET}"}


def delivery(
    event: str = "lead.assigned",
    recipient: Recipient = ALICE,
    channel: dict[str, Any] | None = None,
    context: dict[str, Any] | None = None,
    template: str | None = None,
    id: str = "d-0001",
) -> Delivery:
    return Delivery(
        id=id,
        event=event,
        channel=dict(MAIL if channel is None else channel),
        recipient=recipient,
        context=CONTEXT if context is None else context,
        template=template,
    )


def with_(**changes: Any) -> dict[str, Any]:
    """CONTEXT with some sections replaced (None removes one)."""
    context = {**CONTEXT, **changes}
    return {k: v for k, v in context.items() if v is not None}


TEMPLATES = Templates()


def slack_message(d: Delivery, templates: Templates = TEMPLATES) -> dict[str, Any]:
    return slack.message(d, templates.chat_text(d))


def teams_message(d: Delivery, templates: Templates = TEMPLATES) -> dict[str, Any]:
    return teams.message(d, templates.chat_text(d))


def email(d: Delivery, templates: Templates = TEMPLATES, date: float = NOW) -> EmailMessage:
    texts = templates.email(d, "Acme Sales <sales@acme.com>")
    return mail.message(
        d, texts, sender="Acme Sales <sales@acme.com>", to=mail.addresses(d), date=date
    )


def body_of(msg: EmailMessage, subtype: str) -> str:
    part = msg.get_body(preferencelist=(subtype,))
    assert part is not None and part.get_content_subtype() == subtype
    content = part.get_content()
    assert isinstance(content, str)
    return content


def error_of(call: Any, *args: Any) -> DeliveryError:
    with pytest.raises(DeliveryError) as caught:
        call(*args)
    return caught.value


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


class Recorder:
    """An httpx transport that answers 200 and keeps the requests (a fake Slack, say)."""

    def __init__(self, status: int = 200) -> None:
        self.requests: list[httpx.Request] = []
        self.status = status

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, text="ok")


def notifier(recorder: Recorder, env: dict[str, str] | None = None, **settings: Any) -> Notifier:
    http = httpx.Client(transport=httpx.MockTransport(recorder))
    return Notifier(Settings(**settings), env or {}, http, clock=lambda: NOW)


# The delivery as the worker stores it


def test_a_delivery_comes_back_the_same_from_the_worker_table() -> None:
    d = delivery(ACK_EVENT, PROSPECT, template="demo_request")
    assert Delivery.from_data(d.id, json.loads(json.dumps(d.to_data()))) == d


def test_a_stored_delivery_with_a_recipient_key_this_version_does_not_know_still_loads() -> None:
    data = delivery().to_data()
    data["recipient"]["phone"] = "+1 555"
    assert Delivery.from_data("d-0001", data).recipient == ALICE


# Slack


def test_slack_message_is_a_header_a_section_of_facts_and_a_button_to_the_lead() -> None:
    blocks = slack_message(delivery(channel=SLACK))["blocks"]
    assert [b["type"] for b in blocks] == ["header", "section", "actions"]
    (button,) = blocks[2]["elements"]
    assert (button["type"], button["url"]) == ("button", CONTEXT["links"]["lead"])


def test_slack_section_fields_give_name_company_title_source_score_why_and_deadline() -> None:
    fields = [f["text"] for f in slack_message(delivery(channel=SLACK))["blocks"][1]["fields"]]
    assert fields[0] == "*Name*\nJane Doe"
    assert "*Company*\nAcme" in fields
    assert "*Title*\nVP Sales" in fields
    assert "*Source*\nweb" in fields
    assert "*Score*\n92 (tier A)" in fields
    assert "*Why*\nrule enterprise-us → pool ae-east" in fields
    assert "*Deadline*\nMon 16 Nov 2026 10:05 (UTC-05:00) · 5m, business hours, SLA hot" in fields


def test_slack_message_mentions_the_owner_by_slack_id_in_text_and_section() -> None:
    message = slack_message(delivery(channel=SLACK))
    assert message["text"].startswith("<@U012AB3CD> You have a new lead: Jane Doe")
    assert message["blocks"][1]["text"]["text"].startswith("<@U012AB3CD> ")


def test_slack_message_names_a_recipient_without_a_slack_id_in_bold() -> None:
    message = slack_message(delivery("sla.breached", MIA, SLACK))
    assert message["text"].startswith("*Mia Manager*: Alice Adams missed the first touch")
    assert "<@" not in message["text"]


def test_slack_message_to_a_channel_mentions_nobody() -> None:
    assert slack_message(delivery(recipient=CHANNEL, channel=SLACK))["text"].startswith(
        "New lead for Alice Adams: Jane Doe (Acme)."
    )


def test_slack_escapes_what_a_lead_wrote_so_that_it_mentions_nobody() -> None:
    lead = {**CONTEXT["lead"], "company": "<!channel> & Co"}
    message = slack_message(delivery(recipient=CHANNEL, channel=SLACK, context=with_(lead=lead)))
    assert "&lt;!channel&gt; &amp; Co" in message["text"]
    assert "<!channel>" not in json.dumps(message["blocks"][1])


def test_slack_header_is_cut_to_its_150_characters() -> None:
    lead = {**CONTEXT["lead"], "name": "J" * 400}
    header = slack_message(delivery(channel=SLACK, context=with_(lead=lead)))["blocks"][0]
    assert header["text"]["type"] == "plain_text"
    assert len(header["text"]["text"]) == slack.HEADER_LIMIT
    assert header["text"]["text"].endswith("…")


def test_slack_fields_stay_within_ten_of_2000_characters_and_text_within_3000() -> None:
    long = "x&" * 5000  # escaped, each & grows to five characters
    lead = {k: long for k in ("name", "company", "title", "email", "phone", "source")}
    context = with_(lead=lead, reason=long, previous_owner={"name": long})
    message = slack_message(delivery("lead.reassigned", CHANNEL, SLACK, context=context))
    fields = message["blocks"][1]["fields"]
    assert len(fields) <= slack.FIELDS_LIMIT
    assert all(len(f["text"]) <= slack.FIELD_LIMIT for f in fields)
    assert len(message["text"]) <= slack.TEXT_LIMIT
    assert len(message["blocks"][1]["text"]["text"]) <= slack.TEXT_LIMIT


def test_a_cut_never_splits_an_escaped_character() -> None:
    assert slack.fit("a&b&c", 9) == "a&amp;b…"


def test_slack_message_without_a_link_has_no_button() -> None:
    blocks = slack_message(delivery(channel=SLACK, context=with_(links=None)))["blocks"]
    assert [b["type"] for b in blocks] == ["header", "section"]


# Teams


def test_teams_message_is_one_adaptive_card_attached_as_webhooks_want_it() -> None:
    message = teams_message(delivery(channel=TEAMS))
    assert message["type"] == "message"
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["contentUrl"] is None
    card = attachment["content"]
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")


def test_teams_card_shows_headline_summary_facts_and_opens_the_lead() -> None:
    card = teams_message(delivery(channel=TEAMS))["attachments"][0]["content"]
    title, text, facts = card["body"]
    assert (title["type"], title["text"]) == ("TextBlock", "New lead: Jane Doe, Acme")
    assert text["text"].startswith("**Alice Adams**: You have a new lead: Jane Doe (Acme).")
    assert facts["type"] == "FactSet"
    assert {"title": "Why", "value": "rule enterprise-us → pool ae-east"} in facts["facts"]
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open lead", "url": CONTEXT["links"]["lead"]}
    ]


# Email


def test_owner_email_has_subject_sender_recipient_and_delivery_headers() -> None:
    msg = email(delivery())
    assert msg["Subject"] == "New lead: Jane Doe, Acme"
    assert msg["From"] == "Acme Sales <sales@acme.com>"
    assert msg["To"] == "Alice Adams <alice@ex.com>"
    assert msg["X-Leadflow-Delivery"] == "d-0001"
    assert msg["X-Leadflow-Event"] == "lead.assigned"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Date"] == "Mon, 16 Nov 2026 15:00:00 +0000"


def test_email_message_id_is_made_from_the_delivery_id_and_is_the_same_on_every_try() -> None:
    first, retry = email(delivery(), date=NOW), email(delivery(), date=NOW + 600)
    assert first["Message-ID"] == retry["Message-ID"] == "<d-0001@leadflow>"
    assert email(delivery(id="d-0002"))["Message-ID"] != first["Message-ID"]


def test_a_delivery_id_a_message_id_cannot_hold_becomes_a_stable_digest() -> None:
    odd = mail.message_id("lead 7 <x>")
    assert odd == mail.message_id("lead 7 <x>")
    assert re.fullmatch(r"<[0-9a-f]{64}@leadflow>", odd)


def test_email_has_a_plain_text_and_an_html_alternative() -> None:
    msg = email(delivery())
    assert msg.get_content_type() == "multipart/alternative"
    assert "You have a new lead: Jane Doe (Acme)." in body_of(msg, "plain")
    assert "<h1" in body_of(msg, "html")


def test_email_gives_the_facts_a_rep_needs_to_act() -> None:
    text = body_of(email(delivery()), "plain")
    for line in (
        "Company: Acme",
        "Title: VP Sales",
        "Contact: jane@acme.com · +1 555 0100",
        "Source: web",
        "Score: 92 (tier A)",
        "Why: rule enterprise-us → pool ae-east",
        "Deadline: Mon 16 Nov 2026 10:05 (UTC-05:00) · 5m, business hours, SLA hot",
    ):
        assert line in text


def test_owner_email_offers_the_accept_and_contact_links() -> None:
    links = {**CONTEXT["links"], "accept": f"{ACTION}/a", "contact": f"{ACTION}/c"}
    msg = email(delivery(context=with_(links=links)))
    text = body_of(msg, "plain")
    assert f"Accept: {ACTION}/a" in text
    assert f"Mark contacted: {ACTION}/c" in text
    assert f'href="{ACTION}/a"' in body_of(msg, "html")


def test_one_link_that_both_accepts_and_marks_contacted_is_offered_once() -> None:
    links = {"lead": ACTION, "accept": ACTION, "contact": ACTION}
    text = body_of(email(delivery(context=with_(links=links))), "plain")
    assert text.count(ACTION) == 1
    assert f"Accept or mark contacted: {ACTION}" in text


def test_manager_email_offers_no_action_links_only_the_lead() -> None:
    links = {**CONTEXT["links"], "accept": f"{ACTION}/a", "contact": f"{ACTION}/c"}
    text = body_of(email(delivery("sla.breached", MIA, context=with_(links=links))), "plain")
    assert ACTION not in text
    assert f"Open the lead: {CONTEXT['links']['lead']}" in text


def test_html_email_escapes_what_a_lead_wrote_and_plain_text_keeps_it() -> None:
    lead = {**CONTEXT["lead"], "company": "<b>Acme</b> & Co"}
    msg = email(delivery(context=with_(lead=lead)))
    assert "&lt;b&gt;Acme&lt;/b&gt; &amp; Co" in body_of(msg, "html")
    assert "<b>Acme</b>" not in body_of(msg, "html")
    assert "Company: <b>Acme</b> & Co" in body_of(msg, "plain")


def test_email_to_a_channel_goes_to_its_to_addresses() -> None:
    channel = {**MAIL, "name": "ops-mail", "to": ["ops@ex.com", "sales@ex.com"]}
    assert email(delivery(recipient=CHANNEL, channel=channel))["To"] == "ops@ex.com, sales@ex.com"


def test_owner_without_an_email_on_an_email_channel_is_not_retryable_and_says_so() -> None:
    error = error_of(mail.addresses, delivery(recipient=Recipient("owner", "bob", "Bob")))
    assert not error.retryable
    assert error.reason == "the owner bob has no email address for channel mail"


def test_an_email_channel_without_to_addresses_cannot_write_to_the_channel() -> None:
    error = error_of(mail.addresses, delivery(recipient=CHANNEL))
    assert not error.retryable
    assert "channel mail has no `to:` addresses" in error.reason


def test_a_message_for_a_manager_the_owner_does_not_have_fails_without_retry() -> None:
    recorder = Recorder()
    d = delivery("sla.breached", Recipient("manager"), SLACK)
    error = error_of(notifier(recorder, {"SLACK_WEBHOOK_URL": "https://s"}).send, d)
    assert (error.retryable, error.reason) == (
        False,
        "channel sales-slack: the lead has no manager",
    )
    assert recorder.requests == []


# The prospect's acknowledgment


def test_acknowledgment_uses_the_template_the_policy_chose() -> None:
    msg = email(delivery(ACK_EVENT, PROSPECT, template="demo_request"))
    assert msg["Subject"] == "Your demo request"
    assert msg["To"] == "Jane Doe <jane@acme.com>"
    assert "Thank you for asking for a demo for Acme." in body_of(msg, "plain")


@pytest.mark.parametrize("template", ["default", "demo_request", "enterprise"])
def test_packaged_acknowledgments_greet_sign_and_say_nothing_internal(template: str) -> None:
    msg = email(delivery(ACK_EVENT, PROSPECT, template=template))
    for body in (body_of(msg, "plain"), body_of(msg, "html")):
        assert "Hi Jane," in body
        assert "Alice Adams" in body
        assert "Acme Sales" in body
        assert not any(word in body for word in ("92", "enterprise-us", "ae-east", "hot"))


def test_acknowledgment_is_an_automatic_reply_that_replies_to_the_owner() -> None:
    msg = email(delivery(ACK_EVENT, PROSPECT, template="default"))
    assert msg["Reply-To"] == "Alice Adams <alice@ex.com>"
    assert msg["Auto-Submitted"] == "auto-replied"


def test_acknowledgment_of_a_held_lead_without_owner_promises_someone_from_the_team() -> None:
    d = delivery(ACK_EVENT, PROSPECT, context=with_(owner=None), template="default")
    msg = email(d)
    assert msg["Reply-To"] is None
    assert "someone from our team will get back to you" in body_of(msg, "plain")


def test_acknowledgment_with_a_template_nobody_wrote_is_not_retryable_and_names_it() -> None:
    error = error_of(TEMPLATES.email, delivery(ACK_EVENT, PROSPECT, template="webinar"))
    assert not error.retryable
    assert "no template ack/webinar.txt" in error.reason


def test_acknowledgment_template_name_cannot_leave_the_templates_directory() -> None:
    error = error_of(TEMPLATES.email, delivery(ACK_EVENT, PROSPECT, template="../../etc/passwd"))
    assert not error.retryable


def test_users_own_acknowledgment_with_only_a_text_template_is_a_plain_text_email(
    tmp_path: Path,
) -> None:
    write(
        tmp_path, "ack/webinar.txt", "Subject: See you at the webinar\n\nHi {{ lead.first_name }}!"
    )
    msg = email(delivery(ACK_EVENT, PROSPECT, template="webinar"), Templates(tmp_path))
    assert msg["Subject"] == "See you at the webinar"
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content().strip() == "Hi Jane!"


def test_acknowledgment_goes_by_email_only() -> None:
    d = delivery(ACK_EVENT, PROSPECT, channel=TEAMS, template="default")
    assert not error_of(notifier(Recorder()).send, d).retryable


# Webhooks


def documented_verify() -> Any:
    """The `verify` function docs/notifications.md shows receivers, run as written there."""
    (code,) = re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    namespace: dict[str, Any] = {}
    exec(code, namespace)
    return namespace["verify"]


def sent_webhook(secret: str = "s3cret") -> httpx.Request:
    recorder = Recorder()
    notifier(recorder, {"SECRET": secret}).send(delivery(recipient=CHANNEL, channel=HOOK))
    (request,) = recorder.requests
    return request


def test_webhook_signature_verifies_with_the_documented_procedure() -> None:
    request = sent_webhook("s3cret")
    assert documented_verify()(b"s3cret", dict(request.headers), request.content, now=NOW + 5)


def test_webhook_signature_fails_with_another_secret() -> None:
    request = sent_webhook("s3cret")
    assert not documented_verify()(b"other", dict(request.headers), request.content, now=NOW)


def test_webhook_signature_fails_when_the_body_was_changed() -> None:
    request = sent_webhook("s3cret")
    changed = request.content.replace(b"Jane", b"John")
    assert not documented_verify()(b"s3cret", dict(request.headers), changed, now=NOW)


def test_the_documented_procedure_refuses_a_request_older_than_five_minutes() -> None:
    request = sent_webhook("s3cret")
    assert not documented_verify()(b"s3cret", request.headers, request.content, now=NOW + 301)


def test_webhook_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    raw = b'{"id":"d-0001"}'
    digest = hmac.new(b"k", b"1794841200." + raw, hashlib.sha256).hexdigest()
    assert webhook.sign("k", 1794841200, raw) == f"sha256={digest}"
    assert webhook.verify("k", raw, "1794841200", f"sha256={digest}", now=NOW)
    assert not webhook.verify("k", raw, "1794841200", f"sha256={digest}", now=NOW + 301)


def test_webhook_request_carries_the_delivery_id_event_and_timestamp_headers() -> None:
    headers = sent_webhook().headers
    assert headers["X-Leadflow-Delivery"] == "d-0001"
    assert headers["X-Leadflow-Event"] == "lead.assigned"
    assert headers["X-Leadflow-Timestamp"] == str(int(NOW))
    assert headers["Content-Type"] == "application/json"


def test_webhook_body_has_the_delivery_id_event_lead_decision_and_sla() -> None:
    body = json.loads(sent_webhook().content)
    assert (body["id"], body["event"]) == ("d-0001", "lead.assigned")
    assert body["occurred_at"] == CONTEXT["occurred_at"]
    assert body["lead"] == CONTEXT["lead"]
    assert body["decision"] == CONTEXT["decision"]
    assert body["sla"] == CONTEXT["sla"]
    assert body["recipient"]["role"] == "channel"
    assert body["previous_owner"] is None


def test_webhook_body_leaves_out_the_links_that_act_as_the_owner() -> None:
    links = {"lead": ACTION, "accept": f"{ACTION}/a", "contact": f"{ACTION}/c"}
    assert webhook.payload(delivery(context=with_(links=links)))["links"] == {"lead": ACTION}


def test_webhook_without_a_secret_is_sent_unsigned() -> None:
    recorder = Recorder()
    notifier(recorder).send(delivery(recipient=CHANNEL, channel={**HOOK, "secret": None}))
    assert "X-Leadflow-Signature" not in recorder.requests[0].headers


# Sending over HTTP: environment variables, headers


def test_channel_url_is_read_from_the_environment_when_sent() -> None:
    recorder = Recorder()
    env = {"SLACK_WEBHOOK_URL": "https://hooks.slack.test/services/T1/B1/XYZ"}
    notifier(recorder, env).send(delivery(channel=SLACK))
    assert str(recorder.requests[0].url) == env["SLACK_WEBHOOK_URL"]


def test_slack_request_carries_the_delivery_id_header() -> None:
    recorder = Recorder()
    notifier(recorder, {"SLACK_WEBHOOK_URL": "https://s"}).send(delivery(channel=SLACK))
    assert recorder.requests[0].headers["X-Leadflow-Delivery"] == "d-0001"
    assert json.loads(recorder.requests[0].content)["blocks"][0]["type"] == "header"


def test_a_missing_environment_variable_is_not_retryable_and_names_only_the_variable() -> None:
    recorder = Recorder()
    env = {"OTHER": "value-that-must-not-leak"}
    error = error_of(notifier(recorder, env).send, delivery(channel=SLACK))
    assert not error.retryable
    assert "SLACK_WEBHOOK_URL is not set" in error.reason
    assert "value-that-must-not-leak" not in error.reason
    assert recorder.requests == []


def test_an_empty_environment_variable_counts_as_missing() -> None:
    error = error_of(expand, "${CRM_HOOK_SECRET}", {"CRM_HOOK_SECRET": ""}, "channel crm secret")
    assert error.reason == "channel crm secret: environment variable CRM_HOOK_SECRET is not set"


def test_text_around_variables_is_kept() -> None:
    assert expand("https://${HOST}/hook/${ID}", {"HOST": "h.ex", "ID": "7"}, "x") == (
        "https://h.ex/hook/7"
    )


def test_a_refusal_never_shows_the_webhook_url_which_is_a_secret() -> None:
    url = "https://hooks.slack.test/services/T1/B1/SECRETPATH"
    client = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(404, text=url)))
    sender = Notifier(Settings(), {"SLACK_WEBHOOK_URL": url}, client, clock=lambda: NOW)
    error = error_of(sender.send, delivery(channel=SLACK))
    assert "SECRETPATH" not in error.reason
    assert error.reason.startswith("channel sales-slack: HTTP 404")


def test_retry_after_is_read_in_seconds_or_as_an_http_date() -> None:
    assert transport.retry_after("120", NOW) == 120.0
    assert transport.retry_after("Mon, 16 Nov 2026 15:01:00 GMT", NOW) == 60.0
    assert transport.retry_after("soon", NOW) is None


def test_an_unknown_channel_type_is_not_retryable() -> None:
    d = delivery(channel={"name": "pager", "type": "pagerduty"})
    error = error_of(notifier(Recorder()).send, d)
    assert (error.retryable, "unknown type 'pagerduty'" in error.reason) == (False, True)


# Templates


def test_a_template_in_templates_dir_replaces_the_packaged_one(tmp_path: Path) -> None:
    write(tmp_path, "text/lead.assigned.txt", "Go get {{ lead.first_name }}!")
    message = slack_message(delivery(channel=SLACK), Templates(tmp_path))
    assert message["text"] == "<@U012AB3CD> Go get Jane!"


def test_templates_not_in_templates_dir_stay_the_packaged_ones(tmp_path: Path) -> None:
    write(tmp_path, "text/lead.assigned.txt", "Go get {{ lead.first_name }}!")
    d = delivery("sla.reminder", channel=SLACK)
    assert slack_message(d, Templates(tmp_path)) == slack_message(d)


def test_replacing_only_an_emails_text_template_makes_a_plain_text_email(tmp_path: Path) -> None:
    write(tmp_path, "email/lead.assigned.txt", "Subject: Lead {{ lead.id }}\n\n{{ summary }}")
    msg = email(delivery(), Templates(tmp_path))
    assert msg["Subject"] == "Lead L1"
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content().startswith("You have a new lead: Jane Doe (Acme).")


def test_a_users_html_template_is_used_beside_the_packaged_text(tmp_path: Path) -> None:
    write(tmp_path, "email/lead.assigned.html", "<p>{{ lead.company }}</p>")
    msg = email(delivery(), Templates(tmp_path))
    assert body_of(msg, "html").strip() == "<p>Acme</p>"
    assert "You have a new lead" in body_of(msg, "plain")


def test_a_syntax_error_in_a_users_template_names_the_file_and_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "text/lead.assigned.txt", "Hello\n{{ lead.name }\n")
    error = error_of(Templates(tmp_path).chat_text, delivery())
    assert not error.retryable
    assert error.reason.startswith(f"template {path}, line 2: ")


def test_an_error_while_rendering_names_the_file_and_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "text/lead.assigned.txt", "Hello\n\n{{ lead.score + 'points' }}\n")
    error = error_of(Templates(tmp_path).chat_text, delivery())
    assert not error.retryable
    assert error.reason.startswith(f"template {path}, line 3: TypeError")


def test_an_email_template_without_its_subject_line_is_not_retryable(tmp_path: Path) -> None:
    write(tmp_path, "email/lead.assigned.txt", "Hello {{ lead.name }}")
    error = error_of(Templates(tmp_path).email, delivery())
    assert not error.retryable
    assert "email/lead.assigned.txt: the first line must be 'Subject: …'" in error.reason


def test_time_filter_shows_an_iso_time_for_people(tmp_path: Path) -> None:
    write(tmp_path, "text/lead.assigned.txt", "{{ sla.due_at | time }}")
    assert Templates(tmp_path).chat_text(delivery()) == "Mon 16 Nov 2026 15:05 (UTC)"


@pytest.mark.parametrize("event", EVENTS)
def test_every_event_has_its_packaged_summary(event: str) -> None:
    assert TEMPLATES.exists(f"text/{event}.txt")


@pytest.mark.parametrize("name", ["email/message.txt", "email/message.html"])
def test_every_events_email_shares_one_packaged_template(name: str) -> None:
    assert TEMPLATES.exists(name)


@pytest.mark.parametrize("event", EVENTS)
def test_an_events_email_has_both_parts_from_the_shared_template(event: str) -> None:
    msg = email(delivery(event))
    assert {part.get_content_type() for part in msg.iter_parts()} == {"text/plain", "text/html"}


# Missing values


@pytest.mark.parametrize("event", EVENTS)
@pytest.mark.parametrize("context", [{}, {"lead": {"email": "j@acme.com"}}], ids=["empty", "email"])
def test_a_lead_with_almost_nothing_still_gets_a_whole_message_in_every_channel(
    event: str, context: dict[str, Any]
) -> None:
    d = delivery(event, ALICE, context=context)
    msg = email(d)
    shown = [
        json.dumps(slack_message(d)),
        json.dumps(teams_message(d)),
        msg["Subject"],
        body_of(msg, "plain"),
        body_of(msg, "html"),
    ]
    assert all(text.strip() and "None" not in text and "Undefined" not in text for text in shown)


def test_a_lead_without_a_company_reads_well() -> None:
    lead = {k: v for k, v in CONTEXT["lead"].items() if k != "company"}
    message = slack_message(delivery(channel=SLACK, context=with_(lead=lead)))
    assert message["blocks"][0]["text"]["text"] == "New lead: Jane Doe"
    assert "You have a new lead: Jane Doe.\n" in message["text"]
    assert not any("Company" in f["text"] for f in message["blocks"][1]["fields"])


def test_a_lead_without_a_name_is_called_by_its_email() -> None:
    assert summary.lead_name({"lead": {"first_name": None, "email": "j@acme.com"}}) == "j@acme.com"


def test_times_show_their_offset_and_text_that_is_no_time_as_it_is() -> None:
    assert summary.format_time("2026-11-16T10:05:00-05:00") == "Mon 16 Nov 2026 10:05 (UTC-05:00)"
    assert summary.format_time("2026-11-17T00:05:00+05:30") == "Tue 17 Nov 2026 00:05 (UTC+05:30)"
    assert summary.format_time("tomorrow") == "tomorrow"
    assert summary.format_time(None) == ""
