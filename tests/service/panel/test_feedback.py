"""`POST /v1/feedback`, `POST /panel/send` and `POST /panel/try`: every agent action is stored,
always for the token's shop; bad bodies answer the one envelope naming the field."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Sequence
from typing import Any

import pytest
from aiohttp import ClientSession

from assistant.service import keys
from assistant.service.settings import Secret
from assistant.storage.protocols import ShopRecord
from assistant.storage.records import MessageRecord, SuggestionRecord

from ..conftest import make_settings
from ..helpers import suggest_body
from .conftest import CHATWOOT_TOKEN, ChatwootStandIn, Served, ServeFactory, TokenBook

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


async def recorded(
    served: Served,
    conversation: str = "fb-1",
    message: str = "m-1",
    shop: str = "demo",
    shown: Sequence[str] = ("faq-ship-eta", "faq-invoice"),
) -> None:
    """The shop's records of a customer message and of the suggestions shown for it, as the
    service writes them when it suggests (feedback must name what they hold)."""
    at = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
    said = MessageRecord("api", shop, conversation, message, "customer", "快递几天能到", at, at)
    await served.app[keys.STORE].write(
        [
            said,
            *(
                SuggestionRecord("api", shop, conversation, message, r, e, 0.9, "faq", "v1", at)
                for r, e in enumerate(shown, 1)
            ),
        ]
    )


async def test_feedback_is_recorded_for_the_tokens_shop(serve: ServeFactory, http: ClientSession) -> None:
    tokens = TokenBook()
    token, secret = await tokens.create_token("shop-a", "agent")
    served = await serve(tokens=tokens)
    await recorded(served, shop="shop-a")
    headers = {"Authorization": f"Bearer {secret}"}
    response = await http.post(served.url("/v1/feedback"), json=action(shop="shop-a"), headers=headers)
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


async def test_a_cue_marked_wrong_twice_is_stored_and_counted_once(serve: ServeFactory, http: ClientSession) -> None:
    tokens = TokenBook()
    _, secret = await tokens.create_token("demo", "admin")  # an admin acts as an agent, and reads the stats
    served = await serve(tokens=tokens, shops=[ShopRecord("demo", "Demo", {})])
    auth = {"Authorization": f"Bearer {secret}"}
    await recorded(served)
    mark = action(action="cue_wrong", cue="anger", entry_id="", rank=0)
    first = await http.post(served.url("/v1/feedback"), json=mark, headers=auth)
    assert first.status == 200, await first.text()
    again = await http.post(served.url("/v1/feedback"), json=mark, headers=auth)
    assert again.status == 200, await again.text()
    first_answer, again_answer = await first.json(), await again.json()
    assert first_answer == {"ok": True, "id": first_answer["id"], "already_recorded": False}
    assert again_answer == {"ok": True, "id": first_answer["id"], "already_recorded": True}
    # another cue of the message, and the same cue of another message, are marks of their own
    await recorded(served, message="m-2")
    for other in ({**mark, "cue": "anxiety"}, {**mark, "message_id": "m-2"}):
        answer = await http.post(served.url("/v1/feedback"), json=other, headers=auth)
        assert (await answer.json())["already_recorded"] is False
    store = served.app[keys.STORE]
    stored = [r for r in await store.feedback("demo", "fb-1") if r.action == "cue_wrong"]
    assert sorted((r.message_id, r.cue) for r in stored) == [("m-1", "anger"), ("m-1", "anxiety"), ("m-2", "anger")]
    # two marks at once (a double click, or two replicas) reach the store: it keeps one
    clicks = [dataclasses.replace(stored[0], id=f"click-{n}") for n in range(2)]
    await store.write(clicks)
    assert len([r for r in await store.feedback("demo", "fb-1") if r.action == "cue_wrong"]) == 3
    stats = await http.get(served.url("/v1/admin/shops/demo/stats?days=7"), headers=auth)
    assert stats.status == 200, await stats.text()
    assert (await stats.json())["stats"]["feedback"] == {"cue_wrong": 3}


async def test_feedback_needs_a_token_once_tokens_exist(serve: ServeFactory, http: ClientSession) -> None:
    tokens = TokenBook()
    await tokens.create_token("shop-a", "agent")
    served = await serve(tokens=tokens)
    response = await http.post(served.url("/v1/feedback"), json=action())
    assert response.status == 401
    assert (await response.json())["errors"][0]["field"] == "Authorization"


async def test_feedback_for_another_shop_than_the_tokens_is_forbidden(
    serve: ServeFactory, http: ClientSession, chatwoot_stand_in: ChatwootStandIn
) -> None:
    """A body's `shop` is the token's or a 403 naming `shop` (it used to be dropped silently)."""
    tokens = TokenBook()
    _, secret = await tokens.create_token("demo", "agent")
    settings = make_settings(chatwoot_url=chatwoot_stand_in.url, chatwoot_api_token=CHATWOOT_TOKEN)
    served = await serve(settings, tokens=tokens)
    for shop in ("demo", "other"):
        await recorded(served, conversation="12", shop=shop)
    headers = {"Authorization": f"Bearer {secret}"}
    for route, extra in (("/v1/feedback", {}), ("/panel/send", {"account_id": 3, "inbox_id": 1})):
        body = action(conversation_id="12", shop="other", **extra)
        response = await http.post(served.url(route), json=body, headers=headers)
        payload = await response.json()
        assert response.status == 403, (route, payload)
        assert payload["ok"] is False and [e["field"] for e in payload["errors"]] == ["shop"], payload
    await served.app[keys.RECORDER].flush()
    assert served.store.feedback() == [] and chatwoot_stand_in.messages == []
    same = await http.post(served.url("/v1/feedback"), json=action(conversation_id="12", shop="demo"), headers=headers)
    assert same.status == 200, await same.text()
    (record,) = await served.store.wait_feedback(1)
    assert (record.shop, record.conversation_id) == ("demo", "12")


async def test_open_access_feedback_is_for_the_shop_named(serve: ServeFactory, http: ClientSession) -> None:
    """Without tokens a caller on this machine acts for the shop it names, as with /v1/suggest."""
    served = await serve()
    await recorded(served, shop="other")
    response = await http.post(served.url("/v1/feedback"), json=action(shop="other"))
    assert response.status == 200, await response.text()
    (record,) = await served.store.wait_feedback(1)
    assert record.shop == "other"
    unknown_here = await http.post(served.url("/v1/feedback"), json=action())  # the default shop has no m-1
    assert unknown_here.status == 422 and (await unknown_here.json())["errors"][0]["field"] == "message_id"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"message_id": "m-never"}, "message_id"),  # the shop never recorded it
        ({"message_id": "m-tea"}, "message_id"),  # another shop's message
        ({"conversation_id": "fb-2"}, "conversation_id"),  # m-1 is in conversation fb-1
        ({"action": "cue_wrong", "cue": "anger", "entry_id": "", "rank": 0, "message_id": "m-never"}, "message_id"),
        ({"entry_id": "faq-made-up"}, "entry_id"),  # neither shown for m-1 nor an entry of the index
        ({"action": "dismiss", "entry_id": "faq-made-up"}, "entry_id"),
        ({"action": "edit", "entry_id": "quick-0000000000"}, "entry_id"),  # a quick reply not shown for m-1
    ],
)
async def test_feedback_must_link_to_the_shops_records(
    serve: ServeFactory, http: ClientSession, changes: dict[str, Any], field: str
) -> None:
    served = await serve()
    await recorded(served)
    await recorded(served, conversation="fb-2", message="m-2")
    await recorded(served, message="m-tea", shop="other")
    response = await http.post(served.url("/v1/feedback"), json=action(**changes))
    payload = await response.json()
    assert response.status == 422, payload
    assert [e["field"] for e in payload["errors"]] == [field] and payload["error"] == payload["errors"][0]["message"]
    await served.app[keys.RECORDER].flush()
    assert served.store.feedback() == [] and await served.app[keys.STORE].feedback("demo") == []


async def test_feedback_names_a_suggestion_shown_for_the_message_or_an_entry_served(
    serve: ServeFactory, http: ClientSession
) -> None:
    """Shown for the message: any id (a quick reply's or a greeting's too, they are recorded as
    shown); not shown (the message was suggested for again since): an entry of the index served."""
    served = await serve()
    answer = await (await http.post(served.url("/v1/suggest"), json=suggest_body(conversation_id="fb-9"))).json()
    shown = [s["entry_id"] for s in answer["suggestions"]]
    quick = "quick-0a1b2c3d4e"
    await recorded(served, conversation="fb-9", message="m-2", shown=(quick,))
    unshown = sorted(served.app[keys.INDEX].entry_ids("demo") - set(shown))[0]
    accepted = [
        {"entry_id": shown[-1], "rank": len(shown)},
        {"message_id": "m-2", "action": "edit", "entry_id": quick},
        {"action": "dismiss", "entry_id": unshown},
        {"action": "cue_wrong", "cue": "anger", "entry_id": "", "rank": 0},
    ]
    for changes in accepted:
        body = action(conversation_id="fb-9", **{"message_id": "m-1", **changes})
        response = await http.post(served.url("/v1/feedback"), json=body)
        assert response.status == 200, (changes, await response.text())
    stored = await served.store.wait_feedback(len(accepted))
    assert [(r.action, r.message_id, r.entry_id) for r in stored] == [
        ("use", "m-1", shown[-1]),
        ("edit", "m-2", quick),
        ("dismiss", "m-1", unshown),
        ("cue_wrong", "m-1", ""),
    ]


async def test_send_of_what_the_records_do_not_hold_sends_nothing(
    serve: ServeFactory, http: ClientSession, chatwoot_stand_in: ChatwootStandIn
) -> None:
    settings = make_settings(chatwoot_url=chatwoot_stand_in.url, chatwoot_api_token=CHATWOOT_TOKEN)
    served = await serve(settings)
    await recorded(served, conversation="12")
    where = {"conversation_id": "12", "account_id": 3, "inbox_id": 1}
    for changes, field in (({"message_id": "m-never"}, "message_id"), ({"entry_id": "faq-made-up"}, "entry_id")):
        response = await http.post(served.url("/panel/send"), json=action(**where, **changes))
        assert response.status == 422 and (await response.json())["errors"][0]["field"] == field, changes
    await served.app[keys.RECORDER].flush()
    assert chatwoot_stand_in.messages == [] and served.store.feedback() == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"action": "like"}, "action"),
        ({"entry_id": ""}, "entry_id"),
        ({"rank": 0}, "rank"),
        ({"action": "edit", "text": "  "}, "text"),
        ({"action": "cue_wrong", "cue": ""}, "cue"),
        ({"action": "cue_wrong", "cue": "bogus"}, "cue"),  # a user test: stored, counted, moved the thresholds
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


async def test_a_missing_rank_is_told_as_required_in_the_answer_and_the_openapi(
    serve: ServeFactory, http: ClientSession
) -> None:
    """A user test: without `rank` the 422 said "the rank of the suggestion acted on, 1 first" (a
    description, not an error) and /openapi.json gave it a default of 0, as if it were optional."""
    served = await serve()
    body = {k: v for k, v in action(action="dismiss").items() if k != "rank"}
    response = await http.post(served.url("/v1/feedback"), json=body)
    assert response.status == 422
    (error,) = (await response.json())["errors"]
    assert error == {"field": "rank", "message": "required for dismiss: the rank of the suggestion acted on, 1 first"}
    document = await (await http.get(served.url("/openapi.json"))).json()
    rank = document["components"]["schemas"]["FeedbackBody"]["properties"]["rank"]
    assert rank["description"].startswith("required for every action but cue_wrong")
    cue = {k: v for k, v in action(action="cue_wrong", cue="anger", entry_id="").items() if k != "rank"}
    await recorded(served)
    assert (await http.post(served.url("/v1/feedback"), json=cue)).status == 200  # a cue needs no rank


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
    await recorded(served, conversation="12")
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
    by_inbox = await serve(
        configured, shops=[ShopRecord("shop-b", "B", {"chatwoot_account": "5", "chatwoot_inboxes": [7]})]
    )
    # the account's conversations go by inbox: without one the panel outside Chatwoot cannot say whose
    response = await http.post(
        by_inbox.url("/panel/send"), json=action(shop="shop-b", conversation_id="12", account_id=5)
    )
    assert response.status == 422
    assert (await response.json())["errors"][0]["field"] == "inbox_id"
    response = await http.post(
        by_inbox.url("/panel/send"), json=action(shop="shop-b", conversation_id="12", account_id=5, inbox_id=8)
    )
    assert (response.status, (await response.json())["errors"][0]["field"]) == (403, "account_id")
    refused = await serve(make_settings(chatwoot_url=chatwoot_stand_in.url, chatwoot_api_token="wrong"))
    await recorded(refused, conversation="12")
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


async def test_try_says_how_long_the_suggestion_took(serve: ServeFactory, http: ClientSession) -> None:
    # a user test: /panel/try always answered `suggest_ms: 0.0`; it is timed as /v1/suggest is
    served = await serve()
    started = time.perf_counter()
    response = await http.post(served.url("/panel/try"), json={"text": "什么时候发货", "earlier": "calm"})
    elapsed_ms = (time.perf_counter() - started) * 1000
    event = await response.json()
    assert response.status == 200 and event["suggestions"], event
    assert 0 < event["suggest_ms"] <= elapsed_ms, (event["suggest_ms"], elapsed_ms)


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


async def test_try_answers_from_the_shop_asked_for(serve: ServeFactory, http: ClientSession) -> None:
    """A user test: /panel/try ignored `shop` (the operator always got the default shop, a shop's
    token asking for another shop silently got its own). The operator gets the shop asked for (404
    naming `shop` for an unknown one), a shop's token asking for another shop a 403 naming `shop`;
    without `shop`, the token's own shop (the default shop for the operator)."""
    tokens = TokenBook()
    _, agent = await tokens.create_token("other", "agent")
    served = await serve(make_settings(admin_token=Secret("operator-secret")), tokens=tokens)
    operator = {"Authorization": "Bearer operator-secret"}
    mine = {"Authorization": f"Bearer {agent}"}
    url = served.url("/panel/try")
    message = {"text": "什么时候发货", "earlier": "calm"}
    for headers, asked, shown in (
        (operator, {"shop": "other"}, "other"),
        (operator, {}, "demo"),
        (mine, {}, "other"),
        (mine, {"shop": "other"}, "other"),
    ):
        for in_body in (True, False):
            body, query = ({**message, **asked}, {}) if in_body else (message, asked)
            response = await http.post(url, json=body, params=query, headers=headers)
            event = await response.json()
            assert (response.status, event.get("shop")) == (200, shown), (asked, in_body, event)
    for headers, query, status in ((operator, {"shop": "nowhere"}, 404), (mine, {"shop": "demo"}, 403)):
        for in_body in (True, False):
            body, params = ({**message, **query}, {}) if in_body else (message, query)
            response = await http.post(url, json=body, params=params, headers=headers)
            payload = await response.json()
            assert response.status == status, (query, in_body, payload)
            assert [e["field"] for e in payload["errors"]] == ["shop"], payload
    both = await http.post(url, json={**message, "shop": "other"}, params={"shop": "demo"}, headers=operator)
    assert both.status == 422 and [e["field"] for e in (await both.json())["errors"]] == ["shop"]


async def test_feedback_takes_integer_ids_as_their_decimal_string(serve: ServeFactory, http: ClientSession) -> None:
    """A second reading: `/v1/suggest` took a platform's numeric ids, `/v1/feedback` refused them."""
    tokens = TokenBook()
    _, secret = await tokens.create_token("shop-a", "agent")
    served = await serve(tokens=tokens)
    await recorded(served, conversation="4242", message="9007199254740993", shop="shop-a")
    headers = {"Authorization": f"Bearer {secret}"}
    body = action(shop="shop-a", conversation_id=4242, message_id=9007199254740993)
    response = await http.post(served.url("/v1/feedback"), json=body, headers=headers)
    assert response.status == 200, await response.text()
    (stored,) = await served.app[keys.STORE].feedback("shop-a", "4242")
    assert stored.message_id == "9007199254740993"
    for field, value in (("conversation_id", 1.5), ("message_id", True)):
        response = await http.post(served.url("/v1/feedback"), json={**body, field: value}, headers=headers)
        payload = await response.json()
        assert response.status == 422 and [e["field"] for e in payload["errors"]] == [field], payload
