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
from assistant.service.core import IncomingMessage, SuggestResult
from assistant.service.panel.bus import LiveBus
from assistant.storage.records import MessageRecord

log = logging.getLogger("assistant.service.panel")

TURNS_SHOWN = 6
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
        "cues": [
            {
                "name": c.name,
                "level": c.level,
                "score": round(c.score, 3),
                "tip": c.tip,
                "evidence": [{"start": e.start, "end": e.end, "text": e.text} for e in c.evidence],
            }
            for c in reading.shown()  # medium and high: precision first, a low cue is not worth a glance
        ],
        "escalate": reading.escalate,
        "escalation_reasons": list(reading.escalation_reasons),
        "published_ms": time.time() * 1000,
    }


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
