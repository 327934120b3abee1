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


def _deny(header: str, message: str) -> Unauthorized:
    return Unauthorized(f"{header}: {message}", [FieldError(header, message)])


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
        raise _deny(signature_header, "no webhook secret is configured on the server")
    if not timestamp:
        raise _deny(timestamp_header, "missing")
    try:
        sent_at = int(timestamp.strip())
    except ValueError:
        raise _deny(timestamp_header, "not a Unix timestamp in seconds") from None
    if abs(now() - sent_at) > tolerance_s:
        raise _deny(timestamp_header, f"outside the {tolerance_s} s replay window")
    if not signature:
        raise _deny(signature_header, "missing")
    expected = sign(secret, timestamp.strip(), body)
    given = signature.strip()
    if not given.startswith("sha256="):
        given = "sha256=" + given
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise _deny(signature_header, "does not match the body")


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
