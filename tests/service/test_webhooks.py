"""The generic signed webhook and Chatwoot's `message_created` events."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from assistant.service import keys
from assistant.service.platforms.chatwoot.note import NOTE_MARK

from .conftest import CHATWOOT_SECRET, WEBHOOK_SECRET, ClientFactory, make_settings
from .helpers import dumps, signed_headers, suggest_body

FIXTURE = Path(__file__).parent / "fixtures" / "chatwoot_message_created.json"
TOKEN = "chatwoot-api-token"


def chatwoot_event(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    event.update(changes)
    return event


# --- generic webhook -------------------------------------------------------------------------


async def test_generic_webhook_with_a_good_signature(client: TestClient[Any, Any]) -> None:
    body = dumps(suggest_body("快递几天能到", conversation_id="gen-1"))
    response = await client.post("/v1/webhooks/generic", data=body, headers=signed_headers(WEBHOOK_SECRET, body))
    assert response.status == 200, await response.text()
    assert "shipping" in (await response.json())["suggestions"][0]["tags"]


@pytest.mark.parametrize(
    ("mangle", "field"),
    [
        (lambda h: h.update({"X-Huashu-Signature": "sha256=" + "0" * 64}), "X-Huashu-Signature"),
        (lambda h: h.pop("X-Huashu-Signature"), "X-Huashu-Signature"),
        (lambda h: h.pop("X-Huashu-Timestamp"), "X-Huashu-Timestamp"),
    ],
)
async def test_generic_webhook_rejects_bad_signatures(client: TestClient[Any, Any], mangle: Any, field: str) -> None:
    body = dumps(suggest_body())
    headers = signed_headers(WEBHOOK_SECRET, body)
    mangle(headers)
    response = await client.post("/v1/webhooks/generic", data=body, headers=headers)
    assert response.status == 401
    payload = await response.json()
    assert payload["ok"] is False and payload["errors"][0]["field"] == field


async def test_generic_webhook_rejects_a_body_signed_with_another_secret(
    client: TestClient[Any, Any],
) -> None:
    body = dumps(suggest_body())
    response = await client.post("/v1/webhooks/generic", data=body, headers=signed_headers("not-the-secret", body))
    assert response.status == 401


async def test_generic_webhook_rejects_a_stale_timestamp(client: TestClient[Any, Any]) -> None:
    body = dumps(suggest_body())
    stale = int(time.time()) - 3600
    response = await client.post(
        "/v1/webhooks/generic",
        data=body,
        headers=signed_headers(WEBHOOK_SECRET, body, timestamp=stale),
    )
    assert response.status == 401
    error = (await response.json())["errors"][0]
    assert error["field"] == "X-Huashu-Timestamp" and "replay window" in error["message"]


# --- Chatwoot --------------------------------------------------------------------------------


class FakeChatwoot:
    """A real local HTTP server standing in for Chatwoot's application API."""

    def __init__(self) -> None:
        self.notes: list[dict[str, Any]] = []
        self.received = asyncio.Event()
        self.next_id = 9000
        app = web.Application()
        app.router.add_post("/api/v1/accounts/{account}/conversations/{conversation}/messages", self.create)
        self.server = TestServer(app, host="127.0.0.1")

    async def create(self, request: web.Request) -> web.Response:
        if request.headers.get("api_access_token") != TOKEN:
            return web.json_response({"error": "unauthorized"}, status=401)
        self.next_id += 1
        self.notes.append(
            {
                "account": request.match_info["account"],
                "conversation": request.match_info["conversation"],
                "id": self.next_id,
                **(await request.json()),
            }
        )
        self.received.set()
        return web.json_response({"id": self.next_id, "private": True})

    @property
    def url(self) -> str:
        return str(self.server.make_url("/"))


@pytest_asyncio.fixture(loop_scope="session")
async def chatwoot() -> AsyncIterator[FakeChatwoot]:
    fake = FakeChatwoot()
    await fake.server.start_server()
    yield fake
    await fake.server.close()


@pytest_asyncio.fixture(loop_scope="session")
async def cw_client(make_client: ClientFactory, chatwoot: FakeChatwoot) -> TestClient[Any, Any]:
    return await make_client(make_settings(chatwoot_url=chatwoot.url, chatwoot_api_token=TOKEN))


async def deliver(client: TestClient[Any, Any], event: dict[str, Any], delivery: str | None = None) -> dict[str, Any]:
    body = dumps(event)
    headers = signed_headers(CHATWOOT_SECRET, body, prefix="X-Chatwoot")
    if delivery:
        headers["X-Chatwoot-Delivery"] = delivery
    response = await client.post("/v1/webhooks/chatwoot", data=body, headers=headers)
    assert response.status == 200, await response.text()
    payload: dict[str, Any] = await response.json()
    return payload


async def test_chatwoot_incoming_message_gets_a_private_note(
    cw_client: TestClient[Any, Any], chatwoot: FakeChatwoot
) -> None:
    answer = await deliver(cw_client, chatwoot_event(), delivery="d-1")
    assert answer == {"ok": True, "accepted": True, "reason": "suggesting"}
    await asyncio.wait_for(chatwoot.received.wait(), timeout=30)
    note = chatwoot.notes[-1]
    assert (note["account"], note["conversation"]) == ("1", "10")
    assert note["private"] is True and note["message_type"] == "outgoing"
    assert note["content"].startswith(NOTE_MARK) and "48小时" in note["content"]
    recorder = cw_client.app[keys.RECORDER]
    await recorder.flush()
    shown = await recorder.store.suggestions("chatwoot:1", "10")
    assert shown and "ship" in shown[0].entry_id


async def test_chatwoot_echo_of_our_note_is_ignored(cw_client: TestClient[Any, Any], chatwoot: FakeChatwoot) -> None:
    echo = chatwoot_event(
        id=chatwoot.next_id + 50,
        content=NOTE_MARK + "\n1. 亲，付款后48小时内发货",
        message_type="outgoing",
        private=True,
        sender={"id": 1, "name": "小暖", "type": "user"},
    )
    answer = await deliver(cw_client, echo)
    assert answer["accepted"] is False and answer["reason"] == "private note"
    await cw_client.app[keys.BACKGROUND].drain()
    assert await cw_client.app[keys.MEMORY].turns(("chatwoot:1", "10")) == ()


async def test_chatwoot_outgoing_message_is_recorded_as_the_agent_reply(
    make_client: ClientFactory,
) -> None:
    client = await make_client()
    reply = chatwoot_event(
        id=201,
        content="亲，今天下午就给您发出～",
        message_type="outgoing",
        sender={"id": 1, "name": "小暖", "type": "user"},
    )
    reply["conversation"]["id"] = 77
    answer = await deliver(client, reply)
    assert answer["reason"] == "agent reply recorded"
    recorder = client.app[keys.RECORDER]
    await recorder.flush()
    rows = await recorder.store.messages("chatwoot:1", "77")
    assert [(r.role, r.message_id, r.text) for r in rows] == [("agent", "201", "亲，今天下午就给您发出～")]
    assert [t.role for t in await client.app[keys.MEMORY].turns(("chatwoot:1", "77"))] == ["agent"]


async def test_chatwoot_retried_delivery_is_ignored(make_client: ClientFactory) -> None:
    client = await make_client()
    event = chatwoot_event(id=301)
    first = await deliver(client, event, delivery="retry-1")
    again = await deliver(client, copy.deepcopy(event), delivery="retry-1")
    same_message = await deliver(client, copy.deepcopy(event), delivery="retry-2")
    assert first["accepted"] is True
    assert again == {"ok": True, "accepted": False, "reason": "duplicate delivery"}
    assert same_message["reason"] == "duplicate delivery"
    await client.app[keys.BACKGROUND].drain()
    await client.app[keys.RECORDER].flush()
    rows = await client.app[keys.RECORDER].store.messages("chatwoot:1", "10")
    assert [r.message_id for r in rows] == ["301"]


async def test_chatwoot_incoming_without_api_token_still_suggests(
    make_client: ClientFactory,
) -> None:
    client = await make_client()
    event = chatwoot_event(id=401)
    event["conversation"]["id"] = 88
    assert (await deliver(client, event))["accepted"] is True
    await client.app[keys.BACKGROUND].drain()
    await client.app[keys.RECORDER].flush()
    shown = await client.app[keys.RECORDER].store.suggestions("chatwoot:1", "88")
    assert len(shown) == 5


async def test_chatwoot_rejects_a_bad_signature_before_parsing(
    client: TestClient[Any, Any],
) -> None:
    body = b"{not json"
    headers = signed_headers("wrong-secret", body, prefix="X-Chatwoot")
    response = await client.post("/v1/webhooks/chatwoot", data=body, headers=headers)
    assert response.status == 401
    assert (await response.json())["errors"][0]["field"] == "X-Chatwoot-Signature"


async def test_chatwoot_other_events_are_acknowledged_and_ignored(
    client: TestClient[Any, Any],
) -> None:
    answer = await deliver(client, {"event": "conversation_status_changed", "id": 10})
    assert answer["accepted"] is False
