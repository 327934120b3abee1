"""`POST /v1/webhooks/generic`: the `/v1/suggest` body, signed, answered synchronously.

Headers: `X-Huashu-Timestamp` (Unix seconds) and
`X-Huashu-Signature: sha256=HMAC_SHA256(secret, "{timestamp}.{raw body}")`.
A customer message longer than `HUASHU_MAX_TEXT_CHARS` is accepted up to
`HUASHU_MAX_REPLY_CHARS` (what the platform's user typed), recorded whole and ranked from its
beginning, as much as the model reads (a warning in the answer); an agent's reply is recorded whole up to
that bound. A message id is handled once: a repeat of (shop, conversation, message id) answers 409 while
the first is handled or once it was, for a day, a restart included (`repeats.py`); a failed one
is forgotten, so its retry is handled.
"""

from __future__ import annotations

import logging

from aiohttp import web

from assistant.service import keys
from assistant.service.api import answer_warnings, json_bytes, received_from, response_of, suggest_received
from assistant.service.errors import Conflict
from assistant.service.platforms.repeats import claim_new
from assistant.service.platforms.signing import signed_json
from assistant.service.schemas import SuggestBody, decode

log = logging.getLogger("assistant.service.generic")

SIGNATURE_HEADER = "X-Huashu-Signature"
TIMESTAMP_HEADER = "X-Huashu-Timestamp"


async def generic_webhook(request: web.Request) -> web.Response:
    """Signed suggestions: verify first, then parse, then suggest (once per message id)."""
    app = request.app
    settings = app[keys.SETTINGS]
    raw = await signed_json(
        request,
        secret=settings.webhook_secret,
        signature_header=SIGNATURE_HEADER,
        timestamp_header=TIMESTAMP_HEADER,
        tolerance_s=settings.webhook_tolerance_s,
    )
    body = decode(raw, SuggestBody)
    received = received_from(body, "generic", settings, settings.default_shop)
    message = received.message
    seen = ("generic", message.shop, message.conversation_id, message.message_id)
    context = {"shop": message.shop, "conversation": message.conversation_id, "message_id": message.message_id}
    deliveries = app[keys.DELIVERIES]
    if not await claim_new(app, (seen,), "generic", message.shop, message.conversation_id, message.message_id):
        app[keys.METRICS].webhook_events.labels(platform="generic", outcome="duplicate delivery").inc()
        log.info("generic delivery", extra={"accepted": False, "reason": "duplicate delivery", **context})
        raise Conflict.on("message.id", "this message was already handled (a repeated delivery)")
    try:
        result = await suggest_received(app, received)
    except BaseException:
        await deliveries.release(seen)  # a failure is retryable
        raise
    await deliveries.settle(seen)
    app[keys.METRICS].webhook_events.labels(platform="generic", outcome="suggested").inc()
    log.info("generic delivery", extra={"accepted": True, "reason": "suggested", **context})
    return json_bytes(response_of(result, answer_warnings(raw, received, result)))
