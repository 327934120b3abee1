"""Chatwoot deliveries as Chatwoot really sends them (see chatwoot_payloads.py for the sources),
through the real app, with the private note checked against a stand-in of Chatwoot's API."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient

from assistant.service import keys
from assistant.service.platforms.chatwoot.note import NOTE_MARK
from assistant.storage.protocols import ShopRecord, Store

from ..conftest import CHATWOOT_SECRET, make_settings
from .chatwoot_payloads import (
    AGENT,
    BOT,
    chatwoot_headers,
    contact,
    conversation_event,
    image_attachment,
    message_event,
    ruby_json,
    unsigned_headers,
    webwidget_event,
)
from .chatwoot_stand_in import API_TOKEN, ChatwootStandIn
from .conftest import AppFactory

Client = TestClient[Any, Any]


@pytest_asyncio.fixture(loop_scope="session")
async def cw(make_app: AppFactory, stand_in: ChatwootStandIn) -> Client:
    return await make_app(make_settings(chatwoot_url=stand_in.url, chatwoot_api_token=API_TOKEN))


async def send(
    client: Client, payload: dict[str, Any], *, delivery: str | None = None, secret: str | None = CHATWOOT_SECRET
) -> ClientResponse:
    body = ruby_json(payload)
    headers = chatwoot_headers(secret, body, delivery) if secret else {"Content-Type": "application/json"}
    return await client.post("/v1/webhooks/chatwoot", data=body, headers=headers)


async def answer(client: Client, payload: dict[str, Any], **kw: Any) -> dict[str, Any]:
    response = await send(client, payload, **kw)
    assert response.status == 200, await response.text()
    body: dict[str, Any] = await response.json()
    return body


async def settled(client: Client) -> Store:
    await client.app[keys.BACKGROUND].drain()
    await client.app[keys.RECORDER].flush()
    store: Store = client.app[keys.STORE]
    return store


async def turns(client: Client, conversation: int, shop: str = "demo") -> list[tuple[str, str]]:
    return [(t.role, t.text) for t in await client.app[keys.MEMORY].turns((shop, str(conversation)))]


def notes_to(stand_in: ChatwootStandIn, conversation: int) -> list[Any]:
    return [r for r in stand_in.requests if r.path.endswith(f"/conversations/{conversation}/messages")]


async def test_incoming_text_gets_a_private_note_through_the_published_api(
    cw: Client, stand_in: ChatwootStandIn
) -> None:
    reply = await answer(cw, message_event(118, "快递几天能到啊", conversation_id=10), delivery="d-118")
    assert reply == {"ok": True, "accepted": True, "reason": "suggesting"}
    request = await stand_in.note_for(10)
    assert len(notes_to(stand_in, 10)) == 1
    assert request.path == "/api/v1/accounts/1/conversations/10/messages"
    assert request.token == API_TOKEN
    assert set(request.body) == {"content", "message_type", "private"}
    assert request.body["message_type"] == "outgoing" and request.body["private"] is True
    assert request.body["content"].startswith(NOTE_MARK) and "48小时" in request.body["content"]
    store = await settled(cw)
    shown = await store.suggestions("demo", "10")
    assert shown and "ship" in shown[0].entry_id
    (record,) = await store.messages("demo", "10")
    assert (record.role, record.sender_kind, record.sent_at[:23]) == ("customer", "contact", "2026-11-11T08:02:48.123")

    # Chatwoot then delivers our own note back: the id it answered with marks it as seen
    echo = message_event(
        request.answered_id, request.body["content"], message_type="outgoing", private=True, sender=AGENT
    )
    again = await answer(cw, echo)
    assert again == {"ok": True, "accepted": False, "reason": "duplicate delivery"}
    assert await turns(cw, 10) == [("customer", "快递几天能到啊")]


async def test_a_note_posted_by_an_agent_is_not_a_turn(cw: Client) -> None:
    note = message_event(119, "这个客户上次投诉过", message_type="outgoing", private=True, conversation_id=11)
    assert (await answer(cw, note))["reason"] == "private note"
    assert await (await settled(cw)).messages("demo", "11") == []


async def test_non_ascii_name_and_html_characters_round_trip(cw: Client) -> None:
    text = "杯子<碎了>&要退货"
    event = message_event(120, text, sender=contact(15, "王小美 <VIP> & 家人"), conversation_id=12)
    body = ruby_json(event)
    assert b"\\u003c" in body and b"\\u0026" in body and "王小美".encode() in body
    assert (await answer(cw, event))["accepted"] is True
    store = await settled(cw)
    assert [r.text for r in await store.messages("demo", "12")] == [text]
    assert await turns(cw, 12) == [("customer", text)]


async def test_an_agents_reply_is_a_label_with_the_agent(cw: Client) -> None:
    reply = message_event(121, "亲，今天下午就给您发出～", message_type="outgoing", sender=AGENT, conversation_id=13)
    assert (await answer(cw, reply))["reason"] == "agent reply recorded"
    (record,) = await (await settled(cw)).messages("demo", "13")
    assert (record.role, record.sender_kind, record.agent_id, record.agent_name) == ("agent", "agent", "1", "小暖")
    assert await turns(cw, 13) == [("agent", "亲，今天下午就给您发出～")]


async def test_a_reply_without_a_sender_is_the_assignees(cw: Client) -> None:
    """A reply sent from the channel's own app (`external_echo`): Chatwoot has no sender for it."""
    reply = message_event(122, "好的亲", message_type="outgoing", conversation_id=14)
    reply["sender"] = None
    reply["content_attributes"] = {"external_echo": True}
    assert (await answer(cw, reply))["reason"] == "agent reply recorded"
    (record,) = await (await settled(cw)).messages("demo", "14")
    assert (record.role, record.agent_id, record.agent_name) == ("agent", "1", "小暖")


async def test_an_agent_bots_reply_is_context_not_a_label(cw: Client) -> None:
    greeting = message_event(123, "您好，欢迎光临暖居生活！", message_type="outgoing", sender=BOT, conversation_id=15)
    assert (await answer(cw, greeting))["reason"] == "bot message recorded"
    (record,) = await (await settled(cw)).messages("demo", "15")
    assert (record.role, record.sender_kind, record.agent_id) == ("bot", "bot", "3")
    assert await turns(cw, 15) == [("agent", "您好，欢迎光临暖居生活！")]


async def test_an_automation_rules_message_is_not_a_label(cw: Client) -> None:
    auto = message_event(
        124, "已为您转接人工", message_type="outgoing", conversation_id=16, content_attributes={"automation_rule_id": 7}
    )
    auto["sender"] = None
    assert (await answer(cw, auto))["reason"] == "automation message recorded"
    (record,) = await (await settled(cw)).messages("demo", "16")
    assert (record.role, record.sender_kind) == ("bot", "automation")


async def test_a_template_message_is_ignored(cw: Client) -> None:
    template = message_event(
        125, "请留下您的邮箱", message_type="template", content_type="input_email", sender=None, conversation_id=17
    )
    template["sender"] = None
    assert (await answer(cw, template))["reason"] == "template message ignored"
    assert await (await settled(cw)).messages("demo", "17") == []


async def test_a_reaction_is_not_a_message_to_answer(cw: Client, stand_in: ChatwootStandIn) -> None:
    reaction = message_event(
        126, "👍", conversation_id=18, content_attributes={"is_reaction": True, "in_reply_to": 121}
    )
    assert (await answer(cw, reaction))["reason"] == "reaction"
    store = await settled(cw)
    assert await store.messages("demo", "18") == [] and await turns(cw, 18) == []
    assert notes_to(stand_in, 18) == []


async def test_an_attachment_only_turn_is_recorded_without_suggestions(cw: Client, stand_in: ChatwootStandIn) -> None:
    photo = message_event(127, None, conversation_id=19, attachments=[image_attachment(127)])
    assert (await answer(cw, photo))["reason"] == "attachment recorded"
    store = await settled(cw)
    assert [(r.role, r.text) for r in await store.messages("demo", "19")] == [("customer", "[图片]")]
    assert await turns(cw, 19) == [("customer", "[图片]")]
    assert await store.suggestions("demo", "19") == [] and notes_to(stand_in, 19) == []


@pytest.mark.parametrize(
    "payload",
    [
        message_event(128, "快递几天能到啊（已编辑）", event="message_updated", conversation_id=20),
        conversation_event("conversation_created"),
        conversation_event(
            "conversation_status_changed",
            status="resolved",
            changed_attributes=[{"status": {"previous_value": "open", "current_value": "resolved"}}],
        ),
        webwidget_event(),
    ],
    ids=["message_updated", "conversation_created", "conversation_status_changed", "webwidget_triggered"],
)
async def test_other_events_are_acknowledged_and_ignored(cw: Client, payload: dict[str, Any]) -> None:
    assert await answer(cw, payload) == {"ok": True, "accepted": False, "reason": "event ignored"}
    assert await (await settled(cw)).messages("demo", "20") == []


async def test_a_retried_delivery_is_handled_once(cw: Client) -> None:
    event = message_event(129, "亲，今天能发货吗", message_type="outgoing", conversation_id=21)
    first = await answer(cw, event, delivery="7c9e6679-7425-40de-944b-e07fc1f90ae7")
    retry = await answer(cw, event, delivery="7c9e6679-7425-40de-944b-e07fc1f90ae7")  # re-signed, same UUID
    same_message = await answer(cw, event, delivery="0f8fad5b-d9cb-469f-a165-70867728950e")
    assert first["accepted"] is True
    assert retry["reason"] == "duplicate delivery" and same_message["reason"] == "duplicate delivery"
    assert [r.message_id for r in await (await settled(cw)).messages("demo", "21")] == ["129"]


async def test_a_delivery_repeated_after_a_restart_is_still_handled_once(
    make_app: AppFactory, stand_in: ChatwootStandIn, tmp_path: Path
) -> None:
    """A user test: without Redis, a repeat after a restart was handled again (the memory of
    deliveries lived in the process); the store's records now tell it."""
    settings = make_settings(
        chatwoot_url=stand_in.url, chatwoot_api_token=API_TOKEN, database_url=f"sqlite:///{tmp_path}/huashu.db"
    )
    first = await make_app(settings)
    event = message_event(131, "亲，明天就能发货", message_type="outgoing", conversation_id=23)
    assert (await answer(first, event, delivery="5b6a1c1e-0000-4000-8000-000000000001"))["accepted"] is True
    await settled(first)
    await first.close()
    again = await make_app(settings)
    repeat = await answer(again, event, delivery="5b6a1c1e-0000-4000-8000-000000000001")
    assert repeat == {"ok": True, "accepted": False, "reason": "duplicate delivery"}
    new = message_event(132, "还有什么可以帮您的吗", message_type="outgoing", conversation_id=23)
    assert (await answer(again, new))["accepted"] is True
    assert [r.message_id for r in await (await settled(again)).messages("demo", "23")] == ["131", "132"]


async def test_pending_conversations_get_notes_only_when_the_shop_asks(
    cw: Client, make_app: AppFactory, stand_in: ChatwootStandIn
) -> None:
    pending = message_event(130, "在吗，能便宜点吗", conversation_id=22, status="pending")
    reply = await answer(cw, pending)
    assert reply == {"ok": True, "accepted": True, "reason": "suggesting (no note: a bot handles it)"}
    store = await settled(cw)
    assert await store.suggestions("demo", "22") and notes_to(stand_in, 22) == []

    settings = make_settings(chatwoot_url=stand_in.url, chatwoot_api_token=API_TOKEN, chatwoot_notes_pending=True)
    asking = await make_app(settings)
    assert (await answer(asking, message_event(131, "在吗，能便宜点吗", conversation_id=23, status="pending")))[
        "reason"
    ] == "suggesting"
    await settled(asking)
    assert len(notes_to(stand_in, 23)) == 1


async def test_each_decision_is_logged_with_its_reason_and_delivery_but_no_text(
    cw: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="assistant.service")
    await answer(cw, message_event(132, "我的地址是幸福路8号", conversation_id=24), delivery="log-d1")
    await answer(
        cw, message_event(133, "👍", conversation_id=24, content_attributes={"is_reaction": True}), delivery="log-d2"
    )
    await settled(cw)
    decisions = {r.__dict__.get("delivery"): r for r in caplog.records if r.getMessage() == "chatwoot delivery"}
    assert decisions["log-d1"].__dict__["reason"] == "suggesting" and decisions["log-d1"].levelno == logging.INFO
    assert decisions["log-d2"].__dict__["reason"] == "reaction"
    assert any(r.getMessage() == "chatwoot note posted" and r.__dict__["delivery"] == "log-d1" for r in caplog.records)
    for record in caplog.records:
        if record.levelno >= logging.INFO:
            assert "幸福路" not in record.getMessage() and "幸福路" not in str(record.__dict__)


async def test_unsigned_versions_use_the_url_token(make_app: AppFactory) -> None:
    """Chatwoot before 4.11.2 (account webhooks) / 4.13.0 (API-inbox, agent-bot) signs nothing."""
    client = await make_app(make_settings(chatwoot_webhook_secret="", chatwoot_url_token="u-token-1"))
    body = ruby_json(message_event(150, "快递几天能到啊", conversation_id=50))
    headers = unsigned_headers()
    ok = await client.post("/v1/webhooks/chatwoot?token=u-token-1", data=body, headers=headers)
    assert ok.status == 200 and (await ok.json())["accepted"] is True
    for url, field in [
        ("/v1/webhooks/chatwoot", "X-Chatwoot-Signature"),
        ("/v1/webhooks/chatwoot?token=u-token-2", "token"),
    ]:
        refused = await client.post(url, data=body, headers=headers)
        assert refused.status == 401 and (await refused.json())["errors"][0]["field"] == field


async def test_a_shop_with_a_secret_still_requires_the_signature(make_app: AppFactory) -> None:
    client = await make_app(make_settings(chatwoot_url_token="u-token-1"))
    body = ruby_json(message_event(151, "快递几天能到啊", conversation_id=51))
    refused = await client.post("/v1/webhooks/chatwoot?token=u-token-1", data=body, headers=unsigned_headers())
    assert refused.status == 401
    assert (await refused.json())["errors"][0]["field"] == "X-Chatwoot-Signature"
    signed = await client.post(
        "/v1/webhooks/chatwoot?token=u-token-1", data=body, headers=chatwoot_headers(CHATWOOT_SECRET, body)
    )
    assert signed.status == 200


async def test_inboxes_of_one_account_are_shops(make_app: AppFactory) -> None:
    shops = [
        ShopRecord("tea", "茶叶店", {"chatwoot_account": "1", "chatwoot_inboxes": ["1"]}),
        ShopRecord("rest", "其他", {"chatwoot_account": "1"}),
        ShopRecord(
            "solo", "单店", {"chatwoot_account": "2", "chatwoot_inboxes": ["9"], "chatwoot_webhook_secret": "s2"}
        ),
    ]
    client = await make_app(make_settings(), shops=shops)
    reply: dict[str, Any] = {"message_type": "outgoing", "sender": AGENT}
    assert (await answer(client, message_event(160, "好的", inbox_id=1, conversation_id=60, **reply)))["accepted"]
    assert (await answer(client, message_event(161, "好的", inbox_id=2, conversation_id=61, **reply)))["accepted"]
    solo = message_event(162, "好的", inbox_id=9, conversation_id=62, account={"id": 2, "name": "单店"}, **reply)
    assert (await answer(client, solo, secret="s2"))["accepted"]
    elsewhere = message_event(163, "好的", inbox_id=8, conversation_id=63, account={"id": 2, "name": "单店"}, **reply)
    assert (await answer(client, elsewhere, secret="s2"))["reason"] == "no shop for this account and inbox"
    unclaimed = message_event(164, "好的", conversation_id=64, account={"id": 3, "name": "别家"}, **reply)
    assert (await answer(client, unclaimed))["accepted"]
    store = await settled(client)
    assert [
        len(await store.messages(s, c)) for s, c in [("tea", "60"), ("rest", "61"), ("solo", "62"), ("demo", "64")]
    ] == [1] * 4
    assert await store.messages("demo", "60") == [] and await store.messages("demo", "63") == []

    # the process secret does not open a shop that has a secret of its own
    forbidden = await send(client, message_event(165, "好的", inbox_id=9, account={"id": 2, "name": "单店"}, **reply))
    assert forbidden.status == 403 and (await forbidden.json())["errors"][0]["field"] == "account.id"
