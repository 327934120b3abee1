"""Acceptance stored when the agent's real reply arrives (issue 9): the reply is matched to the
suggestions shown for the customer's last message (used / edited / not used) and the outcome is
stored beside the feedback, on SQLite and PostgreSQL, through the real app and model; the
analytics read the stored outcome."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from assistant.learning.analytics import reply_outcomes, shop_stats
from assistant.service import keys
from assistant.storage.records import ShopHistory
from tests.conftest import POSTGRES_URL

from .conftest import WEBHOOK_SECRET, ClientFactory, hold_records, make_settings
from .helpers import dumps, signed_headers, suggest_body


def database(backend: str, tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'records.db'}" if backend == "sqlite" else POSTGRES_URL


async def customer(
    client: TestClient[Any, Any], conversation: str, message_id: str, text: str, headers: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    response = await client.post(
        "/v1/suggest", json=suggest_body(text, conversation_id=conversation, message_id=message_id), headers=headers
    )
    assert response.status == 200, await response.text()
    suggestions: list[dict[str, Any]] = (await response.json())["suggestions"]
    return suggestions


async def agent(
    client: TestClient[Any, Any], conversation: str, message_id: str, text: str, headers: dict[str, str] | None = None
) -> None:
    body = {
        "conversation_id": conversation,
        "message": {"id": message_id, "text": text, "sender": "agent"},
    }
    response = await client.post("/v1/suggest", json=body, headers=headers)
    assert response.status == 200, await response.text()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_each_agent_reply_stores_its_outcome(make_client: ClientFactory, tmp_path: Path, backend: str) -> None:
    # no live learning: the shared PostgreSQL database keeps earlier runs' replies, which the
    # learner would offer as quick replies (one would match the edited reply below exactly)
    client = await make_client(make_settings(database_url=database(backend, tmp_path), learning_refresh_s=0))
    store = client.app[keys.STORE]
    # an agent token of its own: a shared PostgreSQL database may hold other tests' tokens, and
    # with any token in the store open access ends
    if await store.shop("demo") is None:  # the app serves the session's snapshot; tokens need the shop row
        await store.create_shop("demo", "demo")
    _, token = await store.create_token("demo", "agent")
    auth = {"Authorization": f"Bearer {token}"}
    conversation = f"c-{uuid.uuid4().hex}"
    shown = await customer(client, conversation, "m1", "快递几天能到", auth)
    await agent(client, conversation, "a1", shown[1]["text"], auth)  # the second suggestion, as is
    shown2 = await customer(client, conversation, "m2", "可以开发票吗", auth)
    edited = shown2[0]["text"][: len(shown2[0]["text"]) * 2 // 3] + "，有问题随时找我哦"
    await agent(client, conversation, "a2", edited, auth)
    await customer(client, conversation, "m3", "退货运费谁出", auth)
    await agent(client, conversation, "a3", "亲，我帮您转给售后同事处理一下", auth)
    await agent(client, conversation, "a4", "[图片]", auth)  # still the suggestions of m3

    used, changed, ignored, other = await store.outcomes("demo", conversation)
    assert (used.message_id, used.customer_message_id, used.outcome) == ("a1", "m1", "used")
    assert used.entry_id == shown[1]["entry_id"] and used.similarity == 1.0
    assert [s["entry_id"] for s in used.shown] == [s["entry_id"] for s in shown]
    assert [s["rank"] for s in used.shown] == list(range(1, len(shown) + 1))
    assert used.shown[1]["similarity"] == 1.0 and used.shown[0]["similarity"] < 1.0
    assert (changed.customer_message_id, changed.outcome, changed.entry_id) == ("m2", "edited", shown2[0]["entry_id"])
    assert 0.5 <= changed.similarity < 0.95
    assert (ignored.customer_message_id, ignored.outcome, ignored.entry_id) == ("m3", "not_used", "")
    assert (other.message_id, other.customer_message_id) == ("a4", "m3")

    # The analytics count the stored outcomes (no entry text is needed to read them).
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat()
    history = await store.history("demo", since)
    counted = [o for o in reply_outcomes(history, {}) if o.conversation_id == conversation]
    assert [(o.message_id, str(o.outcome)) for o in counted] == [
        ("a1", "used"),
        ("a2", "edited"),
        ("a3", "not_used"),
        ("a4", "not_used"),
    ]


async def test_a_reply_with_nothing_shown_before_it_has_no_outcome(make_client: ClientFactory) -> None:
    client = await make_client()
    await agent(client, "quiet", "a1", "亲，在的呢")
    assert await client.app[keys.STORE].outcomes("demo", "quiet") == []
    assert [m.role for m in await client.app[keys.STORE].messages("demo", "quiet")] == ["agent"]


async def generic(client: TestClient[Any, Any], body: dict[str, Any]) -> dict[str, Any]:
    data = dumps(body)
    response = await client.post("/v1/webhooks/generic", data=data, headers=signed_headers(WEBHOOK_SECRET, data))
    assert response.status == 200, await response.text()
    answer: dict[str, Any] = await response.json()
    return answer


async def test_an_agent_reply_delivered_before_the_customer_message_counts_by_its_time(
    make_client: ClientFactory,
) -> None:
    """Out-of-order delivery: the generic webhook brings the agent's reply (its own time now − 5 s)
    before the customer message it answers (now − 30 s). Nothing was shown when the reply
    arrived; the analytics match it by time once the customer message's suggestions are
    recorded: used, and the agents table counts the same reply."""
    client = await make_client(make_settings(learning_refresh_s=0))
    store = client.app[keys.STORE]
    top = (await generic(client, suggest_body("加湿器怎么清洗", conversation_id=f"probe-{uuid.uuid4().hex}")))[
        "suggestions"
    ][0]
    conversation = f"c-{uuid.uuid4().hex}"
    now = dt.datetime.now(dt.UTC)
    reply = {
        "shop": "demo",
        "conversation_id": conversation,
        "message": {
            "id": "a1", "text": top["text"], "sender": "agent", "time": (now - dt.timedelta(seconds=5)).isoformat(),
            "agent_id": "7", "agent_name": "小周",
        },
    }  # fmt: skip
    await generic(client, reply)
    asked = suggest_body("加湿器怎么清洗", conversation_id=conversation, message_id="m1")
    asked["message"]["time"] = (now - dt.timedelta(seconds=30)).isoformat()
    shown = (await generic(client, asked))["suggestions"]
    assert shown[0]["entry_id"] == top["entry_id"]

    since = (now - dt.timedelta(days=1)).isoformat()
    history = await store.history("demo", since)
    counted = [o for o in reply_outcomes(history, {}) if o.conversation_id == conversation]
    assert [(o.message_id, str(o.outcome), o.entry_id) for o in counted] == [("a1", "used", top["entry_id"])]
    mine = ShopHistory(
        [m for m in history.messages if m.conversation_id == conversation],
        [s for s in history.suggestions if s.conversation_id == conversation],
        outcomes=[o for o in history.outcomes if o.conversation_id == conversation],
    )
    stats = shop_stats("demo", mine, {}, now.date(), now.date())
    assert (stats.acceptance.replies, stats.acceptance.used) == (1, 1)
    assert [(a.agent, a.replies, a.used) for a in stats.agents] == [("小周", 1, 1)]


async def test_an_agent_reply_arriving_while_suggesting_is_matched_to_that_message(
    make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race with suggesting, no platform times (`/v1/suggest` without `message.time`): the
    agent's reply arrives while the suggestions for the customer message are computed, so the
    customer message is stored after it; it is recorded as received when it arrived, and the
    reply counts as an answer to it."""
    client = await make_client(make_settings(learning_refresh_s=0))
    store = client.app[keys.STORE]
    top = (await customer(client, f"probe-{uuid.uuid4().hex}", "p1", "加湿器怎么清洗"))[0]
    service = client.app[keys.SERVICE]
    gate = hold_records(service, monkeypatch)  # suggesting takes its time: the reply arrives first
    conversation = f"c-{uuid.uuid4().hex}"
    asking = asyncio.create_task(customer(client, conversation, "m1", "加湿器怎么清洗"))
    await asyncio.sleep(0.3)  # the customer message is being suggested for
    await agent(client, conversation, "a1", top["text"])
    gate.set()
    assert (await asking)[0]["entry_id"] == top["entry_id"]

    since = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).isoformat()
    counted = [o for o in reply_outcomes(await store.history("demo", since), {}) if o.conversation_id == conversation]
    assert [(o.message_id, str(o.outcome), o.entry_id) for o in counted] == [("a1", "used", top["entry_id"])]
