"""What an IM platform delivers is what its users typed: a long message is recorded whole, not
refused (a user test: a 5,005-character Chatwoot message, a 1,202-character agent reply and a
1,500-character generic agent reply answered 413, so the turn was lost). Agents' replies and a
webhook's customer messages are accepted up to `HUASHU_MAX_REPLY_CHARS`; a customer message longer
than `HUASHU_MAX_TEXT_CHARS` is ranked from its beginning and its end (the middle is left out), as
much as the model reads. `/v1/suggest` keeps its 413."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient

from assistant.service import keys

from ..conftest import CHATWOOT_SECRET, WEBHOOK_SECRET, make_settings
from ..helpers import dumps, signed_headers, suggest_body
from .chatwoot_payloads import chatwoot_headers, message_event, ruby_json
from .conftest import AppFactory

CUSTOMER = ("你好，我上周买的那件羽绒服到现在还没收到，物流一直显示在中转站，能帮我查一下吗？" * 200)[:5005]
# a long complaint that asks its question at its end, as customers do (a user test: 1,131
# characters ending with 到底能不能退货？ got pillow and duvet answers, `answerable` false)
COMPLAINT = (
    "我真的很生气，上个月在你们店里买了一床蚕丝被，下单的时候页面上写的是浅灰色，收到的却是发黄的米白色，"
    "跟图片上完全不是一个颜色。快递也特别慢，说好的三天到，结果等了整整九天，物流信息好几天都不更新，"
    "问客服也只会让我再等等。包装袋拆开的时候还有一股很重的味道，放在阳台晾了两天都没有散掉。"
    "我买之前专门问过颜色，客服说就是图片上的颜色，不会有色差，现在拿到手完全两回事。"
) * 6 + "我已经等了这么久，也不想再换了，到底能不能退货？"
REPLY = ("亲，非常抱歉让您久等了，我这边已经帮您联系了快递公司加急处理，预计明天就能送到。" * 40)[:1202]


async def _stored(client: TestClient[Any, Any], conversation: str) -> dict[str, tuple[str, str]]:
    await client.app[keys.BACKGROUND].drain()
    await client.app[keys.RECORDER].flush()
    return {m.message_id: (m.role, m.text) for m in await client.app[keys.STORE].messages("demo", conversation)}


async def _chatwoot(client: TestClient[Any, Any], event: dict[str, Any]) -> Any:
    body = ruby_json(event)
    return await client.post("/v1/webhooks/chatwoot", data=body, headers=chatwoot_headers(CHATWOOT_SECRET, body))


async def test_chatwoot_long_messages_are_recorded_whole(make_app: AppFactory) -> None:
    client = await make_app(make_settings(request_timeout_s=60.0))
    incoming = await _chatwoot(client, message_event(501, CUSTOMER, conversation_id=51))
    assert incoming.status == 200, await incoming.text()
    assert (await incoming.json())["reason"] == "suggesting"
    outgoing = await _chatwoot(client, message_event(502, REPLY, message_type="outgoing", conversation_id=51))
    assert outgoing.status == 200, await outgoing.text()
    assert (await outgoing.json())["reason"] == "agent reply recorded"
    stored = await _stored(client, "51")
    assert stored == {"501": ("customer", CUSTOMER), "502": ("agent", REPLY)}
    too_long = await _chatwoot(client, message_event(503, "快" * 8001, conversation_id=51))
    assert too_long.status == 413 and (await too_long.json())["errors"][0]["field"] == "content"


async def _generic(client: TestClient[Any, Any], payload: dict[str, Any]) -> Any:
    body = dumps(payload)
    return await client.post("/v1/webhooks/generic", data=body, headers=signed_headers(WEBHOOK_SECRET, body))


async def test_a_generic_long_customer_message_is_suggested_for_and_recorded_whole(make_app: AppFactory) -> None:
    client = await make_app(make_settings(request_timeout_s=60.0))
    response = await _generic(client, suggest_body(CUSTOMER, conversation_id="g-long", message_id="g1"))
    body = await response.json()
    assert response.status == 200, body
    assert body["suggestions"] and body["truncated"] is True
    assert any("HUASHU_MAX_TEXT_CHARS" in w and "5005" in w for w in body["warnings"]), body["warnings"]
    reply = suggest_body(REPLY, conversation_id="g-long", message_id="g2")
    reply["message"]["sender"] = "agent"
    answered = await _generic(client, reply)
    assert answered.status == 200, await answered.text()
    assert (await answered.json())["recorded"] == "agent"
    assert await _stored(client, "g-long") == {"g1": ("customer", CUSTOMER), "g2": ("agent", REPLY)}
    too_long = await _generic(client, suggest_body("快" * 8001, conversation_id="g-long", message_id="g3"))
    assert too_long.status == 413 and (await too_long.json())["errors"][0]["field"] == "message.text"


async def test_the_api_keeps_its_limit_for_customers_not_for_agents(make_app: AppFactory) -> None:
    client = await make_app(make_settings())
    customer = await client.post("/v1/suggest", json=suggest_body("快" * 1001, conversation_id="a-long"))
    assert customer.status == 413 and (await customer.json())["errors"][0]["field"] == "message.text"
    reply = suggest_body(REPLY, conversation_id="a-long", message_id="a1")
    reply["message"]["sender"] = "agent"
    answered = await client.post("/v1/suggest", json=reply)
    assert answered.status == 200, await answered.text()
    assert await _stored(client, "a-long") == {"a1": ("agent", REPLY)}


async def test_the_reply_limit_is_a_setting(make_app: AppFactory) -> None:
    client = await make_app(make_settings(max_text_chars=20, max_reply_chars=40))
    reply = suggest_body("好" * 41, conversation_id="s-long", message_id="s1")
    reply["message"]["sender"] = "agent"
    assert (await _generic(client, reply)).status == 413
    reply["message"]["text"] = "好" * 40
    assert (await _generic(client, reply)).status == 200


async def test_a_long_complaint_is_ranked_from_its_beginning_and_its_end(make_app: AppFactory) -> None:
    # what the model reads of it, and what it ranks, is in tests/retrieval/test_long_complaint.py
    assert len(COMPLAINT) > 1000
    client = await make_app(make_settings(request_timeout_s=60.0))
    response = await _generic(client, suggest_body(COMPLAINT, conversation_id="g-ends", message_id="e1"))
    body = await response.json()
    assert response.status == 200, body
    assert body["suggestions"] and body["truncated"] is True
    assert any(
        "HUASHU_MAX_TEXT_CHARS" in w and "its beginning and its end (the middle is left out)" in w
        for w in body["warnings"]
    ), body["warnings"]
