"""HMAC-SHA256 webhook signatures over `"{timestamp}.{raw body}"`, with a replay window.

Checked before the body is parsed: an unsigned, mis-signed or stale request never reaches a
JSON decoder. The comparison is constant-time (`hmac.compare_digest`).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable

from aiohttp import web

from assistant.service.api import read_json
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


def verify(
    *,
    secret: str,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    signature_header: str,
    timestamp_header: str,
    tolerance_s: int,
    now: Callable[[], float] = time.time,
) -> None:
    """Raise `Unauthorized` naming the header unless the signature is valid and fresh."""
    if not secret:
        raise deny(signature_header, "no webhook secret is configured on the server")
    stamp = check_timestamp(timestamp, timestamp_header=timestamp_header, tolerance_s=tolerance_s, now=now)
    if not signature:
        raise deny(signature_header, "missing")
    if not signature_matches(secret, stamp, body, signature):
        raise deny(signature_header, "does not match the body")


async def signed_json(
    request: web.Request, *, secret: str, signature_header: str, timestamp_header: str, tolerance_s: int
) -> bytes:
    """The raw JSON body, once its HMAC signature and timestamp check out (before any parsing)."""
    raw = await read_json(request)
    verify(
        secret=secret,
        body=raw,
        signature=request.headers.get(signature_header),
        timestamp=request.headers.get(timestamp_header),
        signature_header=signature_header,
        timestamp_header=timestamp_header,
        tolerance_s=tolerance_s,
    )
    return raw
