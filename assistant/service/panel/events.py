"""What the panel is told: one compact JSON event per customer message (suggestions, cues, the
last turns) and one per other turn (an agent's reply), published on the live bus by `PanelPublisher`.

The service core calls the publisher after every suggestion, whatever the platform; a failing
or slow bus is logged and never fails or holds up the suggestion itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

import msgspec

from assistant.retrieval.types import Turn
from assistant.service.conversation_recall import turn_of
from assistant.service.core import IncomingMessage, SuggestResult, cue_fields
from assistant.service.panel.bus import LiveBus
from assistant.storage.protocols import RecordStore
from assistant.storage.records import AnswerRecord, MessageRecord, SuggestionRecord

log = logging.getLogger("assistant.service.panel")

TURNS_SHOWN = 6
RECALLED_MESSAGES = 2 * TURNS_SHOWN  # read back on a restart: the turns shown and those after them
PUBLISH_TIMEOUT_S = 1.0


def _turns(turns: Sequence[Turn]) -> list[dict[str, str]]:
    return [{"role": t.role, "text": t.text} for t in turns[-TURNS_SHOWN:]]


def suggestion_event(result: SuggestResult, context: Sequence[Turn], *, preview: bool = False) -> dict[str, Any]:
    """The panel's view of one suggested message (`preview` for /panel/try: nothing recorded)."""
    m = result.message
    reading = result.reading
    return {
        "type": "suggestions",
        "preview": preview,
        "shop": m.shop,
        "conversation_id": m.conversation_id,
        "message_id": m.message_id,
        "platform": m.platform,
        "text": m.text,
        "turns": _turns(context),
        "answerable": result.answerable,
        "index_version": result.index_version,
        "suggest_ms": round(result.total_ms, 2),
        "suggestions": [
            {
                "rank": rank,
                "entry_id": s.entry_id,
                "text": s.text,
                "kind": str(s.kind),
                "score": round(s.score, 4),
                "matched": s.matched,
                "tags": list(s.tags),  # `quick_reply` and its slot: a quick reply matched no wording
            }
            for rank, s in enumerate(result.suggestions, start=1)
        ],
        # medium and high: precision first, a low cue is not worth a glance
        "cues": [cue_fields(c) for c in reading.shown()],
        "escalate": reading.escalate,
        "escalation_reasons": list(reading.escalation_reasons),
        "published_ms": time.time() * 1000,
    }


def stored_suggestion_event(
    message: MessageRecord,
    before: Sequence[MessageRecord],
    answer: AnswerRecord,
    shown: Sequence[SuggestionRecord],
) -> dict[str, Any]:
    """The panel's view of a customer message as the store kept it (a panel opened after a
    restart): the same fields as `suggestion_event`, read back, nothing computed again. A row
    written before the store kept the cues' tips and evidence shows each cue by name and level."""
    cues = list(answer.cue_details) or [
        {"name": name, "level": level, "score": 0.0, "tip": "", "evidence": []} for name, level in answer.cues
    ]
    return {
        "type": "suggestions",
        "preview": False,
        "recalled": True,
        "shop": message.shop,
        "conversation_id": message.conversation_id,
        "message_id": message.message_id,
        "platform": message.platform,
        "text": message.text,
        "turns": _turns([turn_of(m) for m in before]),
        "answerable": answer.answerable,
        "index_version": answer.index_version,
        "suggest_ms": round(answer.total_ms, 2),
        "suggestions": [
            {
                "rank": s.rank,
                "entry_id": s.entry_id,
                "text": s.text,
                "kind": s.source,
                "score": round(s.score, 4),
                "matched": s.matched,
                "tags": list(s.tags),
            }
            for s in shown
        ],
        "cues": cues,
        "escalate": bool(answer.escalation),
        "escalation_reasons": list(answer.escalation),
        "published_ms": time.time() * 1000,
    }


async def recalled_events(store: RecordStore, messages: Sequence[MessageRecord]) -> list[dict[str, Any]]:
    """What a panel opened on a conversation the bus has no event of starts with, from the store
    (`messages`: its last recorded ones, oldest first): the last customer message the service
    suggested for, with its suggestions and cues as they were shown and the turns before it, then
    each turn after it; without such a message, the last turns alone."""
    for at in range(len(messages) - 1, -1, -1):
        message = messages[at]
        if message.role != "customer":
            continue
        m = message
        answer, shown = await store.shown_for(m.shop, m.platform, m.conversation_id, m.message_id)
        if answer is not None:
            event = stored_suggestion_event(message, messages[:at], answer, shown)
            return [event, *(recalled_turn_event(m) for m in messages[at + 1 :])]
    return [recalled_turn_event(m) for m in messages[-TURNS_SHOWN:]]


def turn_event(message: IncomingMessage) -> dict[str, Any]:
    """A turn recorded without suggestions: the agent's (or a bot's) reply, a customer's image."""
    return _turn_event(message.record_role, message.shop, message.conversation_id, message.message_id, message.text)


def recalled_turn_event(message: MessageRecord) -> dict[str, Any]:
    """A recorded message of a conversation the bus no longer has (a restart): shown as a turn."""
    return _turn_event(message.role, message.shop, message.conversation_id, message.message_id, message.text)


def _turn_event(role: str, shop: str, conversation_id: str, message_id: str, text: str) -> dict[str, Any]:
    return {
        "type": "turn",
        "role": role,
        "shop": shop,
        "conversation_id": conversation_id,
        "message_id": message_id,
        "text": text,
        "published_ms": time.time() * 1000,
    }


class PanelPublisher:
    """The core's listener: every result and recorded turn becomes an event on the bus."""

    def __init__(self, bus: LiveBus) -> None:
        self._bus = bus

    async def suggested(self, result: SuggestResult, context: Sequence[Turn]) -> None:
        await self._publish(result.message, suggestion_event(result, context))

    async def turn_recorded(self, message: IncomingMessage) -> None:
        await self._publish(message, turn_event(message))

    async def _publish(self, message: IncomingMessage, event: dict[str, Any]) -> None:
        try:
            async with asyncio.timeout(PUBLISH_TIMEOUT_S):
                await self._bus.publish(message.shop, message.conversation_id, msgspec.json.encode(event))
        except Exception as exc:  # the panel misses one update; the suggestion itself stands
            log.warning(
                "panel event not published",
                extra={"error": repr(exc), "conversation_id": message.conversation_id},
            )
