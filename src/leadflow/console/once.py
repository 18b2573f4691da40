"""A new API key's secret, carried from the form that made it to the one page that shows it.

The form post makes the key and answers with a redirect (so that reloading the page cannot
make a second key); the secret rides along in a cookie that only the next page reads, and
that page deletes it: a reload finds nothing, and the secret is never shown again. Never in a
URL, never in a log.

The cookie is sealed: the secret is XORed with a pad drawn from HMAC-SHA512 of a fresh nonce
under a key derived from the instance's secret (`service.links`), and authenticated with
HMAC-SHA256 over the nonce, the ciphertext and what it is for (the key's id and the session's
CSRF token). Without the server's secret the cookie's value is noise, and it opens only for
that key, in that session. It is HttpOnly, SameSite=Strict and lives two minutes at most.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

from leadflow.service.context import Services
from leadflow.service.links import ensure_key

COOKIE = "lf_new_key"
MAX_AGE = 120  # seconds: the redirect follows at once; an unread secret does not linger
_NONCE, _TAG = 16, 32


def seal(svc: Services, secret: str, purpose: str) -> str:
    """The cookie value that carries `secret`, for `purpose` only."""
    key = _key(svc)
    nonce = secrets.token_bytes(_NONCE)
    plain = secret.encode()
    cipher = bytes(a ^ b for a, b in zip(plain, _pad(key, nonce, len(plain)), strict=True))
    tag = _tag(key, nonce, cipher, purpose)
    return base64.urlsafe_b64encode(nonce + cipher + tag).decode().rstrip("=")


def unseal(svc: Services, value: str, purpose: str) -> str | None:
    """The secret a cookie value carries, or None if it was not sealed here for `purpose`."""
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) <= _NONCE + _TAG:
        return None
    nonce, cipher, tag = raw[:_NONCE], raw[_NONCE:-_TAG], raw[-_TAG:]
    key = _key(svc)
    if not hmac.compare_digest(tag, _tag(key, nonce, cipher, purpose)):
        return None
    plain = bytes(a ^ b for a, b in zip(cipher, _pad(key, nonce, len(cipher)), strict=True))
    try:
        return plain.decode()
    except UnicodeDecodeError:
        return None


def _pad(key: bytes, nonce: bytes, size: int) -> bytes:
    blocks = (
        hmac.new(key, b"pad" + nonce + n.to_bytes(4, "big"), hashlib.sha512).digest()
        for n in range(size // 64 + 1)
    )
    return b"".join(blocks)[:size]


def _tag(key: bytes, nonce: bytes, cipher: bytes, purpose: str) -> bytes:
    framed = b"tag" + nonce + len(cipher).to_bytes(4, "big") + cipher + purpose.encode()
    return hmac.new(key, framed, hashlib.sha256).digest()


def _key(svc: Services) -> bytes:
    """A key of its own, derived from the instance's secret (the one that signs links)."""
    if svc.settings.secret_key:
        base = svc.settings.secret_key.encode()
    else:
        ensure_key(svc)
        assert svc.link_key is not None
        base = svc.link_key
    return hmac.new(base, b"leadflow.console.new-key", hashlib.sha256).digest()
