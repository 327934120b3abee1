"""`POST /v1/feedback`, `POST /panel/send` and `POST /panel/try`: every agent action is stored,
always for the token's shop; bad bodies answer the one envelope naming the field."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import ClientSession

from assistant.service import keys
from assistant.storage.protocols import ShopRecord
from assistant.storage.records import MessageRecord

from ..conftest import make_settings
from ..helpers import suggest_body
from .conftest import CHATWOOT_TOKEN, ChatwootStandIn, ServeFactory, TokenBook

SHOWN = [{"entry_id": "faq-ship-eta", "rank": 1, "score": 0.91}, {"entry_id": "faq-invoice", "rank": 2, "score": 0.5}]


def action(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "conversation_id": "fb-1",
        "message_id": "m-1",
        "action": "use",
        "index_version": "v1",
        "entry_id": "faq-ship-eta",
        "rank": 1,
        "score": 0.91,
        "text": "亲，48小时内发货",
        "elapsed_ms": 1234.5,
        "shown": SHOWN,
        "agent": "小王",
    }
    body.update(changes)
    return body


async def test_feedback_is_recorded_for_the_tokens_shop(serve: ServeFactory, http: ClientSession) -> None:
    tokens = TokenBook()
    token, secret = await tokens.create_token("shop-a", "agent")
    served = await serve(tokens=tokens)
    headers = {"Authorization": f"Bearer {secret}"}
    response = await http.post(served.url("/v1/feedback"), json=action(shop="shop-b"), headers=headers)
    assert response.status == 200, await response.text()
    answer = await response.json()
    cue = await http.post(
        served.url(f"/v1/feedback?token={secret}"),
        json=action(action="cue_wrong", cue="anger", entry_id="", rank=0, agent=""),
    )
    assert cue.status == 200
    use, wrong = await served.store.wait_feedback(2)
    assert use.id == answer["id"]
    assert (use.shop, use.conversation_id, use.message_id, use.action) == ("shop-a", "fb-1", "m-1", "use")
    assert (use.entry_id, use.rank, use.score, use.text, use.agent) == (
        "faq-ship-eta",
        1,
        0.91,
        "亲，48小时内发货",
        "小王",
    )
    assert use.elapsed_ms == 1234.5 and use.index_version == "v1" and use.at
    assert list(use.shown) == SHOWN
    # no agent named: the token, as the admin page names an agent (客服 + the start of its id)
    assert (wrong.action, wrong.cue, wrong.agent, wrong.shop) == (
        "cue_wrong",
        "anger",
        f"客服 {token.id[:8]}",
        "shop-a",
    )
    stored = await served.app[keys.STORE].feedback("shop-a", "fb-1")  # and read back from the store
    assert sorted(r.id for r in stored) == sorted((use.id, wrong.id))
    (stored_use,) = [r for r in stored if r.action == "use"]
    assert (stored_use.entry_id, stored_use.text, stored_use.elapsed_ms) == (use.entry_id, use.text, use.elapsed_ms)
    assert [dict(s) for s in stored_use.shown] == SHOWN
    assert await served.app[keys.STORE].feedback("shop-b") == []


async def test_feedback_needs_a_token_once_tokens_exist(serve: ServeFactory, http: ClientSession) -> None:
    tokens = TokenBook()
    await tokens.create_token("shop-a", "agent")
    served = await serve(tokens=tokens)
    response = await http.post(served.url("/v1/feedback"), json=action())
    assert response.status == 401
    assert (await response.json())["errors"][0]["field"] == "Authorization"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"action": "like"}, "action"),
        ({"entry_id": ""}, "entry_id"),
        ({"rank": 0}, "rank"),
        ({"action": "edit", "text": "  "}, "text"),
        ({"action": "cue_wrong", "cue": ""}, "cue"),
        ({"conversation_id": ""}, "conversation_id"),
        ({"elapsed_ms": -1}, "elapsed_ms"),
        ({"shown": [{"entry_id": "x", "rank": 0, "score": 1.0}]}, "shown"),
    ],
)
async def test_bad_feedback_names_the_field(
    serve: ServeFactory, http: ClientSession, changes: dict[str, Any], field: str
) -> None:
    served = await serve()
    response = await http.post(served.url("/v1/feedback"), json=action(**changes))
    assert response.status == 422
    payload = await response.json()
    assert payload["ok"] is False and payload["errors"][0]["field"].startswith(field)


async def test_feedback_must_be_json(serve: ServeFactory, http: ClientSession) -> None:
    served = await serve()
    response = await http.post(served.url("/v1/feedback"), data=b"use=1")
    assert response.status == 415
    assert (await response.json())["errors"][0]["field"] == "Content-Type"


async def test_send_posts_the_reply_into_chatwoot_and_records_it(
    serve: ServeFactory, http: ClientSession, chatwoot_stand_in: ChatwootStandIn
) -> None:
    settings = make_settings(chatwoot_url=chatwoot_stand_in.url, chatwoot_api_token=CHATWOOT_TOKEN)
    served = await serve(settings)
    body = action(action="use", conversation_id="12", text="亲，今天就给您发出～", account_id=3, inbox_id=1)
    response = await http.post(served.url("/panel/send"), json=body)
    assert response.status == 200, await response.text()
    answer = await response.json()
    sent = chatwoot_stand_in.messages[-1]
    assert (sent["account"], sent["conversation"], sent["content"]) == ("3", "12", "亲，今天就给您发出～")
    assert sent["private"] is False and sent["message_type"] == "outgoing"
    assert answer["chatwoot_message_id"] == sent["id"]
    (record,) = await served.store.wait_feedback(1)
    assert (record.action, record.text, record.shop, record.conversation_id) == ("send", sent["content"], "demo", "12")


async def test_send_says_why_it_cannot(
    serve: ServeFactory, http: ClientSession, chatwoot_stand_in: ChatwootStandIn
) -> None:
    unconfigured = await serve()
    response = await http.post(unconfigured.url("/panel/send"), json=action(conversation_id="12", account_id=3))
    assert response.status == 503
    assert (await response.json())["errors"][0]["field"] == "chatwoot"
    configured = make_settings(chatwoot_url=chatwoot_stand_in.url, chatwoot_api_token=CHATWOOT_TOKEN)
    served = await serve(configured, shops=[ShopRecord("shop-b", "B", {"chatwoot_account": "5"})])
    for changes, status, field in (
        ({"account_id": 5}, 403, "account_id"),  # another shop's account: the appContext is not trusted
        ({}, 422, "account_id"),  # the default shop claims no account of its own: it must be named
        ({"conversation_id": "c-12", "account_id": 3}, 422, "conversation_id"),
    ):
        response = await http.post(served.url("/panel/send"), json=action(**{"conversation_id": "12", **changes}))
        assert response.status == status, changes
        assert (await response.json())["errors"][0]["field"] == field
    refused = await serve(make_settings(chatwoot_url=chatwoot_stand_in.url, chatwoot_api_token="wrong"))
    response = await http.post(refused.url("/panel/send"), json=action(conversation_id="12", account_id=3))
    assert response.status == 502
    await refused.app[keys.RECORDER].flush()
    assert refused.store.feedback() == [] and served.store.feedback() == []


async def test_try_shows_what_the_panel_would_and_records_nothing(serve: ServeFactory, http: ClientSession) -> None:
    served = await serve()
    calm = await http.post(served.url("/panel/try"), json={"text": "什么时候发货", "earlier": "calm"})
    assert calm.status == 200
    angry = await http.post(served.url("/panel/try"), json={"text": "什么时候发货", "earlier": "angry"})
    calm_event, angry_event = await calm.json(), await angry.json()
    assert calm_event["preview"] is True and calm_event["suggestions"]
    assert len(angry_event["turns"]) == 3 and angry_event["escalate"] and not calm_event["escalate"]
    for blank in (" ", "\u200b\ufeff", "\x00\u2060"):  # only spaces, zero-width or control characters
        bad = await http.post(served.url("/panel/try"), json={"text": blank, "earlier": "calm"})
        assert bad.status == 422 and (await bad.json())["errors"][0]["field"] == "text", repr(blank)
    assert (await http.post(served.url("/v1/suggest"), json=suggest_body("在吗"))).status == 200
    await served.app[keys.RECORDER].flush()
    messages = await served.store.inner.messages("demo", "try")
    assert messages == [] and not any(
        isinstance(r, MessageRecord) and r.platform == "try" for r in served.store.records
    )


async def test_first_load_is_small_and_runs_only_its_own_script(serve: ServeFactory, http: ClientSession) -> None:
    served = await serve()
    total = 0
    for path in ("/panel", "/panel/labels.js", "/panel/panel.js", "/panel/panel.css"):
        response = await http.get(served.url(path))
        assert response.status == 200
        total += len(await response.read())
        if path == "/panel":  # nothing but the panel's own script may run
            assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert total < 200_000
