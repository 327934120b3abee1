"""`POST /v1/webhooks/generic`: the `/v1/suggest` body, signed, answered synchronously.

Headers: `X-Huashu-Timestamp` (Unix seconds) and
`X-Huashu-Signature: sha256=HMAC_SHA256(secret, "{timestamp}.{raw body}")`.
"""

from __future__ import annotations

from aiohttp import web

from assistant.service import keys
from assistant.service.api import incoming_from, json_bytes, read_json, response_of
from assistant.service.schemas import SuggestBody, decode
from assistant.service.signatures import verify

SIGNATURE_HEADER = "X-Huashu-Signature"
TIMESTAMP_HEADER = "X-Huashu-Timestamp"


async def generic_webhook(request: web.Request) -> web.Response:
    """Signed suggestions: verify first, then parse, then suggest."""
    app = request.app
    settings = app[keys.SETTINGS]
    raw = await read_json(request)
    verify(
        secret=settings.webhook_secret,
        body=raw,
        signature=request.headers.get(SIGNATURE_HEADER),
        timestamp=request.headers.get(TIMESTAMP_HEADER),
        signature_header=SIGNATURE_HEADER,
        timestamp_header=TIMESTAMP_HEADER,
        tolerance_s=settings.webhook_tolerance_s,
    )
    message = incoming_from(decode(raw, SuggestBody), "generic", settings.max_text_chars)
    result = await app[keys.SERVICE].suggest(message)
    app[keys.METRICS].webhook_events.labels(platform="generic", outcome="suggested").inc()
    return json_bytes(response_of(result))
