"""Sending: an HTTP POST (Slack, Teams, webhooks) or an email over SMTP, and what failures mean.

HTTP: 2xx is sent; 429 and 5xx are retryable (with the receiver's `Retry-After`, in seconds or
as a date, on the error); any other status is not (a 4xx says the request itself is wrong:
retrying sends the same request). A connection that fails or times out is retryable. A
timeout after the receiver got the request means it may get it twice: hence the delivery id.

SMTP: a 4xx reply (mailbox busy, greylisting, try later) and a lost or refused connection are
retryable; a 5xx reply (no such user, refused, authentication failed) is not. A message that
some of its recipients accepted is sent: retrying would repeat it to those who have it.

Reasons name the status and what the server said, never the URL (a Slack or Teams webhook URL
is itself the secret) nor any secret: they are cut out of everything reported.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Iterable, Mapping
from email.message import EmailMessage
from email.utils import parsedate_to_datetime

import httpx

from leadflow import __version__
from leadflow.notify.delivery import DeliveryError
from leadflow.settings import Settings

log = logging.getLogger("leadflow.notify")

USER_AGENT = f"leadflow/{__version__}"
SNIPPET = 200  # characters of a refusal's body kept in the reason


def post(
    client: httpx.Client,
    url: str,
    raw: bytes,
    headers: Mapping[str, str],
    *,
    where: str,
    secrets: Iterable[str],
    now: float,
) -> None:
    """POST `raw` to `url`; DeliveryError unless the answer is 2xx.

    `where` opens every reason ("channel sales-slack"); each of `secrets` is cut out of it.
    """
    hidden = [s for s in secrets if s]
    try:
        answer = client.post(url, content=raw, headers={"User-Agent": USER_AGENT, **headers})
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as error:
        reason = _redact(f"{where}: bad URL: {error}", hidden)
        raise DeliveryError(reason, retryable=False) from None
    except httpx.TimeoutException:
        raise DeliveryError(f"{where}: timed out", retryable=True) from None
    except httpx.TransportError as error:
        reason = _redact(f"{where}: {type(error).__name__}: {error}", hidden)
        raise DeliveryError(reason, retryable=True) from None
    status = answer.status_code
    if 200 <= status < 300:
        return
    said = " ".join(answer.text[:SNIPPET].split())
    reason = _redact(f"{where}: HTTP {status}" + (f" {said}" if said else ""), hidden)
    if status == 429 or status >= 500:
        wait = retry_after(answer.headers.get("Retry-After"), now)
        raise DeliveryError(reason, retryable=True, retry_after=wait)
    raise DeliveryError(reason, retryable=False)


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a `Retry-After` header (seconds or an HTTP date), or None."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now)


def send_mail(settings: Settings, msg: EmailMessage, *, where: str) -> dict[str, tuple[int, bytes]]:
    """Send over the configured SMTP server; the recipients it refused (others got it).

    A new connection for each email: a worker sends few, and a broken connection then costs
    one email, not a batch.
    """
    hidden = [settings.smtp_password or ""]
    try:
        smtp = _connect(settings)
    except smtplib.SMTPResponseException as error:
        raise _smtp_failure(where, error, hidden) from None
    except ssl.SSLCertVerificationError as error:
        raise DeliveryError(f"{where}: SMTP TLS: {error}", retryable=False) from None
    except OSError as error:
        raise DeliveryError(f"{where}: SMTP connection: {error}", retryable=True) from None
    try:
        if settings.smtp_starttls and not settings.smtp_ssl:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password or "")
        return smtp.send_message(msg)
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        said = "; ".join(f"{who}: {code}" for who, (code, _) in error.recipients.items())
        raise DeliveryError(
            f"{where}: SMTP refused every recipient ({said})",
            retryable=not any(500 <= code < 600 for code in codes),
        ) from None
    except smtplib.SMTPResponseException as error:
        raise _smtp_failure(where, error, hidden) from None
    except smtplib.SMTPNotSupportedError as error:
        raise DeliveryError(f"{where}: SMTP: {error}", retryable=False) from None
    except ssl.SSLCertVerificationError as error:
        raise DeliveryError(f"{where}: SMTP TLS: {error}", retryable=False) from None
    except (smtplib.SMTPException, OSError) as error:
        reason = _redact(f"{where}: SMTP: {type(error).__name__}: {error}", hidden)
        raise DeliveryError(reason, retryable=True) from None
    finally:
        _quit(smtp)


def _connect(settings: Settings) -> smtplib.SMTP:
    if settings.smtp_ssl:
        return smtplib.SMTP_SSL(
            settings.smtp_host,
            settings.smtp_port,
            timeout=settings.smtp_timeout,
            context=ssl.create_default_context(),
        )
    return smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout)


def _quit(smtp: smtplib.SMTP) -> None:
    """Say goodbye; a server that hangs up first has the message all the same."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _smtp_failure(
    where: str, error: smtplib.SMTPResponseException, hidden: list[str]
) -> DeliveryError:
    code = error.smtp_code
    said = error.smtp_error
    text = said.decode(errors="replace") if isinstance(said, bytes) else str(said)
    reason = _redact(f"{where}: SMTP {code} {' '.join(text.split())}", hidden)
    return DeliveryError(reason, retryable=not 500 <= code < 600)


def _redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
