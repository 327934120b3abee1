"""Acceptance does not depend on the order Chatwoot delivers in, nor on the race with suggesting
(a user test): an agent's `outgoing` reply that arrives while the suggestions for the customer's
`incoming` message are computed, or before that message at all, is matched by time to what was
shown for it, and counted the same in the acceptance totals and the agents table."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from assistant.learning.analytics import shop_stats
from assistant.service import keys
from assistant.service.core import SuggestionService
from assistant.storage.records import ShopHistory

from ..conftest import CHATWOOT_SECRET, hold_records, make_settings
from .chatwoot_payloads import AGENT, iso, message_event, ruby_json
from .chatwoot_payloads import chatwoot_headers as headers
from .conftest import AppFactory

Client = TestClient[Any, Any]
QUESTION = "加湿器怎么清洗"


async def deliver(client: Client, event: dict[str, Any], at: dt.datetime) -> None:
    event["created_at"] = iso(at)
    body = ruby_json(event)
    response = await client.post("/v1/webhooks/chatwoot", data=body, headers=headers(CHATWOOT_SECRET, body, None))
    assert response.status == 200, await response.text()
    assert (await response.json())["accepted"] is True


async def top_suggestion(client: Client) -> dict[str, Any]:
    body = {"shop": "demo", "conversation_id": f"probe-{random.randrange(10**9)}",
            "message": {"id": "p1", "text": QUESTION, "sender": "customer"}}  # fmt: skip
    response = await client.post("/v1/suggest", json=body)
    assert response.status == 200, await response.text()
    top: dict[str, Any] = (await response.json())["suggestions"][0]
    return top


async def stats_of(client: Client, conversation: int) -> tuple[tuple[int, int, int, int], list[tuple[str, int, int]]]:
    await client.app[keys.BACKGROUND].drain()
    await client.app[keys.RECORDER].flush()
    now = dt.datetime.now(dt.UTC)
    history = await client.app[keys.STORE].history("demo", (now - dt.timedelta(days=1)).isoformat())
    mine = ShopHistory(
        [m for m in history.messages if m.conversation_id == str(conversation)],
        [s for s in history.suggestions if s.conversation_id == str(conversation)],
        outcomes=[o for o in history.outcomes if o.conversation_id == str(conversation)],
    )
    stats = shop_stats("demo", mine, {}, now.date(), now.date())
    a = stats.acceptance
    return (a.replies, a.used, a.edited, a.not_used), [(x.agent, x.replies, x.used) for x in stats.agents]


async def test_a_reply_arriving_while_its_suggestions_are_computed_is_counted(
    make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`incoming` then at once an `outgoing` with the top suggestion as is: the suggestions (and
    the customer message) are stored only after the reply arrived. Counted used."""
    client = await make_app(make_settings(learning_refresh_s=0))
    top = await top_suggestion(client)
    service: SuggestionService = client.app[keys.SERVICE]
    gate = hold_records(service, monkeypatch)  # suggesting takes its time: the reply arrives first
    conversation, base = 700000 + random.randrange(10**5), 2_000_000 + random.randrange(10**6) * 10
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    await deliver(client, message_event(base, QUESTION, conversation_id=conversation), now)
    reply = message_event(base + 1, top["text"], message_type="outgoing", sender=AGENT, conversation_id=conversation)
    await deliver(client, reply, now)  # the same second as the customer's
    await asyncio.sleep(0.05)
    gate.set()
    assert await stats_of(client, conversation) == ((1, 1, 0, 0), [("小暖", 1, 1)])


async def test_an_outgoing_delivered_before_its_incoming_is_counted(make_app: AppFactory) -> None:
    """Chatwoot does not promise delivery order: the reply (id 2006) comes before the customer
    message it answers (id 2005, a few seconds earlier). Counted used."""
    client = await make_app(make_settings(learning_refresh_s=0))
    top = await top_suggestion(client)
    conversation, base = 800000 + random.randrange(10**5), 2_000_000 + random.randrange(10**6) * 10
    now = dt.datetime.now(dt.UTC)
    reply = message_event(base + 6, top["text"], message_type="outgoing", sender=AGENT, conversation_id=conversation)
    await deliver(client, reply, now - dt.timedelta(seconds=5))
    asked = message_event(base + 5, QUESTION, conversation_id=conversation)
    await deliver(client, asked, now - dt.timedelta(seconds=9))
    assert await stats_of(client, conversation) == ((1, 1, 0, 0), [("小暖", 1, 1)])
