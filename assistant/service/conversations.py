"""Bounded memories: the recent turns of each conversation, and the deliveries already seen.

Two interfaces (`Conversations`, `Deliveries`), each with an in-process implementation here
(LRU with a time-to-live, bounded in entries, owned by one app: no globals) and a Redis one in
`shared_state.py` for several workers behind one load balancer.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from assistant.retrieval.types import Turn

ConversationKey = tuple[str, str]  # (shop, conversation id)
DeliveryKey = tuple[str, ...]
SHOP_KEYED = ("api", "generic")
"""The platforms whose delivery keys are (platform, shop, conversation, message): forgotten with the
shop (Chatwoot's name an account's message and delivery ids, which no other shop is sent)."""


def of_shop(key: DeliveryKey, shop: str) -> bool:
    """Whether a delivery key names `shop` (`SHOP_KEYED`)."""
    return len(key) > 1 and key[0] in SHOP_KEYED and key[1] == shop


class Conversations(Protocol):
    """The recent turns of each conversation."""

    async def turns(self, key: ConversationKey) -> tuple[Turn, ...]:
        """The remembered turns, oldest first (empty for an unknown or expired conversation)."""
        ...

    async def add(self, key: ConversationKey, turn: Turn) -> None: ...

    async def seed(self, key: ConversationKey, turns: Sequence[Turn], silent_s: float = 0.0) -> tuple[Turn, ...]:
        """Remember `turns` (oldest first) for a conversation that has none, as silent for
        `silent_s` already (it is forgotten that much sooner); the turns it holds now. A
        conversation that has turns keeps them (another request seeded or added first)."""
        ...

    async def forget_shop(self, shop: str) -> int:
        """Forget every conversation of `shop` (a deleted shop's); how many were forgotten."""
        ...


class Deliveries(Protocol):
    """Webhook deliveries and message ids already handled.

    A handler `claim`s its keys (held for `lease_s` only), then `settle`s them once the delivery
    was handled (remembered for the full time-to-live) or `release`s them when it failed, so the
    sender's retry is handled instead of being dropped as a duplicate."""

    async def first_time(self, *keys: DeliveryKey) -> bool:
        """True when none of `keys` was seen (and remember them all); False for a repeat."""
        ...

    async def claim(self, *keys: DeliveryKey, lease_s: float = 120.0) -> bool:
        """True when none of `keys` is held or settled (and hold them all); False otherwise."""
        ...

    async def settle(self, *keys: DeliveryKey) -> None:
        """The delivery was handled: remember its keys for the full time-to-live."""
        ...

    async def release(self, *keys: DeliveryKey) -> None:
        """The delivery failed: forget its keys, so a retry is handled."""
        ...

    async def forget_shop(self, shop: str) -> int:
        """Forget every delivery `shop` is named in (a deleted shop's); how many."""
        ...


@dataclass(slots=True)
class _Conversation:
    turns: deque[Turn]
    seen_at: float = field(default=0.0)


class ConversationMemory:
    """Recent turns per (shop, conversation): at most `max_conversations`, each forgotten after
    `ttl_s` of silence, each holding its last `max_turns` turns."""

    def __init__(
        self,
        max_conversations: int,
        ttl_s: float,
        max_turns: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._items: OrderedDict[ConversationKey, _Conversation] = OrderedDict()
        self._max = max_conversations
        self._ttl = ttl_s
        self._max_turns = max_turns
        self._clock = clock

    def __len__(self) -> int:
        return len(self._items)

    def _live(self, key: ConversationKey) -> _Conversation | None:
        item = self._items.get(key)
        if item is None:
            return None
        if self._clock() - item.seen_at > self._ttl:
            del self._items[key]
            return None
        return item

    async def turns(self, key: ConversationKey) -> tuple[Turn, ...]:
        item = self._live(key)
        return tuple(item.turns) if item else ()

    async def add(self, key: ConversationKey, turn: Turn) -> None:
        item = self._live(key)
        if item is None:
            item = _Conversation(deque(maxlen=self._max_turns))
            self._items[key] = item
        item.turns.append(turn)
        item.seen_at = self._clock()
        self._keep(key)

    async def seed(self, key: ConversationKey, turns: Sequence[Turn], silent_s: float = 0.0) -> tuple[Turn, ...]:
        item = self._live(key)
        if item is None or not item.turns:
            item = _Conversation(deque(turns, maxlen=self._max_turns), self._clock() - max(0.0, silent_s))
            self._items[key] = item
            self._keep(key)
        return tuple(item.turns)

    async def forget_shop(self, shop: str) -> int:
        gone = [key for key in self._items if key[0] == shop]
        for key in gone:
            del self._items[key]
        return len(gone)

    def _keep(self, key: ConversationKey) -> None:
        self._items.move_to_end(key)
        while len(self._items) > self._max:
            self._items.popitem(last=False)


class SeenSet:
    """Keys seen recently (webhook deliveries, message ids): bounded, each expiring on its own
    deadline (a claim's short lease, or the time-to-live once settled)."""

    def __init__(self, max_items: int, ttl_s: float = 86400.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._items: OrderedDict[DeliveryKey, float] = OrderedDict()  # key -> expires at
        self._max = max_items
        self._ttl = ttl_s
        self._clock = clock

    def _held(self, key: DeliveryKey, now: float) -> bool:
        expires = self._items.get(key)
        return expires is not None and now < expires

    def _hold(self, keys: tuple[DeliveryKey, ...], until: float) -> None:
        for key in keys:
            self._items[key] = until
            self._items.move_to_end(key)
        while len(self._items) > self._max:
            self._items.popitem(last=False)

    async def first_time(self, *keys: DeliveryKey) -> bool:
        now = self._clock()
        repeat = any(self._held(key, now) for key in keys)
        self._hold(keys, now + self._ttl)
        return not repeat

    async def claim(self, *keys: DeliveryKey, lease_s: float = 120.0) -> bool:
        now = self._clock()
        if any(self._held(key, now) for key in keys):
            return False
        self._hold(keys, now + min(lease_s, self._ttl))
        return True

    async def settle(self, *keys: DeliveryKey) -> None:
        self._hold(keys, self._clock() + self._ttl)

    async def release(self, *keys: DeliveryKey) -> None:
        for key in keys:
            self._items.pop(key, None)

    async def forget_shop(self, shop: str) -> int:
        gone = [key for key in self._items if of_shop(key, shop)]
        for key in gone:
            del self._items[key]
        return len(gone)
