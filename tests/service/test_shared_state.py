"""Conversation memory and delivery dedup: one contract for the in-process and Redis versions,
and two workers sharing one Redis (real server on 127.0.0.1:6379)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from assistant.retrieval.types import Turn
from assistant.service import keys, shared_state
from assistant.service.conversations import ConversationMemory, Conversations, Deliveries, SeenSet
from assistant.service.fallback_state import FallbackConversations
from assistant.service.redis_link import RedisDown
from assistant.suggest.shop_deletion import MemoryUnreachable
from tests.conftest import REDIS_URL

from .conftest import ClientFactory, make_settings
from .helpers import suggest_body
from .test_webhooks import chatwoot_event, deliver


@pytest_asyncio.fixture(loop_scope="session")
async def redis_client() -> AsyncIterator[Any]:
    try:
        client = await shared_state.connect(REDIS_URL)
    except Exception as exc:  # no server on this machine: say so
        pytest.fail(f"Redis not reachable (start it; CI needs it) at {REDIS_URL}: {exc}")
    yield client
    await client.aclose()


@pytest_asyncio.fixture(loop_scope="session", params=["memory", "redis"])
async def state(request: pytest.FixtureRequest) -> AsyncIterator[tuple[Conversations, Deliveries]]:
    if request.param == "memory":
        yield ConversationMemory(100, 3600, 3), SeenSet(100)
        return
    try:
        client = await shared_state.connect(REDIS_URL)
    except Exception as exc:  # no server on this machine: say so
        pytest.fail(f"Redis not reachable (start it; CI needs it) at {REDIS_URL}: {exc}")
    prefix = f"huashu-test-{uuid.uuid4()}:"
    yield (
        shared_state.RedisConversations(client, ttl_s=3600, max_turns=3, prefix=prefix),
        shared_state.RedisDeliveries(client, prefix=prefix),
    )
    async for key in client.scan_iter(match=prefix + "*"):
        await client.delete(key)
    await client.aclose()


async def test_turns_are_kept_in_order_and_capped(state: tuple[Conversations, Deliveries]) -> None:
    memory, _ = state
    key = ("demo", "c:1")  # a colon inside an id must not collide with another conversation
    for i, role in enumerate(["customer", "agent", "customer", "agent"]):
        await memory.add(key, Turn(role, f"第{i}句"))  # type: ignore[arg-type]
    assert [t.text for t in await memory.turns(key)] == ["第1句", "第2句", "第3句"]
    assert (await memory.turns(key))[0].role == "agent"
    assert await memory.turns(("demo", "c")) == ()
    assert await memory.turns(("other-shop", "c:1")) == ()


async def test_a_seed_fills_only_a_conversation_without_turns(state: tuple[Conversations, Deliveries]) -> None:
    memory, _ = state
    key = ("demo", f"seeded-{uuid.uuid4()}")
    recalled = [Turn("customer", "第0句"), Turn("agent", "第1句"), Turn("customer", "第2句"), Turn("agent", "第3句")]
    assert [t.text for t in await memory.seed(key, recalled, silent_s=60)] == ["第1句", "第2句", "第3句"]
    assert [t.text for t in await memory.seed(key, [Turn("customer", "另一个请求的")])] == ["第1句", "第2句", "第3句"]
    await memory.add(key, Turn("customer", "第4句"))
    assert [t.text for t in await memory.turns(key)] == ["第2句", "第3句", "第4句"]


async def test_forgetting_a_shop_forgets_its_conversations_only(state: tuple[Conversations, Deliveries]) -> None:
    """A deleted shop's conversations go with it (they stayed in Redis until their time-to-live);
    a shop whose id begins another's (`tea`, `tea-2`) keeps its own."""
    memory, _ = state
    gone = [("tea", f"c:{n}") for n in range(5)]
    kept = [("tea-2", "c:0"), ("demo", "tea"), ("demo", "tea:c:0")]
    for key in gone + kept:
        await memory.add(key, Turn("customer", "在吗"))
    assert await memory.forget_shop("tea") == 5
    assert [await memory.turns(key) for key in gone] == [()] * 5
    assert [await memory.turns(key) for key in kept] == [(Turn("customer", "在吗"),)] * 3
    assert await memory.forget_shop("tea") == 0


async def test_a_shop_is_forgotten_from_redis_in_scan_steps(redis_client: Any) -> None:
    """Thousands of conversations of one shop: found a step at a time with SCAN on the shop's own
    key prefix (never KEYS, which blocks a big server), each step well within a call's timeout."""
    prefix = f"huashu-test-{uuid.uuid4()}:"
    memory = shared_state.RedisConversations(redis_client, ttl_s=3600, max_turns=3, prefix=prefix)
    async with redis_client.pipeline(transaction=False) as pipe:
        for n in range(2500):
            pipe.rpush(f"{prefix}turns:big:{n}", "{}")
        pipe.rpush(f"{prefix}turns:big-other:0", "{}")
        await pipe.execute()
    steps = []
    cursor: int | None = None
    while cursor != 0:
        cursor, forgotten = await memory.forget_some("big", cursor or 0)
        steps.append(forgotten)
    assert sum(steps) == 2500 and len(steps) > 1, steps
    assert [key async for key in redis_client.scan_iter(match=prefix + "*")] == [f"{prefix}turns:big-other:0".encode()]
    await redis_client.delete(f"{prefix}turns:big-other:0")


class _FailsAfter:
    """A `RedisLink` whose Redis stops answering after `steps` calls (a real client underneath)."""

    where = "127.0.0.1:6379/0"

    def __init__(self, steps: int) -> None:
        self.steps = steps
        self.problem = ""

    async def run(self, call: Any) -> Any:
        if self.steps == 0:
            self.problem = "ConnectionError: gone midway"
            raise RedisDown(self.problem)
        self.steps -= 1
        return await call()


async def test_redis_failing_midway_through_forgetting_a_shop_says_how_many_went(redis_client: Any) -> None:
    """Second reading: Redis failing after some SCAN steps reported only the conversations this
    process forgot, and said none were forgotten in Redis. The steps done count, and the rest are
    said to expire."""
    prefix = f"huashu-test-{uuid.uuid4()}:"
    shared = shared_state.RedisConversations(redis_client, ttl_s=3600, max_turns=3, prefix=prefix)
    async with redis_client.pipeline(transaction=False) as pipe:
        for n in range(2500):
            pipe.rpush(f"{prefix}turns:big:{n}", "{}")
        await pipe.execute()
    local = ConversationMemory(max_conversations=100, ttl_s=3600, max_turns=3)
    memory = FallbackConversations(_FailsAfter(1), shared, local)  # type: ignore[arg-type]
    with pytest.raises(MemoryUnreachable) as caught:
        await memory.forget_shop("big")
    left = [key async for key in redis_client.scan_iter(match=prefix + "*")]
    assert caught.value.forgotten == 2500 - len(left) > 0 and left, caught.value.forgotten
    assert "were not all forgotten (ConnectionError: gone midway): the rest expire within 3600 s" in caught.value.left
    await redis_client.delete(*left)


async def test_a_delivery_is_handled_once(state: tuple[Conversations, Deliveries]) -> None:
    _, deliveries = state
    assert await deliveries.first_time(("delivery", "d1"), ("message", "1", "7"))
    assert not await deliveries.first_time(("delivery", "d1"))
    assert not await deliveries.first_time(("delivery", "d2"), ("message", "1", "7"))  # same message, new id
    assert await deliveries.first_time(("delivery", "d3"))


async def test_two_workers_share_conversations_and_deduplicate_together(
    make_client: ClientFactory, redis_client: Any
) -> None:
    """What a load balancer does on a promotion day: turns of one conversation and retries of
    one Chatwoot delivery land on different workers."""
    settings = make_settings(redis_url=REDIS_URL)
    first, second = await make_client(settings), await make_client(settings)
    conversation = f"shared-{uuid.uuid4()}"
    body = suggest_body("新疆能发货吗，运费多少", conversation_id=conversation, message_id="1")
    assert (await first.post("/v1/suggest", json=body)).status == 200
    body = suggest_body("那西藏呢", conversation_id=conversation, message_id="2")
    assert (await second.post("/v1/suggest", json=body)).status == 200
    turns = await second.app[keys.MEMORY].turns(("demo", conversation))
    assert [t.text for t in turns] == ["新疆能发货吗，运费多少", "那西藏呢"]

    event = chatwoot_event(id=int(uuid.uuid4().int % 10**9), message_type="outgoing", content="亲，马上为您查询～")
    delivery = str(uuid.uuid4())
    assert (await deliver(first, event, delivery))["accepted"] is True
    assert (await deliver(second, event, delivery))["reason"] == "duplicate delivery"
