"""`POST /v1/webhooks/chatwoot`: Chatwoot's `message_created` events.

1. Verify `X-Chatwoot-Signature: sha256=HMAC_SHA256(secret, "{X-Chatwoot-Timestamp}.{raw body}")`
   and the timestamp's replay window, before parsing anything.
2. Parse only the fields we use (top-level `message_type` is a string: incoming / outgoing /
   activity / template; `conversation.id` is the display id used by the API).
3. Drop retried deliveries (`X-Chatwoot-Delivery`, and the message id).
4. Answer 200 at once (Chatwoot waits 5 s and ignores the body); the work goes on in the
   background: an incoming, public message gets suggestions (posted back as a private note
   when an API token is configured); an outgoing, public one is the agent's real reply and is
   recorded. Private notes, our own included, are ignored.
"""

from __future__ import annotations

import datetime as dt
import logging

import msgspec
from aiohttp import web

from assistant.service import keys
from assistant.service.api import json_bytes
from assistant.service.core import IncomingMessage
from assistant.service.errors import ServiceError
from assistant.service.platforms.chatwoot.note import NOTE_MARK, format_note
from assistant.service.platforms.signing import signed_json
from assistant.service.schemas import WebhookAccepted, decode, require_text

log = logging.getLogger("assistant.service.chatwoot")

SIGNATURE_HEADER = "X-Chatwoot-Signature"
TIMESTAMP_HEADER = "X-Chatwoot-Timestamp"
DELIVERY_HEADER = "X-Chatwoot-Delivery"


class ChatwootAccount(msgspec.Struct, forbid_unknown_fields=False):
    id: int


class ChatwootConversation(msgspec.Struct, forbid_unknown_fields=False):
    id: int  # the display id, as used in the dashboard and the API's URLs


class ChatwootSender(msgspec.Struct, forbid_unknown_fields=False):
    id: int | str | None = None
    type: str | None = None


class ChatwootEvent(msgspec.Struct, forbid_unknown_fields=False):
    """The parts of a webhook event the adapter reads."""

    event: str
    id: int | str | None = None
    content: str | None = None
    message_type: str | None = None
    private: bool = False
    created_at: str | int | None = None
    sender: ChatwootSender | None = None
    conversation: ChatwootConversation | None = None
    account: ChatwootAccount | None = None


def _sent_at(value: str | int | None) -> dt.datetime | None:
    if isinstance(value, int):
        return dt.datetime.fromtimestamp(value, dt.UTC)
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.replace(" UTC", "+00:00").replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


def _answer(app: web.Application, accepted: bool, reason: str) -> web.Response:
    app[keys.METRICS].webhook_events.labels(platform="chatwoot", outcome=reason).inc()
    return json_bytes(WebhookAccepted(ok=True, accepted=accepted, reason=reason))


async def chatwoot_webhook(request: web.Request) -> web.Response:
    """Authenticate, parse, deduplicate, answer at once; suggest in the background."""
    app = request.app
    settings = app[keys.SETTINGS]
    raw = await signed_json(
        request,
        secret=settings.chatwoot_webhook_secret,
        signature_header=SIGNATURE_HEADER,
        timestamp_header=TIMESTAMP_HEADER,
        tolerance_s=settings.webhook_tolerance_s,
    )
    event = decode(raw, ChatwootEvent)
    if event.event != "message_created":
        return _answer(app, False, "not a message_created event")
    if event.conversation is None or event.account is None or event.id is None:
        return _answer(app, False, "no conversation, account or message id")
    delivery = request.headers.get(DELIVERY_HEADER)
    dedup_keys: list[tuple[str, ...]] = [("message", str(event.account.id), str(event.id))]
    if delivery:
        dedup_keys.append(("delivery", delivery))
    if not await app[keys.DELIVERIES].first_time(*dedup_keys):
        return _answer(app, False, "duplicate delivery")
    text = event.content or ""
    if event.private or text.startswith(NOTE_MARK):
        return _answer(app, False, "private note")
    if not text.strip():
        return _answer(app, False, "no text")
    require_text(text, "content", settings.max_text_chars)
    message = IncomingMessage(
        platform="chatwoot",
        shop=f"chatwoot:{event.account.id}",
        conversation_id=str(event.conversation.id),
        message_id=str(event.id),
        text=text,
        sender="customer" if event.message_type == "incoming" else "agent",
        sent_at=_sent_at(event.created_at),
    )
    if event.message_type == "outgoing":
        await app[keys.SERVICE].record_agent_reply(message)
        return _answer(app, True, "agent reply recorded")
    if event.message_type != "incoming":
        return _answer(app, False, f"message_type {event.message_type!r} ignored")
    app[keys.BACKGROUND].spawn(
        _suggest_and_note(app, message, event.account.id, event.conversation.id),
        name=f"chatwoot-{event.account.id}-{event.id}",
    )
    return _answer(app, True, "suggesting")


async def _suggest_and_note(
    app: web.Application, message: IncomingMessage, account_id: int, conversation_id: int
) -> None:
    try:
        result = await app[keys.SERVICE].suggest(message)
    except ServiceError as exc:
        log.warning(
            "no suggestions for a chatwoot message",
            extra={"status": exc.status, "error": exc.message, "message_id": message.message_id},
        )
        return
    client = app[keys.CHATWOOT]
    if not client.enabled or not app[keys.SETTINGS].chatwoot_notes:
        return
    note = format_note(result.suggestions, result.reading)
    note_id = await client.post_private_note(account_id, conversation_id, note)
    if note_id is not None:  # its echo arrives as a private message_created: already dropped
        await app[keys.DELIVERIES].first_time(("message", str(account_id), str(note_id)))
