"""A restart forgets no live conversation: the memory recalls a conversation it has no turns for
from the record store (the real SQLite file), within its time-to-live and bound."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from assistant.retrieval.types import Turn
from assistant.service import keys, shared_state
from assistant.service.conversation_recall import RecallingConversations
from assistant.service.conversations import ConversationMemory
from assistant.storage import open_store
from assistant.storage.records import MessageRecord, iso
from tests.conftest import REDIS_URL

from .conftest import ClientFactory, make_settings
from .helpers import suggest_body

COMPLAINT = "都三天了还没发货！！！再不发我就给差评"
FOLLOW_UP = "那你们打算怎么处理"


async def post(client: TestClient[Any, Any], text: str, conversation: str, message_id: str) -> dict[str, Any]:
    response = await client.post(
        "/v1/suggest", json=suggest_body(text, conversation_id=conversation, message_id=message_id)
    )
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def test_after_a_restart_a_follow_up_still_has_the_earlier_turns(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    settings = make_settings(database_url=f"sqlite:///{tmp_path / 'huashu.db'}")
    conversation = f"c-{uuid.uuid4().hex[:8]}"
    before = await make_client(settings)
    await post(before, COMPLAINT, conversation, "m-1")
    agent = suggest_body("亲，非常抱歉，我马上帮您查一下", conversation_id=conversation, message_id="m-2")
    agent["message"]["sender"] = "agent"
    assert (await before.post("/v1/suggest", json=agent)).status == 200
    await before.close()

    after = await make_client(settings)
    answered = await post(after, FOLLOW_UP, conversation, "m-3")
    alone = await post(after, FOLLOW_UP, f"{conversation}-new", "m-1")
    turns = await after.app[keys.MEMORY].turns(("demo", conversation))
    assert answered["emotion"]["escalate"] and "carried_anger" in answered["emotion"]["escalation_reasons"]
    assert not alone["emotion"]["escalate"]  # the same words without the earlier turns
    assert [(t.role, t.text) for t in turns] == [
        ("customer", COMPLAINT),
        ("agent", "亲，非常抱歉，我马上帮您查一下"),
        ("customer", FOLLOW_UP),
    ]


def said(conversation: str, n: int, role: str, text: str, at: float) -> MessageRecord:
    return MessageRecord("api", "demo", conversation, f"old-{n}", role, text, iso(at), iso(at))


async def test_a_conversation_past_the_time_to_live_stays_forgotten_and_a_live_one_is_bounded(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'huashu.db'}"
    store = open_store(url)
    await store.open()
    now = time.time()
    await store.write(
        [
            said("stale", 1, "customer", COMPLAINT, now - 2400),  # 40 minutes ago: past the half hour
            *(said("long", n, "customer" if n % 2 else "agent", f"第{n}句", now - 600 + n) for n in range(20)),
            said("gap", 1, "customer", COMPLAINT, now - 4000),  # then silent for more than the half hour
            said("gap", 2, "customer", "在吗", now - 1000),
            said("gap", 3, "bot", "您好，人工客服马上就来", now - 60),  # a bot's message: the agent's side
        ]
    )
    await store.close()
    client = await make_client(make_settings(database_url=url, conversation_ttl_s=1800.0, conversation_turns=12))
    memory = client.app[keys.MEMORY]

    answered = await post(client, FOLLOW_UP, "stale", "m-1")
    assert not answered["emotion"]["escalate"]
    assert [t.text for t in await memory.turns(("demo", "stale"))] == [FOLLOW_UP]
    assert [t.text for t in await memory.turns(("demo", "long"))] == [f"第{n}句" for n in range(8, 20)]
    recalled = await memory.turns(("demo", "gap"))
    assert [(t.role, t.text) for t in recalled] == [("customer", "在吗"), ("agent", "您好，人工客服马上就来")]


async def test_a_turn_already_recorded_is_not_added_twice(tmp_path: Path) -> None:
    """The panel's send records the agent's reply; the platform's echo of it then adds the turn
    to a conversation the memory had forgotten: the recalled turns end with it already."""
    store = open_store(f"sqlite:///{tmp_path / 'huashu.db'}")
    await store.open()
    now = time.time()
    await store.write([said("echo", 1, "customer", COMPLAINT, now - 30), said("echo", 2, "agent", "马上处理", now - 5)])
    memory = RecallingConversations(ConversationMemory(10, 1800.0, 12), store, 1800.0, 12)
    await memory.add(("demo", "echo"), Turn("agent", "马上处理"))
    await memory.add(("demo", "echo"), Turn("customer", FOLLOW_UP))
    assert [t.text for t in await memory.turns(("demo", "echo"))] == [COMPLAINT, "马上处理", FOLLOW_UP]
    assert await memory.turns(("demo", "none")) == ()
    await store.close()


async def test_with_redis_a_conversation_redis_lost_is_recalled_from_the_store(
    make_client: ClientFactory, tmp_path: Path
) -> None:
    """Redis restarted without its data (or evicted the list): the store still has the turns."""
    settings = make_settings(database_url=f"sqlite:///{tmp_path / 'huashu.db'}", redis_url=REDIS_URL)
    client = await make_client(settings)
    conversation = f"lost-{uuid.uuid4().hex[:8]}"
    await post(client, COMPLAINT, conversation, "m-1")
    redis = await shared_state.connect(REDIS_URL)
    try:
        assert await redis.delete(f"huashu:turns:demo:{conversation}") == 1
        answered = await post(client, FOLLOW_UP, conversation, "m-2")
        assert answered["emotion"]["escalate"] and "carried_anger" in answered["emotion"]["escalation_reasons"]
        assert await redis.llen(f"huashu:turns:demo:{conversation}") == 2
    finally:
        await redis.aclose()
