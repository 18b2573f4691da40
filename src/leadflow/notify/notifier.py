"""`Notifier.send`: a delivery's message built and sent over its channel, once per call.

The steps, for every kind of channel: read the channel's `${VAR}` references from the
environment mapping given (the policy keeps them unexpanded, so secrets never enter the
database); find the recipient's address; render the templates; build the message (pure, in
`slack`, `teams`, `mail`, `webhook`); send it (`transport`). Each step can fail with a
`DeliveryError` that says whether to try again; the caller (the worker) records it, logs it and
schedules the retry. A send that worked is logged as `delivery.sent`.

One Notifier serves many threads at once: the HTTP client pools connections and is
thread-safe, templates are compiled once, and each email opens its own SMTP connection.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import replace

import httpx

from leadflow.notify import digest, mail, slack, teams, transport, webhook
from leadflow.notify.delivery import ACK_EVENT, Delivery, DeliveryError
from leadflow.notify.templates import Templates
from leadflow.settings import Settings

log = logging.getLogger("leadflow.notify")

VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
CHANNEL_TYPES = ("slack", "teams", "email", "webhook")
DIGEST_EVENT = "report.digest"  # a manager's week (`notify.digest`), not a lead's event


def expand(value: str, env: Mapping[str, str], where: str) -> str:
    """`value` with each `${VAR}` replaced from `env`.

    A variable that is unset or empty is a DeliveryError, not retryable, that names the
    variable and `where` it was used, never a value.
    """

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        found = env.get(name)
        if not found:
            raise DeliveryError(f"{where}: environment variable {name} is not set", retryable=False)
        return found

    return VARIABLE.sub(one, value)


class Notifier:
    """Sends deliveries. `env` is where `${VAR}` is read; `http` a client to use instead of
    one of its own (tests pass one with a fake transport); `clock` gives epoch seconds."""

    def __init__(
        self,
        settings: Settings,
        env: Mapping[str, str],
        http: httpx.Client | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.env = env
        self.templates = Templates(settings.templates_dir)
        self.clock = clock
        self._owns_http = http is None
        self.http = http if http is not None else httpx.Client(timeout=settings.http_timeout)
        self._senders: dict[str, Callable[[Delivery], None]] = {
            "slack": self._slack,
            "teams": self._teams,
            "email": self._email,
            "webhook": self._webhook,
        }

    def send(self, delivery: Delivery) -> None:
        """Build and send one delivery; DeliveryError if it was not sent."""
        kind = str(delivery.channel.get("type"))
        sender = self._senders.get(kind)
        if sender is None:
            raise DeliveryError(
                f"channel {delivery.channel_name}: unknown type {kind!r} "
                f"(expected {', '.join(CHANNEL_TYPES)})",
                retryable=False,
            )
        recipient = delivery.recipient
        if recipient.role in ("owner", "manager") and not recipient.rep_id:
            raise DeliveryError(
                f"channel {delivery.channel_name}: the lead has no {recipient.role}",
                retryable=False,
            )
        if delivery.event == DIGEST_EVENT and kind == "webhook":
            raise DeliveryError(
                f"channel {delivery.channel_name}: a digest goes by email, Slack or Teams",
                retryable=False,
            )
        if delivery.event == ACK_EVENT and kind != "email":
            raise DeliveryError(
                f"channel {delivery.channel_name}: an acknowledgment goes by email, not {kind}",
                retryable=False,
            )
        sender(delivery)
        log.info(
            "delivery.sent id=%s channel=%s type=%s event=%s to=%s",
            delivery.id,
            delivery.channel_name,
            kind,
            delivery.event,
            delivery.recipient.rep_id or delivery.recipient.role,
        )

    def close(self) -> None:
        """Close the HTTP client, if it is the Notifier's own."""
        if self._owns_http:
            self.http.close()

    def _slack(self, delivery: Delivery) -> None:
        text = self.templates.chat_text(delivery)
        if delivery.event == DIGEST_EVENT:
            payload = digest.slack_message(delivery, text)
        else:
            payload = slack.message(delivery, text)
        self._post_json(delivery, payload)

    def _teams(self, delivery: Delivery) -> None:
        text = self.templates.chat_text(delivery)
        if delivery.event == DIGEST_EVENT:
            payload = digest.teams_message(delivery, text)
        else:
            payload = teams.message(delivery, text)
        self._post_json(delivery, payload)

    def _post_json(self, delivery: Delivery, payload: object) -> None:
        url = self._setting(delivery, "url", required=True)
        raw = webhook.json_bytes(payload)
        headers = {"Content-Type": "application/json", "X-Leadflow-Delivery": delivery.id}
        self._post(delivery, url, raw, headers, [url])

    def _webhook(self, delivery: Delivery) -> None:
        url = self._setting(delivery, "url", required=True)
        secret = self._setting(delivery, "secret", required=False)
        raw = webhook.body(delivery)
        headers = webhook.headers(delivery, raw, secret or None, int(self.clock()))
        self._post(delivery, url, raw, headers, [url, secret])

    def _post(
        self,
        delivery: Delivery,
        url: str,
        raw: bytes,
        headers: dict[str, str],
        secrets: list[str],
    ) -> None:
        transport.post(
            self.http,
            url,
            raw,
            headers,
            where=f"channel {delivery.channel_name}",
            secrets=secrets,
            now=self.clock(),
        )

    def _email(self, delivery: Delivery) -> None:
        if delivery.recipient.role == "channel":  # `to:` may name ${VAR}s, as url and secret
            where = f"channel {delivery.channel_name} to"
            listed = [expand(str(a), self.env, where) for a in delivery.channel.get("to") or []]
            delivery = replace(delivery, channel={**delivery.channel, "to": listed})
        to = mail.addresses(delivery)
        sender = self.settings.smtp_from
        texts = self.templates.email(delivery, sender)
        msg = mail.message(delivery, texts, sender=sender, to=to, date=self.clock())
        refused = transport.send_mail(self.settings, msg, where=f"channel {delivery.channel_name}")
        if refused:
            log.warning(
                "delivery.partly_refused id=%s channel=%s refused=%d",
                delivery.id,
                delivery.channel_name,
                len(refused),
            )

    def _setting(self, delivery: Delivery, key: str, *, required: bool) -> str:
        """The channel's `url` or `secret`, its `${VAR}`s read from the environment."""
        where = f"channel {delivery.channel_name} {key}"
        value = delivery.channel.get(key)
        if not value:
            if required:
                raise DeliveryError(
                    f"channel {delivery.channel_name} has no {key}", retryable=False
                )
            return ""
        return expand(str(value), self.env, where)
