"""Conversation memory and delivery dedup in Redis, shared by every worker of the service.

On promotion days one process is not enough: two workers (one model thread each) behind a load
balancer nearly double throughput, but then a conversation's turns and a retried Chatwoot
delivery may land on either. With `HUASHU_REDIS_URL` set, both live in Redis:

* turns: a list per conversation, `{prefix}turns:{shop}:{conversation}`, capped at the last
  `max_turns` and expiring after `ttl_s` of silence (one MULTI: RPUSH, LTRIM, EXPIRE); a
  conversation recalled from the record store is seeded by one script, only when it has no list;
  a deleted shop's lists are found by SCAN on its own key prefix, `{prefix}turns:{shop}:*`, a step
  at a time (never KEYS, which blocks a big server while it walks every key), and unlinked;
* deliveries: one key per delivery id or message id, `SET NX EX` with a short lease while it is
  handled (exactly one worker handles each), then the full time-to-live once handled, or deleted
  when handling failed so the retry is handled.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from assistant.retrieval.types import Turn
from assistant.service.conversations import SHOP_KEYED, ConversationKey, DeliveryKey


def _part(value: str) -> str:
    return value.replace(":", "%3A")


_GLOB = re.compile(r"([\\*?\[\]])")


def literal(value: str) -> str:
    """`value` matched as itself by a SCAN pattern (its glob characters escaped)."""
    return _GLOB.sub(r"\\\1", value)


SCAN_COUNT = 1000
"""Keys a SCAN step looks at: a step takes well under a millisecond, far within a call's timeout."""


def _turns(raw: Sequence[bytes | str]) -> tuple[Turn, ...]:
    out = []
    for item in raw:
        value = json.loads(item)
        out.append(Turn("agent" if value["role"] == "agent" else "customer", str(value["text"])))
    return tuple(out)


# Seed a conversation's list only when it has none, in one step (two workers may seed at once).
_SEED = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('RPUSH', KEYS[1], unpack(ARGV, 3))
  redis.call('LTRIM', KEYS[1], -tonumber(ARGV[1]), -1)
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return redis.call('LRANGE', KEYS[1], 0, -1)
"""


StepRunner = Callable[[Callable[[], Awaitable[tuple[int, int]]]], Awaitable[tuple[int, int]]]
"""Runs one step of forgetting a shop (`RedisLink.run`)."""


async def unlink_some(redis: Any, match: str, cursor: int = 0) -> tuple[int, int]:
    """One step of forgetting the keys matching `match`: a SCAN from `cursor`, and an UNLINK of the
    keys it found; (the next cursor, 0 once the scan is done; keys removed)."""
    after, names = await redis.scan(cursor=cursor, match=match, count=SCAN_COUNT)
    removed = await redis.unlink(*names) if names else 0
    return int(after), int(removed)


async def unlink_matching(
    redis: Any, matches: Sequence[str], run: StepRunner | None = None, counted: Callable[[int], None] | None = None
) -> int:
    """Every key matching one of the SCAN patterns `matches` removed, an `unlink_some` step at a
    time, each through `run` when given (`RedisLink.run`: every step within the link's timeout);
    how many. `counted` hears each step's count, so a caller whose Redis fails midway knows how
    many went."""
    forgotten = 0
    for match in matches:
        cursor = -1
        while cursor != 0:
            step = functools.partial(unlink_some, redis, match, max(cursor, 0))
            cursor, removed = await (run(step) if run is not None else step())
            forgotten += removed
            if counted is not None:
                counted(removed)
    return forgotten


class RedisConversations:
    """`Conversations` in Redis lists; bounded per conversation and in time."""

    def __init__(self, client: Any, ttl_s: float, max_turns: int, prefix: str = "huashu:") -> None:
        self._redis = client
        self._ttl = max(1, int(ttl_s))
        self._max_turns = max_turns
        self._prefix = prefix

    def _key(self, key: ConversationKey) -> str:
        shop, conversation = key
        return f"{self._prefix}turns:{_part(shop)}:{_part(conversation)}"

    async def turns(self, key: ConversationKey) -> tuple[Turn, ...]:
        return _turns(await self._redis.lrange(self._key(key), 0, -1))

    async def add(self, key: ConversationKey, turn: Turn) -> None:
        name = self._key(key)
        item = json.dumps({"role": turn.role, "text": turn.text}, ensure_ascii=False)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(name, item)
            pipe.ltrim(name, -self._max_turns, -1)
            pipe.expire(name, self._ttl)
            await pipe.execute()

    async def seed(self, key: ConversationKey, turns: Sequence[Turn], silent_s: float = 0.0) -> tuple[Turn, ...]:
        if not turns:
            return await self.turns(key)
        items = [json.dumps({"role": t.role, "text": t.text}, ensure_ascii=False) for t in turns]
        expires = max(1, int(self._ttl - max(0.0, silent_s)))
        raw = await self._redis.eval(_SEED, 1, self._key(key), self._max_turns, expires, *items)
        return _turns(raw)

    def shop_keys(self, shop: str) -> str:
        """The SCAN pattern of `shop`'s lists."""
        return f"{self._prefix}turns:{literal(_part(shop))}:*"

    async def forget_some(self, shop: str, cursor: int = 0) -> tuple[int, int]:
        """One step of forgetting `shop`: a SCAN from `cursor` over the shop's key prefix, and an
        UNLINK of the lists it found; (the next cursor, 0 once the scan is done; lists removed)."""
        return await unlink_some(self._redis, self.shop_keys(shop), cursor)

    async def forget_shop(
        self, shop: str, run: StepRunner | None = None, counted: Callable[[int], None] | None = None
    ) -> int:
        """Every list of `shop` removed (`unlink_matching`); how many."""
        return await unlink_matching(self._redis, [self.shop_keys(shop)], run, counted)

    def left(self, where: str, problem: str, some: bool = False) -> str:
        """What is said of a shop's conversations that Redis at `where` still holds (`some`: after
        part of them were forgotten)."""
        which = "were not all forgotten" if some else "were not forgotten"
        rest = "the rest expire" if some else "they expire"
        return (
            f"its conversations in Redis at {where} {which} ({problem}): {rest} within {self._ttl:g} s "
            "(HUASHU_CONVERSATION_TTL_S)"
        )


class RedisDeliveries:
    """`Deliveries` as Redis keys set only if absent, each expiring after `ttl_s`."""

    def __init__(self, client: Any, ttl_s: float = 86400.0, prefix: str = "huashu:") -> None:
        self._redis = client
        self._ttl = max(1, int(ttl_s))
        self._prefix = prefix

    def _name(self, key: DeliveryKey) -> str:
        return self._prefix + "seen:" + ":".join(_part(k) for k in key)

    def shop_keys(self, shop: str) -> list[str]:
        """The SCAN patterns of the deliveries `shop` was named in (`SHOP_KEYED`)."""
        return [f"{self._prefix}seen:{literal(_part(platform))}:{literal(_part(shop))}:*" for platform in SHOP_KEYED]

    async def forget_shop(
        self, shop: str, run: StepRunner | None = None, counted: Callable[[int], None] | None = None
    ) -> int:
        """Every delivery `shop` was named in forgotten (`unlink_matching`): a shop made again under
        its id has its first messages handled, not refused as repeats (a user test); how many."""
        return await unlink_matching(self._redis, self.shop_keys(shop), run, counted)

    def left(self, where: str, problem: str) -> str:
        """What is said of a deleted shop's deliveries that Redis at `where` still holds."""
        return (
            f"its deliveries seen in Redis at {where} were not forgotten ({problem}): a shop made again under its id "
            f"has those message ids refused as repeats until they expire within {self._ttl:g} s"
        )

    async def first_time(self, *keys: DeliveryKey) -> bool:
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in keys:
                pipe.set(self._name(key), 1, nx=True, ex=self._ttl)
            created = await pipe.execute()
        return all(bool(c) for c in created)

    async def claim(self, *keys: DeliveryKey, lease_s: float = 120.0) -> bool:
        lease = max(1, min(int(lease_s), self._ttl))
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in keys:
                pipe.set(self._name(key), 1, nx=True, ex=lease)
            created = await pipe.execute()
        if all(bool(c) for c in created):
            return True
        taken = [self._name(key) for key, c in zip(keys, created, strict=True) if c]
        if taken:  # give back what this call took: another holder has the rest
            await self._redis.delete(*taken)
        return False

    async def settle(self, *keys: DeliveryKey) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            for key in keys:
                pipe.set(self._name(key), 1, ex=self._ttl)
            await pipe.execute()

    async def release(self, *keys: DeliveryKey) -> None:
        if keys:
            await self._redis.delete(*(self._name(key) for key in keys))


async def connect(url: str) -> Any:
    """A Redis client for `url`, checked with a PING (raises `ConnectionError` when unreachable)."""
    import redis.asyncio as redis

    client = redis.from_url(url)
    try:
        await client.ping()
    except Exception:
        await client.aclose()
        raise
    return client
