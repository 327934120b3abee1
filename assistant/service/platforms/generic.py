"""`POST /v1/webhooks/generic`: the `/v1/suggest` body, signed, answered synchronously.

Headers: `X-Huashu-Timestamp` (Unix seconds) and
`X-Huashu-Signature: sha256=HMAC_SHA256(secret, "{timestamp}.{raw body}")`.
"""

from __future__ import annotations

from aiohttp import web

from assistant.service import keys
from assistant.service.api import incoming_from, json_bytes, response_of
from assistant.service.platforms.signing import signed_json
from assistant.service.schemas import SuggestBody, decode

SIGNATURE_HEADER = "X-Huashu-Signature"
TIMESTAMP_HEADER = "X-Huashu-Timestamp"


async def generic_webhook(request: web.Request) -> web.Response:
    """Signed suggestions: verify first, then parse, then suggest."""
    app = request.app
    settings = app[keys.SETTINGS]
    raw = await signed_json(
        request,
        secret=settings.webhook_secret,
        signature_header=SIGNATURE_HEADER,
        timestamp_header=TIMESTAMP_HEADER,
        tolerance_s=settings.webhook_tolerance_s,
    )
    message = incoming_from(decode(raw, SuggestBody), "generic", settings.max_text_chars)
    result = await app[keys.SERVICE].suggest(message)
    app[keys.METRICS].webhook_events.labels(platform="generic", outcome="suggested").inc()
    return json_bytes(response_of(result))
