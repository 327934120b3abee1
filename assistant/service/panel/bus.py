"""The live bus: events per (shop, conversation) pushed to the panels watching it.

`LocalBus` keeps everything in this process. `RedisBus` (with `HUASHU_REDIS_URL`) publishes on
one Redis channel and every replica listens, so a webhook handled by one replica reaches a panel
connected to another; the latest event of each conversation is also kept in Redis (with a
time-to-live) so a panel opened later, or reconnecting, starts from it.

Events travel as encoded JSON bytes (encoded once, whatever the number of panels). A panel
reads its own bounded queue; a panel too slow to keep up loses its oldest events, never
slows the service. `close()` wakes every panel with `None` so their streams end on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Any, Protocol

from assistant.service.redis_link import RedisDown, RedisLink
from assistant.service.shared_state import literal, unlink_matching
from assistant.suggest.shop_deletion import MemoryUnreachable

log = logging.getLogger("assistant.service.panel")

ConversationKey = tuple[str, str]  # (shop, conversation id)
Queue = asyncio.Queue[bytes | None]

QUEUE_SIZE = 32


class LiveBus(Protocol):
    """Publish an event of a conversation; watch a conversation; read its latest event."""

    async def publish(self, shop: str, conversation: str, event: bytes) -> None: ...

    async def latest(self, shop: str, conversation: str) -> bytes | None: ...

    def watch(self, shop: str, conversation: str) -> contextlib.AbstractAsyncContextManager[Queue]: ...

    @property
    def watchers(self) -> int: ...

    def close(self) -> None: ...

    async def forget_shop(self, shop: str) -> int:
        """Forget the latest event of every conversation of `shop` (a deleted shop's); how many."""
        ...


class Fanout:
    """The panels of this process, by conversation: bounded queues, oldest dropped when full."""

    def __init__(self) -> None:
        self._queues: dict[ConversationKey, set[Queue]] = {}
        self.closed = False

    @property
    def watchers(self) -> int:
        return sum(len(queues) for queues in self._queues.values())

    @contextlib.asynccontextmanager
    async def watch(self, shop: str, conversation: str) -> AsyncIterator[Queue]:
        queue: Queue = asyncio.Queue(QUEUE_SIZE)
        if self.closed:
            queue.put_nowait(None)
        key = (shop, conversation)
        self._queues.setdefault(key, set()).add(queue)
        try:
            yield queue
        finally:
            queues = self._queues.get(key)
            if queues is not None:
                queues.discard(queue)
                if not queues:
                    del self._queues[key]

    def deliver(self, shop: str, conversation: str, event: bytes | None) -> None:
        for queue in self._queues.get((shop, conversation), ()):
            _put(queue, event)

    def close(self) -> None:
        self.closed = True
        for queues in self._queues.values():
            for queue in queues:
                _put(queue, None)


def _put(queue: Queue, event: bytes | None) -> None:
    if queue.full():
        queue.get_nowait()  # the panel is behind: it loses the oldest event, not the newest
    queue.put_nowait(event)


class LocalBus:
    """One process: the fan-out plus the latest event of the most recent conversations."""

    def __init__(self, max_conversations: int = 10000, fanout: Fanout | None = None) -> None:
        self._fanout = fanout if fanout is not None else Fanout()
        self._latest: OrderedDict[ConversationKey, bytes] = OrderedDict()
        self._max = max_conversations

    @property
    def watchers(self) -> int:
        return self._fanout.watchers

    async def publish(self, shop: str, conversation: str, event: bytes) -> None:
        key = (shop, conversation)
        self._latest[key] = event
        self._latest.move_to_end(key)
        while len(self._latest) > self._max:
            self._latest.popitem(last=False)
        self._fanout.deliver(shop, conversation, event)

    async def latest(self, shop: str, conversation: str) -> bytes | None:
        return self._latest.get((shop, conversation))

    async def forget_shop(self, shop: str) -> int:
        gone = [key for key in self._latest if key[0] == shop]
        for key in gone:
            del self._latest[key]
        return len(gone)

    def watch(self, shop: str, conversation: str) -> contextlib.AbstractAsyncContextManager[Queue]:
        return self._fanout.watch(shop, conversation)

    def close(self) -> None:
        self._fanout.close()


def _part(value: str) -> str:
    return value.replace(":", "%3A")


def latest_keys(shop: str, prefix: str = "huashu:") -> str:
    """The SCAN pattern of the latest events of `shop`'s conversations in Redis."""
    return f"{prefix}panel:latest:{literal(_part(shop))}:*"


class RedisBus:
    """Several replicas: PUBLISH on one channel, every replica's listener fans out locally.

    Through a `RedisLink`: while Redis is down or frozen, an event reaches this replica's panels
    directly and the latest event is kept in this process, so a webhook never waits on Redis."""

    def __init__(self, link: RedisLink, ttl_s: float, prefix: str = "huashu:", max_conversations: int = 10000) -> None:
        self._link = link
        self._redis = link.client
        self._ttl = max(1, int(ttl_s))
        self._channel = prefix + "panel:events"
        self._prefix = prefix
        self._fanout = Fanout()
        self._local = LocalBus(max_conversations, self._fanout)
        self._subscribed = asyncio.Event()

    @property
    def watchers(self) -> int:
        return self._fanout.watchers

    def _latest_key(self, shop: str, conversation: str) -> str:
        return f"{self._prefix}panel:latest:{_part(shop)}:{_part(conversation)}"

    async def publish(self, shop: str, conversation: str, event: bytes) -> None:
        envelope = json.dumps([shop, conversation], ensure_ascii=False).encode() + b"\n" + event

        async def send() -> None:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.set(self._latest_key(shop, conversation), event, ex=self._ttl)
                pipe.publish(self._channel, envelope)
                await pipe.execute()

        try:
            await self._link.run(send)
        except RedisDown:  # this replica's panels still get it
            await self._local.publish(shop, conversation, event)

    async def latest(self, shop: str, conversation: str) -> bytes | None:
        try:
            value = await self._link.run(lambda: self._redis.get(self._latest_key(shop, conversation)))
        except RedisDown:
            return await self._local.latest(shop, conversation)
        return bytes(value) if value is not None else await self._local.latest(shop, conversation)

    def watch(self, shop: str, conversation: str) -> contextlib.AbstractAsyncContextManager[Queue]:
        return self._fanout.watch(shop, conversation)

    def close(self) -> None:
        self._fanout.close()

    async def forget_shop(self, shop: str) -> int:
        """Forgotten here and in Redis (`latest_keys`, a SCAN step per call); Redis down:
        `MemoryUnreachable`, and the events there expire by their time-to-live."""
        local = await self._local.forget_shop(shop)
        steps: list[int] = []
        try:
            return await unlink_matching(self._redis, [latest_keys(shop, self._prefix)], self._link.run, steps.append)
        except RedisDown:
            left = (
                f"its panels' latest events in Redis at {self._link.where} were not forgotten ({self._link.problem}): "
                f"they expire within {self._ttl:g} s (HUASHU_CONVERSATION_TTL_S)"
            )
            raise MemoryUnreachable(max(local, sum(steps)), left) from None

    async def wait_subscribed(self) -> None:
        await self._subscribed.wait()

    async def listen(self) -> None:
        """Deliver every event published by any replica to this replica's panels (runs until
        cancelled; a lost Redis connection is retried every `retry_s` seconds, said once)."""
        subscriber = self._link.subscriber()  # blocking reads: no read timeout on this one
        try:
            await self._listen(subscriber)
        finally:
            with contextlib.suppress(Exception):
                await subscriber.aclose()

    async def _listen(self, subscriber: Any) -> None:
        said = False
        while True:
            pubsub = subscriber.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._channel)
                self._subscribed.set()
                said = False
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        self._dispatch(bytes(message["data"]))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis went away: panels stay connected, events resume
                self._subscribed.clear()
                if not said:
                    log.warning("panel bus lost redis; retrying", extra={"error": str(exc)})
                    said = True
                await asyncio.sleep(self._link.retry_s)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    def _dispatch(self, envelope: bytes) -> None:
        head, _, event = envelope.partition(b"\n")
        try:
            shop, conversation = json.loads(head)
        except (ValueError, TypeError):
            log.warning("panel bus: malformed event ignored")
            return
        self._fanout.deliver(str(shop), str(conversation), event)
