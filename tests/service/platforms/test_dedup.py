"""A delivery is seen only once it was handled: retries of a handled one are dropped, retries of
a failed one are handled. In this process and in Redis; for Chatwoot and the generic webhook."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from assistant.service import keys, shared_state
from assistant.service.conversations import Deliveries, SeenSet
from tests.conftest import REDIS_URL

from ..conftest import CHATWOOT_SECRET, WEBHOOK_SECRET, make_settings
from ..helpers import dumps, signed_headers, suggest_body
from .chatwoot_payloads import FIXTURE_MESSAGE, chatwoot_headers, message_event, ruby_json
from .conftest import AppFactory


@pytest_asyncio.fixture(loop_scope="session", params=["memory", "redis"])
async def deliveries(request: pytest.FixtureRequest) -> AsyncIterator[Deliveries]:
    if request.param == "memory":
        yield SeenSet(100)
        return
    try:
        client = await shared_state.connect(REDIS_URL)
    except Exception as exc:
        pytest.fail(f"Redis not reachable (start it; CI needs it) at {REDIS_URL}: {exc}")
    prefix = f"huashu-test-{uuid.uuid4()}:"
    yield shared_state.RedisDeliveries(client, prefix=prefix)
    async for key in client.scan_iter(match=prefix + "*"):
        await client.delete(key)
    await client.aclose()


async def test_claim_settle_release(deliveries: Deliveries) -> None:
    delivery, message = ("delivery", "d1"), ("message", "1", "7")
    assert await deliveries.claim(delivery, message)
    assert not await deliveries.claim(delivery)  # held while it is handled
    assert not await deliveries.claim(("delivery", "d2"), message)  # the same message under a new id
    await deliveries.release(delivery, message)  # handling failed
    assert await deliveries.claim(delivery, message)  # so the retry is handled
    await deliveries.settle(delivery, message)
    assert not await deliveries.claim(delivery)
    assert not await deliveries.claim(("delivery", "d3"), message)
    assert await deliveries.claim(("delivery", "d3"))  # a refused claim took nothing


async def test_a_claim_lease_runs_out() -> None:
    now = [0.0]
    seen = SeenSet(100, ttl_s=3600, clock=lambda: now[0])
    assert await seen.claim(("delivery", "d1"), lease_s=60)
    now[0] = 61.0  # the worker died while handling it
    assert await seen.claim(("delivery", "d1"), lease_s=60)
    await seen.settle(("delivery", "d1"))
    now[0] = 3000.0
    assert not await seen.claim(("delivery", "d1"))


async def test_the_generic_webhook_ranks_and_stores_a_message_once(make_app: AppFactory) -> None:
    client = await make_app(make_settings())
    body = dumps(suggest_body("快递几天能到", conversation_id="gen-dedup", message_id="m-1"))
    statuses = []
    for _ in range(3):
        response = await client.post("/v1/webhooks/generic", data=body, headers=signed_headers(WEBHOOK_SECRET, body))
        statuses.append(response.status)
        if response.status == 409:
            error = (await response.json())["errors"][0]
            assert error["field"] == "message.id"
    assert statuses == [200, 409, 409]
    await client.app[keys.RECORDER].flush()
    store = client.app[keys.STORE]
    assert [r.message_id for r in await store.messages("demo", "gen-dedup")] == ["m-1"]
    assert len(await store.suggestions("demo", "gen-dedup")) == 5


async def test_a_failed_generic_delivery_can_be_retried(make_app: AppFactory, tmp_path: Path) -> None:
    settings = make_settings(index_dir=tmp_path / "none", knowledge_dir=tmp_path / "none")
    client = await make_app(settings, with_ranker=False)
    body = dumps(suggest_body("快递几天能到", conversation_id="gen-fail", message_id="m-1"))
    for _ in range(2):  # no shop yet: 404, and the retry is tried again rather than called a duplicate
        response = await client.post("/v1/webhooks/generic", data=body, headers=signed_headers(WEBHOOK_SECRET, body))
        assert response.status == 404, await response.text()


async def test_a_failed_chatwoot_delivery_can_be_retried(make_app: AppFactory) -> None:
    client = await make_app(make_settings(max_text_chars=20, max_reply_chars=20))
    event = message_event(140, "我想问一下" * 10, conversation_id=40)
    body = ruby_json(event)
    for _ in range(2):  # 413 both times: the first failure did not mark the delivery seen
        headers = chatwoot_headers(CHATWOOT_SECRET, body, delivery="retry-413")
        response = await client.post("/v1/webhooks/chatwoot", data=body, headers=headers)
        assert response.status == 413, await response.text()
        assert (await response.json())["errors"][0]["field"] == "content"


async def test_an_absurd_created_at_is_no_server_error(make_app: AppFactory) -> None:
    client = await make_app(make_settings())
    event: dict[str, Any] = message_event(141, "快递几天能到啊", message_type="outgoing", conversation_id=41)
    event["created_at"] = 10**15
    body = ruby_json(event)
    response = await client.post("/v1/webhooks/chatwoot", data=body, headers=chatwoot_headers(CHATWOOT_SECRET, body))
    assert response.status == 200 and (await response.json())["reason"] == "agent reply recorded"


def test_the_fixture_file_is_what_the_builder_writes() -> None:
    fixture = Path(__file__).parents[1] / "fixtures" / "chatwoot_message_created.json"
    assert fixture.read_bytes() == ruby_json(FIXTURE_MESSAGE) + b"\n"
