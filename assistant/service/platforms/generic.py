"""`POST /v1/webhooks/generic`: the `/v1/suggest` body, signed, answered synchronously.

Headers: `X-Huashu-Timestamp` (Unix seconds) and
`X-Huashu-Signature: sha256=HMAC_SHA256(secret, "{timestamp}.{raw body}")`, where the secret is
the body's shop's own (`webhook_secret`, or `webhook_secret_previous` while it is rotated), else
the service-wide `HUASHU_WEBHOOK_SECRET` (`shop_secrets.py`): the body is read just enough to
know its `shop`, then the signature is checked, then the rest. A body whose shop cannot be read
(no JSON object, a `shop` that is no text) may be signed with any secret of the service: it is
refused anyway (400 or 422), and so told apart from a wrong signature. A refused signature
answers the same whether the shop exists or has a secret of its own.

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
from assistant.service.api import (
    answer_warnings,
    json_bytes,
    read_json,
    received_from,
    response_of,
    suggest_received,
)
from assistant.service.errors import Conflict
from assistant.service.platforms.repeats import claim_new
from assistant.service.platforms.shop_secrets import can_be_stored, every_secret, named_shop, secrets_for
from assistant.service.platforms.signing import verify
from assistant.service.schemas import SuggestBody, decode

log = logging.getLogger("assistant.service.generic")

SIGNATURE_HEADER = "X-Huashu-Signature"
TIMESTAMP_HEADER = "X-Huashu-Timestamp"


async def signing_secrets(app: web.Application, raw: bytes) -> tuple[tuple[str, ...], bool]:
    """(the secrets that may sign `raw`, whether the service has any webhook secret at all).
    With the service-wide secret set, one store lookup of the shop named, whether it exists or
    not (a name no shop can have is looked up nowhere); without it, every shop is read, so that
    "no secret on the server" is said only when no shop has one either."""
    settings = app[keys.SETTINGS]
    store = app[keys.STORE]
    service_wide = str(settings.webhook_secret)
    shop = named_shop(raw, settings.default_shop)
    if shop is not None and service_wide:
        record = await store.shop(shop) if can_be_stored(shop) else None
        return secrets_for(record, service_wide), True
    records = await store.shops()
    configured = bool(every_secret(records, service_wide))
    if shop is None:  # refused after the signature: any secret of the service tells it apart
        return every_secret(records, service_wide), configured
    record = next((r for r in records if r.shop == shop), None)
    return secrets_for(record, service_wide), configured


async def generic_webhook(request: web.Request) -> web.Response:
    """Signed suggestions: read the shop, verify with its secrets, then parse, then suggest (once
    per message id)."""
    app = request.app
    settings = app[keys.SETTINGS]
    raw = await read_json(request)
    secrets, configured = await signing_secrets(app, raw)
    verify(
        secrets=secrets,
        configured=configured,
        body=raw,
        signature=request.headers.get(SIGNATURE_HEADER),
        timestamp=request.headers.get(TIMESTAMP_HEADER),
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
