"""`POST /v1/webhooks/chatwoot`: Chatwoot's events, as Chatwoot really sends them.

1. Credentials on the raw body, before parsing (`routing.opened_shops`): the signature
   (`X-Chatwoot-Signature: sha256=HMAC_SHA256(secret, "{X-Chatwoot-Timestamp}.{raw body}")`,
   Chatwoot 4.11.2+) or, for versions that do not sign, the URL's `?token=`.
2. Only `message_created` is handled; every other event is acknowledged and ignored.
3. The shop of (account, inbox) (`routing.route`); the credentials must open that shop (403).
4. Retries dropped: the delivery id (`X-Chatwoot-Delivery`, reused by Chatwoot on a retry) and
   the message id are claimed, settled once handled, released when handling failed (so the
   retry is handled).
5. Answered at once (Chatwoot waits 5 s and ignores the body); an incoming text gets
   suggestions in the background, posted back as a private note when the shop has an API URL
   and token (and, in a conversation a bot still handles, only when the shop asks for it).
   Agents' and bots' replies and attachment-only turns are recorded as turns without
   suggestions; private notes (our own included), reactions, templates and activities are not.
   A text is accepted and recorded whole up to `HUASHU_MAX_REPLY_CHARS` (413 past it); an
   incoming one longer than `HUASHU_MAX_TEXT_CHARS` is ranked from its beginning and its end (logged).
Every decision is logged at INFO with its reason and the delivery id; message text only at DEBUG.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

from assistant.service import keys
from assistant.service.api import json_bytes, log_long_message, read_json
from assistant.service.core import IncomingMessage
from assistant.service.errors import Forbidden, ServiceError
from assistant.service.platforms.chatwoot.events import (
    ChatwootEvent,
    EventName,
    attachment_text,
    sender_of,
    sent_at,
)
from assistant.service.platforms.chatwoot.note import NOTE_MARK, format_note
from assistant.service.platforms.chatwoot.routing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    TOKEN_PARAM,
    ChatwootShop,
    chatwoot_shops,
    opened_shops,
    route,
)
from assistant.service.platforms.repeats import claim_new
from assistant.service.schemas import WebhookAccepted, decode, is_blank, require_text

__all__ = ["DELIVERY_HEADER", "SIGNATURE_HEADER", "TIMESTAMP_HEADER", "ChatwootEvent", "chatwoot_webhook"]

log = logging.getLogger("assistant.service.chatwoot")

DELIVERY_HEADER = "X-Chatwoot-Delivery"


def _decided(app: web.Application, delivery: str, accepted: bool, reason: str, **context: Any) -> web.Response:
    """Count, log (INFO, with the reason and the delivery id) and answer one decision."""
    app[keys.METRICS].webhook_events.labels(platform="chatwoot", outcome=reason).inc()
    log.info("chatwoot delivery", extra={"delivery": delivery, "accepted": accepted, "reason": reason, **context})
    return json_bytes(WebhookAccepted(ok=True, accepted=accepted, reason=reason))


async def _shops(app: web.Application) -> list[ChatwootShop]:
    return chatwoot_shops(await app[keys.STORE].shops(), app[keys.SETTINGS])


async def chatwoot_webhook(request: web.Request) -> web.Response:
    """Authenticate, route, deduplicate, answer at once; suggest in the background."""
    app = request.app
    settings = app[keys.SETTINGS]
    raw = await read_json(request)
    shops = await _shops(app)
    opened = opened_shops(
        shops,
        raw,
        signature=request.headers.get(SIGNATURE_HEADER),
        timestamp=request.headers.get(TIMESTAMP_HEADER),
        token=request.query.get(TOKEN_PARAM),
        tolerance_s=settings.webhook_tolerance_s,
    )
    delivery = request.headers.get(DELIVERY_HEADER, "")
    name = decode(raw, EventName).event
    if name != "message_created":
        return _decided(app, delivery, False, "event ignored", event=name)
    event = decode(raw, ChatwootEvent)
    if event.conversation is None or event.account is None or event.id is None:
        return _decided(app, delivery, False, "no conversation, account or message id", event=name)
    context: dict[str, Any] = {
        "account": event.account.id,
        "inbox": event.inbox_id,
        "conversation": event.conversation.id,
        "message_id": str(event.id),
    }
    shop = route(shops, event.account.id, event.inbox_id)
    if shop is None:
        return _decided(app, delivery, False, "no shop for this account and inbox", **context)
    context["shop"] = shop.shop
    if shop not in opened:
        log.info("chatwoot delivery", extra={"delivery": delivery, "accepted": False, "reason": "forbidden", **context})
        raise Forbidden.on("account.id", "this account and inbox belong to a shop these credentials do not open")
    seen = [("message", str(event.account.id), str(event.id))] + ([("delivery", delivery)] if delivery else [])
    deliveries = app[keys.DELIVERIES]
    if not await claim_new(app, tuple(seen), "chatwoot", shop.shop, str(event.conversation.id), str(event.id)):
        return _decided(app, delivery, False, "duplicate delivery", **context)
    try:
        accepted, reason = await _handle(app, shop, event, delivery)
    except BaseException:
        await deliveries.release(*seen)  # a failure is retryable: the retry is handled
        raise
    await deliveries.settle(*seen)
    return _decided(app, delivery, accepted, reason, **context)


async def _handle(app: web.Application, shop: ChatwootShop, event: ChatwootEvent, delivery: str) -> tuple[bool, str]:
    assert event.conversation is not None and event.account is not None
    text = event.content or ""
    if event.private or text.startswith(NOTE_MARK):
        return False, "private note"
    if event.is_reaction:
        return False, "reaction"
    if event.message_type not in ("incoming", "outgoing"):
        kind = event.message_type if event.message_type in ("template", "activity") else "unknown"
        return False, f"{kind} message ignored"
    placeholder = is_blank(text)
    if placeholder:
        text = attachment_text(event.attachments)
        if not text:
            return False, "no text"
    settings = app[keys.SETTINGS]
    require_text(text, "content", settings.recorded_chars)  # what a user typed: kept whole
    sender = sender_of(event)
    message = IncomingMessage(
        platform="chatwoot",
        shop=shop.shop,
        conversation_id=str(event.conversation.id),
        message_id=str(event.id),
        text=text,
        sender="agent" if sender.role == "agent" else "customer",
        sent_at=sent_at(event.created_at),
        sender_kind=sender.kind,
        agent_id=sender.agent_id,
        agent_name=sender.agent_name,
    )
    log.debug("chatwoot message", extra={"delivery": delivery, "chars": len(text), "sender_kind": sender.kind})
    service = app[keys.SERVICE]
    if event.message_type == "outgoing":
        await service.record_turn(message)
        return True, "agent reply recorded" if sender.kind == "agent" else f"{sender.kind} message recorded"
    if placeholder:
        await service.record_turn(message)
        return True, "attachment recorded"
    if len(text) > settings.max_text_chars:  # ranked from its beginning and its end, as the model reads
        log_long_message(message, settings.max_text_chars, delivery=delivery)
    notes = shop.notes_for(event.conversation.status)
    app[keys.BACKGROUND].spawn(
        _suggest_and_note(app, message, shop if notes else None, event.account.id, event.conversation.id, delivery),
        name=f"chatwoot-{event.account.id}-{event.id}",
    )
    return True, "suggesting" if notes or not shop.notes_enabled else "suggesting (no note: a bot handles it)"


async def _suggest_and_note(
    app: web.Application,
    message: IncomingMessage,
    shop: ChatwootShop | None,
    account_id: int,
    conversation_id: int,
    delivery: str,
) -> None:
    context = {"delivery": delivery, "shop": message.shop, "conversation": conversation_id}
    try:
        result = await app[keys.SERVICE].suggest(message)
    except ServiceError as exc:
        log.warning(
            "no suggestions for a chatwoot message",
            extra={"status": exc.status, "error": exc.message, "message_id": message.message_id, **context},
        )
        return
    if shop is None:
        return
    note = format_note(result.suggestions, result.reading)
    note_id = await app[keys.CHATWOOT].post_private_note(
        shop.api_url, shop.api_token, account_id, conversation_id, note
    )
    if note_id is None:
        return
    # its echo arrives as a private message_created: dropped as already seen (and as private)
    await app[keys.DELIVERIES].settle(("message", str(account_id), str(note_id)))
    log.info("chatwoot note posted", extra={"note_id": note_id, "message_id": message.message_id, **context})
