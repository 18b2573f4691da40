"""The weekly digest in chat: a Slack Block Kit message and a Teams Adaptive Card.

Both say what the email says (`email/report.digest.*`), from the delivery's `digest` context
(`service.digest.digest_context`): the team's week, one line per rep with each figure and its
change from the week before, and the leads that breached their SLA, each a link to its page.

Slack's limits (its Block Kit reference) are kept rather than risked: a header of at most 150
characters, section texts of at most 3000, at most 50 blocks — a team too large for them gets
its first reps and a line saying how many more the email has. What a lead or rep wrote is
escaped (`slack.escape`), so that a lead named `<!channel>` mentions nobody; in a Slack link
the label also loses `|`, which would end it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from leadflow.notify import slack, summary, teams
from leadflow.notify.delivery import Delivery

MOST_BLOCKS = 50
MOST_REP_BLOCKS = 40  # of the 50: header, team, dividers, breaches, a closing line
TEAMS_MOST_REPS = 40  # a card over 28 KB is refused


def headline(context: Mapping[str, Any]) -> str:
    """`Weekly digest: Max Major's team, 16 - 22 Nov 2026`."""
    digest = summary.section(context, "digest")
    manager = summary.person(summary.section(digest, "manager"))
    period = summary.text(summary.section(digest, "period").get("label"))
    return f"Weekly digest: {manager}'s team, {period}"


def figures_line(cells: Sequence[Mapping[str, Any]], sep: str = " · ") -> str:
    """`Leads 5 (+2) · Accepted 80% (+5 pts) · ...`."""
    return sep.join(f"{c['label']} {cell_text(c)}" for c in cells)


def cell_text(cell: Mapping[str, Any]) -> str:
    """`5 (+2)`, or `5` when there is no change to say."""
    change = summary.text(cell.get("change"))
    return f"{cell['shown']} ({change})" if change else str(cell["shown"])


def breach_line(lead: Mapping[str, Any]) -> list[str]:
    """The parts after a breached lead's name: its company, its rep, its SLA tier."""
    parts = [summary.text(lead.get("company")), summary.text(lead.get("rep_name"))]
    tier = summary.text(lead.get("tier"))
    return [p for p in parts if p] + ([f"SLA {tier}"] if tier else [])


def slack_message(delivery: Delivery, text: str) -> dict[str, Any]:
    """The incoming-webhook payload of a digest whose summary (`text/report.digest.txt`) is
    `text`."""
    digest = summary.section(delivery.context, "digest")
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": summary.clip(headline(delivery.context), slack.HEADER_LIMIT),
                "emoji": True,
            },
        },
        _section(f"*Team*\n{slack.escape(figures_line(digest.get('team') or []))}"),
        {"type": "divider"},
    ]
    reps = list(digest.get("reps") or [])
    for rep in reps[:MOST_REP_BLOCKS]:
        name = slack.escape(summary.text(rep.get("name")) or summary.text(rep.get("id")))
        blocks.append(_section(f"*{name}*\n{slack.escape(figures_line(rep['cells']))}"))
    if len(reps) > MOST_REP_BLOCKS:
        more = len(reps) - MOST_REP_BLOCKS
        blocks.append(_context(f"and {more} more reps: the email has the whole team"))
    blocks.append({"type": "divider"})
    blocks.append(_section(_slack_breaches(digest)))
    return {"text": slack.fit(text, slack.TEXT_LIMIT), "blocks": blocks[:MOST_BLOCKS]}


def _slack_breaches(digest: Mapping[str, Any]) -> str:
    count = int(digest.get("breaches") or 0)
    if not count:
        return "*SLA breaches*: none this week"
    lines = [f"*SLA breaches: {count}*"]
    used = len(lines[0])
    leads = list(digest.get("breached_leads") or [])
    for i, lead in enumerate(leads):
        label = slack.escape(summary.text(lead.get("name"))).replace("|", "/")
        link = summary.text(lead.get("link"))
        named = f"<{link}|{label}>" if link.startswith(("https://", "http://")) else label
        rest = " · ".join(slack.escape(p) for p in breach_line(lead))
        line = f"• {named}" + (f" · {rest}" if rest else "")
        tail = f"\n…and {count - i} more"
        if used + 1 + len(line) + len(tail) > slack.TEXT_LIMIT:
            lines.append(tail.strip())
            return "\n".join(lines)
        lines.append(line)
        used += 1 + len(line)
    if count > len(leads):
        lines.append(f"…and {count - len(leads)} more")
    return "\n".join(lines)


def _section(text: str) -> dict[str, Any]:
    """A section of mrkdwn already escaped; cut (at a line) to Slack's 3000 characters."""
    if len(text) > slack.TEXT_LIMIT:
        text = text[: slack.TEXT_LIMIT - 1].rsplit("\n", 1)[0] + "…"
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": slack.escape(text)}]}


def teams_message(delivery: Delivery, text: str) -> dict[str, Any]:
    """The incoming-webhook payload of a digest: one Adaptive Card 1.4 (as `teams` sends)."""
    digest = summary.section(delivery.context, "digest")
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": headline(delivery.context),
            "size": "Large",
            "weight": "Bolder",
            "wrap": True,
        },
        {"type": "TextBlock", "text": summary.clip(text, teams.TEXT_LIMIT), "wrap": True},
        {"type": "TextBlock", "text": "Team", "weight": "Bolder", "wrap": True},
        _fact_set(digest.get("team") or []),
    ]
    reps = list(digest.get("reps") or [])
    for rep in reps[:TEAMS_MOST_REPS]:
        name = summary.text(rep.get("name")) or summary.text(rep.get("id"))
        body.append({"type": "TextBlock", "text": _md(name), "weight": "Bolder", "wrap": True})
        body.append(_fact_set(rep["cells"]))
    if len(reps) > TEAMS_MOST_REPS:
        more = len(reps) - TEAMS_MOST_REPS
        body.append({"type": "TextBlock", "text": f"and {more} more reps", "wrap": True})
    count = int(digest.get("breaches") or 0)
    title = f"SLA breaches: {count}" if count else "SLA breaches: none this week"
    body.append({"type": "TextBlock", "text": title, "weight": "Bolder", "wrap": True})
    leads = list(digest.get("breached_leads") or [])
    for lead in leads:
        name, link = _md(summary.text(lead.get("name"))), summary.text(lead.get("link"))
        shown = f"[{name}]({link})" if link.startswith(("https://", "http://")) else name
        rest = " · ".join(_md(p) for p in breach_line(lead))
        line = shown + (f" · {rest}" if rest else "")
        shown_line = summary.clip(line, teams.FACT_LIMIT)
        body.append({"type": "TextBlock", "text": shown_line, "wrap": True})
    if count > len(leads):
        body.append({"type": "TextBlock", "text": f"…and {count - len(leads)} more", "wrap": True})
    card: dict[str, Any] = {
        "$schema": teams.CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": teams.CARD_VERSION,
        "fallbackText": summary.clip(text, teams.TEXT_LIMIT),
        "body": body,
    }
    return {
        "type": "message",
        "attachments": [{"contentType": teams.CARD_TYPE, "contentUrl": None, "content": card}],
    }


def _fact_set(cells: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "type": "FactSet",
        "facts": [{"title": str(c["label"]), "value": cell_text(c)} for c in cells],
    }


def _md(text: str) -> str:
    """Text that a TextBlock's markdown shows as written (no link, no emphasis of its own)."""
    for char in "\\[]()*_`#>":
        text = text.replace(char, "\\" + char)
    return text
