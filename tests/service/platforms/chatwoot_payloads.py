"""Chatwoot webhook deliveries built the way Chatwoot builds them, serialised and signed as it does.

Each builder follows one Chatwoot source (the 4.x line, where `message_type` is a string in
webhooks and `sender` is polymorphic; read from Chatwoot's `develop` sources):

* `message_event`: `Message#webhook_data` (app/models/message.rb) merged with `event` by
  `WebhookListener#message_created` / `#message_updated` (app/listeners/webhook_listener.rb);
  `sender` is `User#webhook_data` (type `user`), `Contact#webhook_data` (`contact`) or
  `AgentBot#webhook_data` (`agent_bot`); `attachments` only when there are any, each
  `Attachment#push_event_data`.
* `conversation`: `Conversation#webhook_data`, i.e. `Conversations::EventDataPresenter#push_data`
  (app/presenters/conversations/event_data_presenter.rb): `id` is the display id, `meta` holds the
  contact (`sender`) and the `assignee`, `messages` the last chat message's `push_event_data`
  (integer `message_type`, Unix `created_at`).
* `conversation_event`: `WebhookListener#conversation_created` / `#conversation_status_changed`
  (the latter with `changed_attributes`).
* `webwidget_event`: `WebhookListener#webwidget_triggered`: `ContactInbox#webhook_data` plus
  `event_info`.
* `ruby_json`: ActiveSupport's `to_json`: compact, UTF-8 kept, `<`, `>`, `&`, U+2028, U+2029
  escaped as `\\u003c`, `\\u003e`, `\\u0026`, `\\u2028`, `\\u2029`; times as ISO 8601 with milliseconds.
* `chatwoot_headers`: `Webhooks::Trigger` from 4.11.2 (account webhooks; 4.13.0 for API-inbox and
  agent-bot webhooks): `X-Chatwoot-Delivery` (a UUID, the same on a retry),
  `X-Chatwoot-Timestamp` (Unix seconds), `X-Chatwoot-Signature: sha256=HMAC_SHA256(secret,
  "{timestamp}.{body}")`. Earlier versions send none of them (`unsigned_headers`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

ACCOUNT = {"id": 1, "name": "暖居生活"}
INBOX = {"id": 1, "name": "暖居生活旗舰店"}
AGENT = {"id": 1, "name": "小暖", "email": "xiaonuan@example.com", "type": "user"}
BOT = {"id": 3, "name": "欢迎机器人", "type": "agent_bot"}
CREATED = dt.datetime(2026, 11, 11, 8, 2, 48, 123000, tzinfo=dt.UTC)


def iso(moment: dt.datetime) -> str:
    """ActiveSupport's JSON time: ISO 8601, milliseconds, `Z`."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def ruby_json(payload: Any) -> bytes:
    """`payload.to_json` as Rails writes it."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text.encode()


def contact(contact_id: int = 14, name: str = "little-haze-776") -> dict[str, Any]:
    """`Contact#webhook_data`."""
    return {
        "account": ACCOUNT,
        "additional_attributes": {},
        "avatar": "",
        "custom_attributes": {},
        "email": None,
        "id": contact_id,
        "identifier": None,
        "name": name,
        "phone_number": None,
        "thumbnail": "",
        "blocked": False,
        "type": "contact",
    }


def _contact_push(person: dict[str, Any]) -> dict[str, Any]:
    """`Contact#push_event_data` (what `meta.sender` holds)."""
    return {k: v for k, v in person.items() if k not in ("account", "avatar")}


def _assignee_push(agent: dict[str, Any] | None) -> dict[str, Any] | None:
    """`User#push_event_data` (what `meta.assignee` holds)."""
    if agent is None:
        return None
    return {
        "id": agent["id"],
        "name": agent["name"],
        "available_name": agent["name"],
        "avatar_url": "",
        "type": "user",
        "availability_status": "online",
        "thumbnail": "",
    }


_SENDER_TYPES = {"user": "User", "contact": "Contact", "agent_bot": "AgentBot"}
_TYPE_NUMBER = {"incoming": 0, "outgoing": 1, "activity": 2, "template": 3}


def conversation(
    display_id: int = 10,
    *,
    person: dict[str, Any] | None = None,
    assignee: dict[str, Any] | None = AGENT,
    status: str = "open",
    inbox_id: int = 1,
    last_message: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`Conversation#webhook_data` (`Conversations::EventDataPresenter#push_data`)."""
    person = person or contact()
    stamp = int(CREATED.timestamp())
    return {
        "additional_attributes": {
            "browser": {"device_name": "Unknown", "browser_name": "Chrome", "platform_name": "macOS"},
            "referer": "https://shop.example.com/item/42",
            "initiated_at": {"timestamp": "Wed Nov 11 2026 16:01:48 GMT+0800 (China Standard Time)"},
        },
        "can_reply": True,
        "channel": "Channel::WebWidget",
        "contact_inbox": {
            "id": 12,
            "contact_id": person["id"],
            "inbox_id": inbox_id,
            "source_id": "405f1d30-1af3-4fa0-8ffd-11ea3f86101e",
            "created_at": iso(CREATED),
            "updated_at": iso(CREATED),
            "hmac_verified": False,
            "pubsub_token": "pQ7ZbxXhW9n1",
        },
        "id": display_id,
        "inbox_id": inbox_id,
        "messages": [last_message] if last_message else [],
        "labels": [],
        "meta": {
            "sender": _contact_push(person),
            "assignee": _assignee_push(assignee),
            "team": None,
            "hmac_verified": False,
        },
        "status": status,
        "custom_attributes": {},
        "snoozed_until": None,
        "unread_count": 1,
        "first_reply_created_at": None,
        "priority": None,
        "waiting_since": stamp,
        "agent_last_seen_at": 0,
        "contact_last_seen_at": 0,
        "last_activity_at": stamp,
        "timestamp": stamp,
        "created_at": stamp - 60,
        "updated_at": stamp + 0.5,
    }


def _push_message(
    message_id: int, content: str | None, message_type: str, private: bool, sender: Any
) -> dict[str, Any]:
    """`Message#push_event_data` (the conversation's `messages`)."""
    return {
        "id": message_id,
        "content": content,
        "account_id": ACCOUNT["id"],
        "inbox_id": INBOX["id"],
        "conversation_id": 10,
        "message_type": _TYPE_NUMBER[message_type],
        "created_at": int(CREATED.timestamp()),
        "updated_at": iso(CREATED),
        "private": private,
        "status": "sent",
        "source_id": None,
        "content_type": "text",
        "content_attributes": {},
        "sender_type": {"user": "User", "contact": "Contact", "agent_bot": "AgentBot"}.get(
            (sender or {}).get("type", "")
        ),
        "sender_id": (sender or {}).get("id"),
        "external_source_ids": {},
        "additional_attributes": {},
        "processed_message_content": content,
        "sentiment": {},
    }


def message_event(
    message_id: int,
    content: str | None,
    *,
    message_type: str = "incoming",
    sender: dict[str, Any] | None = None,
    private: bool = False,
    content_type: str = "text",
    content_attributes: dict[str, Any] | None = None,
    additional_attributes: dict[str, Any] | None = None,
    attachments: list[dict[str, Any]] | None = None,
    conversation_id: int = 10,
    status: str = "open",
    assignee: dict[str, Any] | None = AGENT,
    inbox_id: int = 1,
    account: dict[str, Any] = ACCOUNT,
    event: str = "message_created",
) -> dict[str, Any]:
    """`Message#webhook_data.merge(event: ...)`; the sender defaults to the contact for an
    incoming message and to the agent for an outgoing one."""
    person = contact()
    if sender is None:
        sender = person if message_type == "incoming" else AGENT
    data: dict[str, Any] = {
        "account": account,
        "additional_attributes": additional_attributes or {},
        "content_attributes": content_attributes or {},
        "content_type": content_type,
        "content": content,
        "conversation": conversation(
            conversation_id,
            person=sender if sender and sender.get("type") == "contact" else person,
            assignee=assignee,
            status=status,
            inbox_id=inbox_id,
            last_message=_push_message(message_id, content, message_type, private, sender),
        ),
        "created_at": iso(CREATED),
        "id": message_id,
        "inbox": {**INBOX, "id": inbox_id},
        "message_type": message_type,
        "private": private,
        "sender": sender,
        "source_id": None,
    }
    if attachments:
        data["attachments"] = attachments
    data["event"] = event
    return data


def image_attachment(message_id: int, attachment_id: int = 55) -> dict[str, Any]:
    """`Attachment#push_event_data` of an image."""
    url = f"https://chat.example.com/rails/active_storage/blobs/redirect/eyJfcmFpbHMi/{attachment_id}.jpg"
    return {
        "id": attachment_id,
        "message_id": message_id,
        "file_type": "image",
        "account_id": ACCOUNT["id"],
        "extension": None,
        "data_url": url,
        "thumb_url": url + "?thumb=250",
        "file_size": 48213,
        "width": 1080,
        "height": 1440,
    }


def conversation_event(event: str, *, status: str = "open", **changes: Any) -> dict[str, Any]:
    """`conversation.webhook_data.merge(event: ...)` (+ `changed_attributes` for a status change)."""
    data = {**conversation(status=status), "event": event, **changes}
    return data


def webwidget_event() -> dict[str, Any]:
    """`contact_inbox.webhook_data.merge(event: "webwidget_triggered")` with `event_info`."""
    return {
        "id": 12,
        "contact": contact(),
        "inbox": INBOX,
        "account": ACCOUNT,
        "current_conversation": None,
        "source_id": "405f1d30-1af3-4fa0-8ffd-11ea3f86101e",
        "event": "webwidget_triggered",
        "event_info": {
            "initiated_at": {"timestamp": "Wed Nov 11 2026 16:01:48 GMT+0800 (China Standard Time)"},
            "referer": "https://shop.example.com/item/42",
            "widget_language": "zh_CN",
            "browser_language": "zh",
            "browser": {"browser_name": "Chrome", "browser_version": "131.0", "platform_name": "macOS"},
        },
    }


def chatwoot_headers(
    secret: str, body: bytes, delivery: str | None = None, timestamp: int | None = None
) -> dict[str, str]:
    """What `Webhooks::Trigger` (4.11.2+) sends with a body."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {
        **unsigned_headers(),
        "X-Chatwoot-Delivery": delivery or str(uuid.uuid4()),
        "X-Chatwoot-Timestamp": stamp,
        "X-Chatwoot-Signature": f"sha256={digest}",
    }


def unsigned_headers() -> dict[str, str]:
    """What versions before signing send (RestClient: `content_type: :json, accept: :json`)."""
    return {"Content-Type": "application/json", "Accept": "application/json"}


FIXTURE_MESSAGE = message_event(118, "快递几天能到啊")  # tests/service/fixtures/chatwoot_message_created.json
