"""The generic signed webhook, and the Chatwoot route's signature check (every Chatwoot delivery
is in tests/service/platforms/)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from assistant.service import keys

from .conftest import CHATWOOT_SECRET, WEBHOOK_SECRET, ClientFactory, make_settings
from .helpers import dumps, signed_headers, suggest_body

FIXTURE = Path(__file__).parent / "fixtures" / "chatwoot_message_created.json"


def chatwoot_event(**changes: Any) -> dict[str, Any]:
    """Chatwoot's `message_created` for an incoming text (tests/service/platforms/chatwoot_payloads.py
    builds it; written out as Chatwoot serialises it), with `changes` on top."""
    event: dict[str, Any] = json.loads(FIXTURE.read_bytes())
    event.update(changes)
    return event


# --- generic webhook -------------------------------------------------------------------------


async def test_generic_webhook_with_a_good_signature(client: TestClient[Any, Any]) -> None:
    body = dumps(suggest_body("快递几天能到", conversation_id="gen-1"))
    response = await client.post("/v1/webhooks/generic", data=body, headers=signed_headers(WEBHOOK_SECRET, body))
    assert response.status == 200, await response.text()
    assert "shipping" in (await response.json())["suggestions"][0]["tags"]


async def test_an_agents_message_through_the_generic_webhook_is_neither_answerable_nor_not(
    client: TestClient[Any, Any],
) -> None:
    """A user test: `sender: agent` answered `answerable: false`; nothing is suggested for it."""
    sent = suggest_body("亲，已经给您发顺丰了", conversation_id="gen-agent", message_id="a1")
    sent["message"]["sender"] = "agent"
    body = dumps(sent)
    response = await client.post("/v1/webhooks/generic", data=body, headers=signed_headers(WEBHOOK_SECRET, body))
    assert response.status == 200, await response.text()
    payload = await response.json()
    assert (payload["recorded"], payload["suggestions"], payload["answerable"]) == ("agent", [], None)


async def post_both(client: TestClient[Any, Any], body: dict[str, Any]) -> list[tuple[str, Any]]:
    """`body` sent to the generic webhook (signed) and to the plain API: each route's answer."""
    answers = []
    for route in ("/v1/webhooks/generic", "/v1/suggest"):
        data = dumps({**body, "conversation_id": f"{body['conversation_id']}-{route[4:8]}"})
        headers = {"Content-Type": "application/json", **signed_headers(WEBHOOK_SECRET, data)}
        response = await client.post(route, data=data, headers=headers)
        answers.append((route, (response.status, await response.json())))
    return answers


async def test_integer_message_and_conversation_ids_are_taken_as_their_decimal_string(
    client: TestClient[Any, Any],
) -> None:
    """A user test: numeric ids (many IM platforms send them) were a 422. An integer is taken as its
    decimal string; a float or a boolean is still a 422 naming the field."""
    body = suggest_body("快递几天能到", conversation_id="num", message_id="x")
    body["message"]["id"] = 9007199254740993  # past a double's exact integers: kept exactly
    for route, (status, payload) in await post_both(client, body):
        assert status == 200, (route, payload)
        assert payload["message_id"] == "9007199254740993", (route, payload)
    store = client.app[keys.STORE]
    assert [m.message_id for m in await store.messages("demo", "num-webh")] == ["9007199254740993"]
    for conversation, route in enumerate(("/v1/webhooks/generic", "/v1/suggest"), start=4242):
        data = dumps({**suggest_body("快递几天能到", message_id="m-int"), "conversation_id": conversation})
        headers = {"Content-Type": "application/json", **signed_headers(WEBHOOK_SECRET, data)}
        response = await client.post(route, data=data, headers=headers)
        payload = await response.json()
        assert (response.status, payload.get("conversation_id")) == (200, str(conversation)), (route, payload)
    for field, value in (("message.id", 1.5), ("message.id", 7.0), ("message.id", True), ("conversation_id", False)):
        bad = suggest_body("快递几天能到", conversation_id="num-bad", message_id="m-bad")
        if field == "message.id":
            bad["message"]["id"] = value
        else:
            bad["conversation_id"] = value
        data = dumps(bad)
        for route in ("/v1/webhooks/generic", "/v1/suggest"):
            headers = {"Content-Type": "application/json", **signed_headers(WEBHOOK_SECRET, data)}
            response = await client.post(route, data=data, headers=headers)
            payload = await response.json()
            assert response.status == 422, (route, field, value, payload)
            assert [e["field"] for e in payload["errors"]] == [field], (route, field, value, payload)
    schema = (await (await client.get("/openapi.json")).json())["components"]["schemas"]
    for struct, field in (("MessageIn", "id"), ("SuggestBody", "conversation_id")):
        types = {t.get("type") for t in schema[struct]["properties"][field]["anyOf"]}
        assert types == {"string", "integer"}, schema[struct]["properties"][field]


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


async def deliver(client: TestClient[Any, Any], event: dict[str, Any], delivery: str | None = None) -> dict[str, Any]:
    body = dumps(event)
    headers = signed_headers(CHATWOOT_SECRET, body, prefix="X-Chatwoot")
    if delivery:
        headers["X-Chatwoot-Delivery"] = delivery
    response = await client.post("/v1/webhooks/chatwoot", data=body, headers=headers)
    assert response.status == 200, await response.text()
    payload: dict[str, Any] = await response.json()
    return payload


async def test_chatwoot_rejects_a_bad_signature_before_parsing(
    client: TestClient[Any, Any],
) -> None:
    body = b"{not json"
    headers = signed_headers("wrong-secret", body, prefix="X-Chatwoot")
    response = await client.post("/v1/webhooks/chatwoot", data=body, headers=headers)
    assert response.status == 401
    assert (await response.json())["errors"][0]["field"] == "X-Chatwoot-Signature"


async def test_a_generic_delivery_repeated_after_a_restart_is_a_409(make_client: ClientFactory, tmp_path: Path) -> None:
    """A user test: without Redis, a repeat after a restart answered 200 and was handled again."""
    settings = make_settings(database_url=f"sqlite:///{tmp_path}/huashu.db")
    body = dumps(suggest_body("快递几天能到", conversation_id="rd-1", message_id="rd-m1"))
    first = await make_client(settings)
    assert (await first.post("/v1/webhooks/generic", data=body, headers=signed_headers(WEBHOOK_SECRET, body))).ok
    await first.close()
    again = await make_client(settings)
    repeat = await again.post("/v1/webhooks/generic", data=body, headers=signed_headers(WEBHOOK_SECRET, body))
    assert repeat.status == 409 and (await repeat.json())["errors"][0]["field"] == "message.id"
    other = dumps(suggest_body("快递几天能到", conversation_id="rd-1", message_id="rd-m2"))
    assert (await again.post("/v1/webhooks/generic", data=other, headers=signed_headers(WEBHOOK_SECRET, other))).ok
    assert [m.message_id for m in await again.app[keys.STORE].messages("demo", "rd-1")] == ["rd-m1", "rd-m2"]
