"""Chatwoot's webhook payloads, read as Chatwoot builds them, and what each message is.

A `message_created` / `message_updated` body is `Message#webhook_data` merged with `event`
(app/models/message.rb, app/listeners/webhook_listener.rb): `message_type` is a string
(`incoming`, `outgoing`, `activity`, `template`), `created_at` an ISO time with milliseconds,
`sender` the sender's own `webhook_data` (`type`: `contact`, `user`, `agent_bot`,
`captain_assistant`), `conversation.id` the display id the API uses, `attachments` only when
there are any. Conversation and widget events have other shapes; only `event` is read of them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec


class EventName(msgspec.Struct, forbid_unknown_fields=False):
    """Just the event's name, read before anything else."""

    event: str = ""


class ChatwootAccount(msgspec.Struct, forbid_unknown_fields=False):
    id: int


class ChatwootInbox(msgspec.Struct, forbid_unknown_fields=False):
    id: int


class ChatwootPerson(msgspec.Struct, forbid_unknown_fields=False):
    """A sender or assignee: `type` is `contact`, `user`, `agent_bot`, `captain_assistant`."""

    id: int | str | None = None
    name: str | None = None
    type: str | None = None


class ChatwootMeta(msgspec.Struct, forbid_unknown_fields=False):
    assignee: ChatwootPerson | None = None


class ChatwootConversation(msgspec.Struct, forbid_unknown_fields=False):
    id: int  # the display id, as used in the dashboard and the API's URLs
    inbox_id: int | None = None
    status: str | None = None  # open / pending (a bot handles it) / resolved / snoozed
    meta: ChatwootMeta | None = None


class ChatwootAttachment(msgspec.Struct, forbid_unknown_fields=False):
    file_type: str | None = None


class ChatwootEvent(msgspec.Struct, forbid_unknown_fields=False):
    """The parts of a message event the adapter reads."""

    event: str
    id: int | str | None = None
    content: str | None = None
    message_type: str | None = None
    private: bool = False
    created_at: str | int | None = None
    content_attributes: dict[str, Any] | str | None = None
    additional_attributes: dict[str, Any] | str | None = None
    attachments: list[ChatwootAttachment] | None = None
    sender: ChatwootPerson | None = None
    inbox: ChatwootInbox | None = None
    conversation: ChatwootConversation | None = None
    account: ChatwootAccount | None = None

    @property
    def inbox_id(self) -> int | None:
        if self.inbox is not None:
            return self.inbox.id
        return self.conversation.inbox_id if self.conversation else None

    def attribute(self, name: str) -> Any:
        """A key of `content_attributes` (or of `additional_attributes`), None when absent."""
        for attrs in (self.content_attributes, self.additional_attributes):
            if isinstance(attrs, Mapping) and attrs.get(name) not in (None, ""):
                return attrs[name]
        return None

    @property
    def is_reaction(self) -> bool:
        return str(self.attribute("is_reaction")).lower() == "true"


def sent_at(value: str | int | None) -> dt.datetime | None:
    """`created_at` as Chatwoot sends it (ISO with milliseconds, or Unix seconds); None when absurd."""
    try:
        if isinstance(value, int):
            return dt.datetime.fromtimestamp(value, dt.UTC)
        if isinstance(value, str):
            return dt.datetime.fromisoformat(value.replace(" UTC", "+00:00").replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    return None


_PLACEHOLDERS = {
    "image": "[图片]",
    "audio": "[语音]",
    "video": "[视频]",
    "file": "[文件]",
    "location": "[位置]",
    "contact": "[名片]",
}


def attachment_text(attachments: Sequence[ChatwootAttachment] | None) -> str:
    """The turn's text when it has attachments and no words: `[图片]`, `[文件]`, ... ("" for none)."""
    return " ".join(_PLACEHOLDERS.get(a.file_type or "", "[附件]") for a in attachments or ())


@dataclass(frozen=True, slots=True)
class Sender:
    """Who sent a message: `role` for the conversation's turns, `kind` for the record."""

    role: str  # customer / agent
    kind: str  # contact / agent / bot / automation
    agent_id: str = ""
    agent_name: str = ""


_HUMAN = "user"
_BOTS = ("agent_bot", "captain_assistant")


def sender_of(event: ChatwootEvent) -> Sender:
    """As Chatwoot's own `Message#human_response?` decides: an outgoing message is a human agent's
    only when a user sent it (or nobody: a reply from the channel's own app, attributed to the
    assignee) and no automation rule or campaign did."""
    if event.message_type == "incoming":
        person = event.sender
        return Sender("customer", "contact", str(person.id) if person and person.id is not None else "")
    if event.attribute("automation_rule_id") is not None or event.attribute("campaign_id") is not None:
        return Sender("agent", "automation")
    person = event.sender
    if person is not None and person.type is not None and person.type != _HUMAN and person.type != "contact":
        kind = "bot" if person.type in _BOTS or "bot" in person.type or "assistant" in person.type else "automation"
        return Sender("agent", kind, str(person.id or ""), person.name or "")
    if person is None or person.type != _HUMAN:
        meta = event.conversation.meta if event.conversation else None
        person = meta.assignee if meta else None
    if person is None:
        return Sender("agent", "agent")
    return Sender("agent", "agent", str(person.id if person.id is not None else ""), person.name or "")
