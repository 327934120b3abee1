"""Redis state that degrades to this process's state when Redis is down or frozen.

Every write goes to the in-process memory too (bounded, cheap), so when the `RedisLink` is down
a request still sees the turns and deliveries this worker handled, and answers within the link's
short timeout instead of failing. When Redis comes back, reads go to Redis again; what was
written only locally meanwhile stays local (other workers never saw it): that is the degraded
mode's price, said in docs/reliability.md.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence

from assistant.retrieval.types import Turn
from assistant.service.conversations import ConversationKey, ConversationMemory, DeliveryKey, SeenSet
from assistant.service.redis_link import RedisDown, RedisLink
from assistant.service.shared_state import RedisConversations, RedisDeliveries
from assistant.suggest.shop_deletion import MemoryUnreachable

log = logging.getLogger("assistant.service.redis")


class FallbackConversations:
    """`Conversations` in Redis, mirrored in this process and read from here while Redis is down."""

    def __init__(self, link: RedisLink, shared: RedisConversations, local: ConversationMemory) -> None:
        self._link = link
        self._shared = shared
        self._local = local

    async def turns(self, key: ConversationKey) -> tuple[Turn, ...]:
        try:
            return await self._link.run(lambda: self._shared.turns(key))
        except RedisDown:
            return await self._local.turns(key)

    async def add(self, key: ConversationKey, turn: Turn) -> None:
        await self._local.add(key, turn)
        with contextlib.suppress(RedisDown):  # kept in this process; the watcher brings Redis back
            await self._link.run(lambda: self._shared.add(key, turn))

    async def seed(self, key: ConversationKey, turns: Sequence[Turn], silent_s: float = 0.0) -> tuple[Turn, ...]:
        local = await self._local.seed(key, turns, silent_s)
        try:
            return await self._link.run(lambda: self._shared.seed(key, turns, silent_s))
        except RedisDown:
            return local

    async def forget_shop(self, shop: str) -> int:
        """Forgotten here and in Redis, a SCAN step per call (each within the link's timeout); the
        lists removed from Redis. Redis down: `MemoryUnreachable` with the conversations forgotten
        here (what Redis holds of the shop expires by its time-to-live, said in the log too)."""
        local = await self._local.forget_shop(shop)
        steps: list[int] = []
        try:
            return await self._shared.forget_shop(shop, run=self._link.run, counted=steps.append)
        except RedisDown:
            problem, forgotten = self._link.problem, sum(steps)  # Redis may fail midway
            log.warning(
                "a deleted shop's conversations stay in redis until they expire",
                extra={"shop": shop, "problem": problem, "forgotten": forgotten},
            )
            left = self._shared.left(self._link.where, problem, some=forgotten > 0)
            raise MemoryUnreachable(max(local, forgotten), left) from None


class FallbackDeliveries:
    """`Deliveries` in Redis, mirrored in this process and decided here while Redis is down."""

    def __init__(self, link: RedisLink, shared: RedisDeliveries, local: SeenSet) -> None:
        self._link = link
        self._shared = shared
        self._local = local

    async def first_time(self, *keys: DeliveryKey) -> bool:
        local = await self._local.first_time(*keys)
        try:
            return await self._link.run(lambda: self._shared.first_time(*keys))
        except RedisDown:
            return local

    async def claim(self, *keys: DeliveryKey, lease_s: float = 120.0) -> bool:
        local = await self._local.claim(*keys, lease_s=lease_s)
        try:
            shared = await self._link.run(lambda: self._shared.claim(*keys, lease_s=lease_s))
        except RedisDown:
            return local
        if local and not shared:  # another worker holds it: this one must not keep a lease
            await self._local.release(*keys)
        return shared

    async def settle(self, *keys: DeliveryKey) -> None:
        await self._local.settle(*keys)
        with contextlib.suppress(RedisDown):  # kept in this process; the watcher brings Redis back
            await self._link.run(lambda: self._shared.settle(*keys))

    async def release(self, *keys: DeliveryKey) -> None:
        await self._local.release(*keys)
        with contextlib.suppress(RedisDown):  # kept in this process; the watcher brings Redis back
            await self._link.run(lambda: self._shared.release(*keys))

    async def forget_shop(self, shop: str) -> int:
        """Forgotten here and in Redis, a SCAN step per call; Redis down: `MemoryUnreachable`."""
        local = await self._local.forget_shop(shop)
        steps: list[int] = []
        try:
            return await self._shared.forget_shop(shop, run=self._link.run, counted=steps.append)
        except RedisDown:
            left = self._shared.left(self._link.where, self._link.problem)
            raise MemoryUnreachable(max(local, sum(steps)), left) from None
