"""A conversation the memory has no turns for is recalled from the record store.

The memory (`ConversationMemory` in this process, or Redis) is a cache: it forgets on restart,
on eviction and after its time-to-live. The store has every message. On a miss, the
conversation's last messages are read back (at most the memory's bound), cut where it was silent
for longer than the time-to-live (the memory would have forgotten what came before; a
conversation silent for that long now stays forgotten), and seeded into the memory. So a restart,
or a worker that never saw the conversation, costs an indexed query, not the context (a new
conversation's first message costs one or two that find nothing).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from assistant.retrieval.types import Turn
from assistant.service.conversations import ConversationKey, Conversations
from assistant.storage.protocols import RecordStore, StoreError
from assistant.storage.records import MessageRecord, epoch

log = logging.getLogger("assistant.service")


def live_tail(messages: Sequence[MessageRecord], now: float, ttl_s: float) -> list[MessageRecord]:
    """The messages (oldest first) a memory with time-to-live `ttl_s` would still hold at `now`:
    none when the last is older than `ttl_s`, else those after the last silence longer than it."""
    kept: list[MessageRecord] = []
    later = now
    for message in reversed(messages):
        at = epoch(message.received_at)
        if later - at > ttl_s:
            break
        kept.append(message)
        later = at
    kept.reverse()
    return kept


async def recall(store: RecordStore, key: ConversationKey, ttl_s: float, limit: int, now: float) -> list[MessageRecord]:
    """A conversation's last `limit` recorded messages that are still live (`live_tail`)."""
    shop, conversation = key
    return live_tail(await store.recent_messages(shop, conversation, limit), now, ttl_s)


def turn_of(message: MessageRecord) -> Turn:
    """A recorded message as the core remembers it: a bot's message is the agent's side."""
    return Turn("customer" if message.role == "customer" else "agent", message.text)


class RecallingConversations:
    """`Conversations` over any memory that recalls a missed conversation from the record store.

    The core reads a conversation's turns before it records the message in hand, so that
    message is never its own context. A turn added to a missed conversation is added after the
    recalled ones, unless it is the last of them (the panel's send records an agent's reply
    before the platform's echo of it arrives as a turn)."""

    def __init__(
        self,
        memory: Conversations,
        store: RecordStore,
        ttl_s: float,
        max_turns: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.memory = memory
        self._store = store
        self._ttl = ttl_s
        self._max_turns = max_turns
        self._clock = clock

    async def turns(self, key: ConversationKey) -> tuple[Turn, ...]:
        return await self.memory.turns(key) or await self._recall(key)

    async def add(self, key: ConversationKey, turn: Turn) -> None:
        if not await self.memory.turns(key):
            recalled = await self._recall(key)
            if recalled and recalled[-1] == turn:
                return
        await self.memory.add(key, turn)

    async def seed(self, key: ConversationKey, turns: Sequence[Turn], silent_s: float = 0.0) -> tuple[Turn, ...]:
        return await self.memory.seed(key, turns, silent_s)

    async def forget_shop(self, shop: str) -> int:
        return await self.memory.forget_shop(shop)

    async def _recall(self, key: ConversationKey) -> tuple[Turn, ...]:
        now = self._clock()
        try:
            messages = await recall(self._store, key, self._ttl, self._max_turns, now)
        except StoreError as exc:  # the answer goes on without the earlier turns
            log.warning("conversation not recalled", extra={"shop": key[0], "problem": str(exc)})
            return ()
        if not messages:
            return ()
        silent_s = max(0.0, now - epoch(messages[-1].received_at))
        return await self.memory.seed(key, [turn_of(m) for m in messages], silent_s)
