"""The Jinja2 templates messages are written from, and how users replace them.

Templates are looked up by name (`email/lead.assigned.txt`) first in `settings.templates_dir`,
then among the packaged ones (`leadflow/templates/`), so a user replaces a template by putting
a file of the same name in their directory, and keeps every other.

Conventions:
- `text/<event>.txt`: the summary of a message, in plain text: a Slack or Teams message's
  text, and the opening of the email (as `summary`).
- `email/<event>.txt` and `ack/<name>.txt`: an email; the first line is `Subject: …`, the rest
  the plain-text body. The `.html` of the same name beside it is the HTML alternative.
- Only `.html` templates escape what they print (autoescape); `.txt` ones print as is.
- A missing value prints as nothing and is false in `{% if %}`: `{{ lead.company }}` on a lead
  without a company, or even without a `lead`, prints "" rather than failing or printing None.

A template that does not exist or fails (a syntax error, an error while rendering) is a
`DeliveryError` that is not retryable, naming the file and the line: retrying cannot fix it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from email.utils import parseaddr
from pathlib import Path
from types import TracebackType
from typing import Any

from jinja2 import (
    BaseLoader,
    ChainableUndefined,
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    PackageLoader,
    Template,
    TemplateNotFound,
    TemplateSyntaxError,
    select_autoescape,
)

from leadflow.notify import summary
from leadflow.notify.delivery import ACK_EVENT, Delivery, DeliveryError

TEMPLATE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")  # an acknowledgment's template name
SUBJECT = "Subject:"


@dataclass(frozen=True)
class EmailText:
    """An email as its templates wrote it."""

    subject: str
    text: str
    html: str | None  # None: no .html template, a plain-text email


class Templates:
    """The templates of one `templates_dir` (None: only the packaged ones), compiled once."""

    def __init__(self, templates_dir: Path | None = None) -> None:
        self._user = templates_dir
        loaders: list[BaseLoader] = []
        if templates_dir is not None:
            loaders.append(FileSystemLoader(templates_dir))
        loaders.append(PackageLoader("leadflow", "templates"))
        self._env = Environment(
            loader=ChoiceLoader(loaders),
            autoescape=select_autoescape(["html"], default_for_string=False, default=False),
            undefined=ChainableUndefined,
            finalize=_blank_none,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self._env.filters["time"] = summary.format_time

    def exists(self, name: str) -> bool:
        """Whether a template of this name is in the user's directory or the packaged ones."""
        try:
            self._env.get_template(name)
        except TemplateNotFound:
            return False
        except TemplateSyntaxError:
            return True
        return True

    def render(self, name: str, values: Mapping[str, Any]) -> str:
        """Render one template; DeliveryError (not retryable) if it is missing or fails."""
        return self._render(self._get(name), values)

    def chat_text(self, delivery: Delivery) -> str:
        """The summary of a message, from `text/<event>.txt`: a chat message's text, and the
        opening of the event's email."""
        return self.render(f"text/{delivery.event}.txt", values(delivery)).strip()

    def email(self, delivery: Delivery, sender: str = "") -> EmailText:
        """An email's subject and bodies: `email/<event>` if there is one, else the shared
        `email/message`; to a prospect, `ack/<template>`.

        The HTML part is the `.html` found beside the `.txt` used, or in the user's directory:
        a user who replaces only the `.txt` gets a plain-text email in their own words, not
        the packaged HTML one.
        """
        base = _email_base(delivery)
        text_name, html_name = f"{base}.txt", f"{base}.html"
        if delivery.event != ACK_EVENT:  # an event's own email if given, else the shared one
            if not self.exists(text_name):
                text_name = "email/message.txt"
            if not self.exists(html_name) and text_name == "email/message.txt":
                html_name = "email/message.html"
        context = values(delivery, sender)
        if delivery.event != ACK_EVENT:
            context["summary"] = self.render(f"text/{delivery.event}.txt", context).strip()
        text_template = self._get(text_name)
        subject, text = split_subject(self._render(text_template, context), text_name)
        html = None
        if self._has_html(text_template, html_name):
            html = self.render(html_name, context)
        return EmailText(subject=subject, text=text, html=html)

    def _get(self, name: str) -> Template:
        try:
            return self._env.get_template(name)
        except TemplateNotFound as missing:
            raise DeliveryError(
                f"no template {missing.name} (neither in templates_dir nor packaged)",
                retryable=False,
            ) from None
        except TemplateSyntaxError as error:
            raise _syntax_failure(error, name) from None

    def _render(self, template: Template, values: Mapping[str, Any]) -> str:
        try:
            return template.render(values)
        except TemplateSyntaxError as error:  # in a template it includes or extends
            raise _syntax_failure(error, template.name or "?") from None
        except Exception as error:  # a user's template can raise anything while rendering
            where, line = _template_frame(error.__traceback__) or (template.filename, None)
            at = f", line {line}" if line else ""
            raise DeliveryError(
                f"template {where}{at}: {type(error).__name__}: {error}", retryable=False
            ) from None

    def _has_html(self, text_template: Template, html_name: str) -> bool:
        beside = text_template.filename and Path(text_template.filename).with_suffix(".html")
        if beside and beside.is_file():
            return True
        return self._user is not None and (self._user / html_name).is_file()


def values(delivery: Delivery, sender: str = "") -> dict[str, Any]:
    """What every template sees: the delivery's context, and ready-made text about the lead.

    `display` holds strings that are never None (the name falls back to the email, the
    deadline is formatted in the owner's zone); `facts` is the list every channel shows,
    `actions` the links as (label, URL).
    """
    context = delivery.context
    return {
        **context,
        "event": delivery.event,
        "delivery_id": delivery.id,
        "recipient": asdict(delivery.recipient),
        "channel": {"name": delivery.channel.get("name"), "type": delivery.channel.get("type")},
        "sender": parseaddr(sender)[0] or sender,
        "facts": summary.facts(delivery.event, context, delivery.recipient),
        "actions": summary.actions(delivery.recipient, context),
        "display": {
            "headline": summary.headline(delivery.event, context),
            "lead_name": summary.lead_name(context),
            "contact": summary.contact(context),
            "score": summary.score(context),
            "why": summary.why(context),
            "owner": summary.owner(context),
            "due": summary.due(context),
            "deadline": summary.deadline(context),
            "reason": summary.reason(context),
        },
    }


def split_subject(rendered: str, name: str) -> tuple[str, str]:
    """("the subject", "the body") of an email template's output, whose first line is
    `Subject: …`; a template without one is a DeliveryError naming it."""
    first, _, body = rendered.lstrip("\n").partition("\n")
    if not first.startswith(SUBJECT):
        raise DeliveryError(
            f"template {name}: the first line must be '{SUBJECT} …'", retryable=False
        )
    return " ".join(first[len(SUBJECT) :].split()), body.lstrip("\n")


def _email_base(delivery: Delivery) -> str:
    if delivery.event != ACK_EVENT:
        return f"email/{delivery.event}"
    name = delivery.template or "default"
    if not TEMPLATE_NAME.fullmatch(name):
        raise DeliveryError(
            f"acknowledgment template name {name!r}: letters, digits, - and _ only",
            retryable=False,
        )
    return f"ack/{name}"


def _syntax_failure(error: TemplateSyntaxError, name: str) -> DeliveryError:
    where = error.filename or error.name or name
    return DeliveryError(f"template {where}, line {error.lineno}: {error.message}", retryable=False)


def _blank_none(value: Any) -> Any:
    return "" if value is None else value


def _template_frame(tb: TracebackType | None) -> tuple[str, int] | None:
    """The innermost template file and line in a traceback Jinja rewrote, if any."""
    found = None
    while tb is not None:
        if "__jinja_exception__" in tb.tb_frame.f_globals:
            found = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found
