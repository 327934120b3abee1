"""HMAC-SHA256 webhook signatures over `"{timestamp}.{raw body}"`, with a replay window.

Checked before the body is parsed (the generic webhook reads its `shop` first, to know whose
secrets sign it): an unsigned, mis-signed or stale request never reaches a handler. The
comparison is constant-time (`hmac.compare_digest`) against every candidate secret, as many of
them whatever the shop (`matches_any`), so a refusal tells nothing of the shop by its timing.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Sequence

from assistant.service.errors import FieldError, Unauthorized


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>` for a timestamp and raw body (what senders put in the header)."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def deny(header: str, message: str) -> Unauthorized:
    """The 401 naming the header (or query parameter) at fault."""
    return Unauthorized(f"{header}: {message}", [FieldError(header, message)])


def check_timestamp(
    timestamp: str | None, *, timestamp_header: str, tolerance_s: int, now: Callable[[], float] = time.time
) -> str:
    """The stripped timestamp, or `Unauthorized` when it is missing, malformed or stale."""
    if not timestamp:
        raise deny(timestamp_header, "missing")
    try:
        sent_at = int(timestamp.strip())
    except ValueError:
        raise deny(timestamp_header, "not a Unix timestamp in seconds") from None
    if abs(now() - sent_at) > tolerance_s:
        raise deny(timestamp_header, f"outside the {tolerance_s} s replay window")
    return timestamp.strip()


def signature_matches(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """Constant-time: does `signature` (`sha256=<hex>` or bare hex) sign this timestamp and body?"""
    given = signature.strip()
    if not given.startswith("sha256="):
        given = "sha256=" + given
    return hmac.compare_digest(sign(secret, timestamp, body).encode(), given.encode())


SLOTS = 2  # a shop's current and previous secret (`shop_secrets.py`)
_FILLER = "unused slot"  # compared when a shop has fewer secrets, never counted


def matches_any(secrets: Sequence[str], timestamp: str, body: bytes, signature: str, *, slots: int = SLOTS) -> bool:
    """Does `signature` sign this timestamp and body with one of `secrets`? Each is compared, with
    no early exit, and fewer than `slots` are padded, so one secret or none costs what two do."""
    padded = [*secrets, *[_FILLER] * (slots - len(secrets))]
    found = [signature_matches(secret, timestamp, body, signature) for secret in padded]
    return any(found[: len(secrets)])


def verify(
    *,
    secrets: Sequence[str],
    configured: bool,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    signature_header: str,
    timestamp_header: str,
    tolerance_s: int,
    now: Callable[[], float] = time.time,
) -> None:
    """Raise `Unauthorized` naming the header unless the signature, made with one of `secrets`, is
    valid and fresh. `configured`: whether the server has any secret at all (when not, every
    request is refused, saying so); empty `secrets` (a shop with no secret of its own on a server
    without a service-wide one) refuse as a wrong signature does, telling nothing of the shop."""
    if not configured:
        raise deny(signature_header, "no webhook secret is configured on the server")
    stamp = check_timestamp(timestamp, timestamp_header=timestamp_header, tolerance_s=tolerance_s, now=now)
    if not signature:
        raise deny(signature_header, "missing")
    if not matches_any(secrets, stamp, body, signature):
        raise deny(signature_header, "does not match the body")
