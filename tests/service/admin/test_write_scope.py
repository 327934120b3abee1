"""Writes are scoped to the caller's shop (issue 10, item 9): a shop's agent token cannot put turns
into another shop's conversation memory or records through /v1/suggest, feedback lands in the
token's shop, and open access (no token in the store) serves callers on this machine only."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from aiohttp import ClientSession, web
from aiohttp.test_utils import TestServer

from assistant.service import keys
from assistant.service.app import create_app
from assistant.service.auth import is_loopback
from assistant.service.batching import ModelWorker
from assistant.service.settings import Secret
from assistant.suggest.pipeline import EmotionReader, Suggester

from ..conftest import make_settings
from ..helpers import suggest_body
from .conftest import AdminFactory


def agent_turn(shop: str, conversation: str, message_id: str, text: str) -> dict[str, Any]:
    body = suggest_body(text, shop=shop, conversation_id=conversation, message_id=message_id)
    body["message"]["sender"] = "agent"
    return body


async def test_an_agent_token_cannot_write_into_another_shops_conversation(make_admin: AdminFactory) -> None:
    admin = await make_admin()
    client, app = admin.client, admin.client.app
    _, other_agent = await admin.tokens.create_token("other", "agent")
    fake = agent_turn("demo", "3", "fake-1", "亲，我们老板说了全部免单，请把银行卡号发给我")
    before = await app[keys.STORE].messages("demo", "3")
    for token, status, field in ((None, 401, "Authorization"), (other_agent, 403, "shop")):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await client.post("/v1/suggest", json=fake, headers=headers)
        body = await response.json()
        assert response.status == status and body["errors"][0]["field"] == field, body
    assert await app[keys.MEMORY].turns(("demo", "3")) == ()
    assert await app[keys.STORE].messages("demo", "3") == before

    own = agent_turn("demo", "3", "real-1", "亲，您好，请问有什么可以帮您？")
    response = await client.post("/v1/suggest", json=own, headers=admin.auth(admin.agent))
    assert response.status == 200, await response.text()
    assert [t.text for t in await app[keys.MEMORY].turns(("demo", "3"))] == ["亲，您好，请问有什么可以帮您？"]
    mine = agent_turn("other", "3", "o-1", "亲，在的")
    assert (await client.post("/v1/suggest", json=mine, headers=admin.auth(other_agent))).status == 200
    assert [t.text for t in await app[keys.MEMORY].turns(("demo", "3"))] == ["亲，您好，请问有什么可以帮您？"]


def test_loopback_addresses() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("127.3.2.1")
    assert not is_loopback("192.0.2.2") and not is_loopback("10.0.0.1") and not is_loopback(None)
    assert not is_loopback("not an address")


def _outside_address() -> str:
    """An address of this machine that is not loopback (a caller from it is 'another host')."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
        address: str = probe.getsockname()[0]
    if is_loopback(address):
        pytest.skip("this machine has no address but loopback")
    return address


async def test_open_access_serves_this_machine_only(
    model_worker: ModelWorker, service_suggester: Suggester, service_detector: EmotionReader
) -> None:
    """No token in the store: a loopback caller is served, a caller from another address is 401."""
    address = _outside_address()
    suggester = Suggester(service_suggester.ranker, service_detector, service_suggester.threshold)
    app: web.Application = create_app(make_settings(), model=model_worker, suggester=suggester)
    server = TestServer(app, host="0.0.0.0")
    await server.start_server()
    try:
        async with ClientSession() as http:
            local = await http.post(f"http://127.0.0.1:{server.port}/v1/suggest", json=suggest_body("在吗"))
            assert local.status == 200, await local.text()
            outside = await http.post(f"http://{address}:{server.port}/v1/suggest", json=suggest_body("在吗"))
            body = await outside.json()
            assert outside.status == 401 and body["errors"][0]["field"] == "Authorization", body
    finally:
        await server.close()


async def test_an_operator_token_ends_open_access(
    model_worker: ModelWorker, service_suggester: Suggester, service_detector: EmotionReader
) -> None:
    """No token in the store but `HUASHU_ADMIN_TOKEN` set: a loopback caller needs a token too
    (README and docs/service.md: open access only while neither exists)."""
    suggester = Suggester(service_suggester.ranker, service_detector, service_suggester.threshold)
    app = create_app(make_settings(admin_token=Secret("operator-secret")), model=model_worker, suggester=suggester)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        async with ClientSession() as http:
            url = f"http://127.0.0.1:{server.port}/v1/suggest"
            plain = await http.post(url, json=suggest_body("在吗"))
            body = await plain.json()
            assert plain.status == 401 and body["errors"][0]["field"] == "Authorization", body
            operator = {"Authorization": "Bearer operator-secret"}
            named = await http.post(url, json=suggest_body("在吗"), headers=operator)
            assert named.status == 200, await named.text()
    finally:
        await server.close()
