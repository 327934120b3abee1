"""`POST /v1/suggest` with the real model and the real demo snapshot."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from aiohttp.test_utils import TestClient

from assistant.service import keys

from .conftest import ClientFactory, make_settings
from .helpers import suggest_body


async def test_shipping_question_gets_a_shipping_answer(client: TestClient[Any, Any]) -> None:
    response = await client.post("/v1/suggest", json=suggest_body("快递几天能到"))
    assert response.status == 200, await response.text()
    payload = await response.json()
    assert payload["ok"] is True
    top = payload["suggestions"][0]
    assert "shipping" in top["tags"]
    assert {"text", "score", "source", "entry_id", "tags", "matched"} <= set(top)
    assert top["source"] == "faq"
    assert 0 < top["score"] <= 1
    assert len(payload["suggestions"]) == 5
    assert payload["emotion"].keys() == {"cues", "escalate", "escalation_reasons"}
    assert isinstance(payload["emotion"]["cues"], list)
    assert payload["index_version"] == (await client.app[keys.INDEX].get("demo")).index_version
    assert payload["timing"]["total_ms"] > 0
    assert response.headers["X-Request-Id"] == payload["request_id"]


async def test_unknown_fields_are_answered_with_a_warning_naming_the_field_meant(
    client: TestClient[Any, Any],
) -> None:
    # A user test: a typo'd `turn` for `turns` was accepted without a word, and the earlier turns
    # were silently not used. Unknown fields stay accepted (a platform may add its own), not silently.
    body = suggest_body("那西藏呢", conversation_id="typo-1", turn=[{"role": "customer", "text": "新疆能发吗"}])
    body["message"]["sendr"] = "customer"
    body["platform_extra"] = {"a": 1}
    payload = await (await client.post("/v1/suggest", json=body)).json()
    assert payload["warnings"] == [
        "unknown field `turn` ignored (did you mean `turns`?)",
        "unknown field `platform_extra` ignored",
        "unknown field `message.sendr` ignored (did you mean `message.sender`?)",
    ]
    plain = await (await client.post("/v1/suggest", json=suggest_body("在吗", conversation_id="typo-2"))).json()
    assert plain["warnings"] == []


async def test_k_limits_the_suggestions(client: TestClient[Any, Any]) -> None:
    response = await client.post("/v1/suggest", json=suggest_body("在吗", k=2))
    assert response.status == 200
    assert len((await response.json())["suggestions"]) == 2


async def test_repeated_message_is_served_from_the_cache(client: TestClient[Any, Any]) -> None:
    first_body = suggest_body("发什么快递", conversation_id="cache-1")
    again_body = suggest_body("发什么快递？ ", conversation_id="cache-2")
    first = await (await client.post("/v1/suggest", json=first_body)).json()
    again = await (await client.post("/v1/suggest", json=again_body)).json()
    assert first["timing"]["cache_hits"] == 0
    assert again["timing"]["cache_hits"] == 1
    assert [s["entry_id"] for s in again["suggestions"]] == [s["entry_id"] for s in first["suggestions"]]


async def test_earlier_turns_are_used_as_context(client: TestClient[Any, Any]) -> None:
    """ "那呢" alone is ambiguous; after a question about remote areas it is about shipping."""
    alone = await (await client.post("/v1/suggest", json=suggest_body("那西藏呢", conversation_id="ctx-0"))).json()
    turns = [
        {"role": "customer", "text": "新疆能发货吗，运费多少"},
        {"role": "agent", "text": "亲，新疆可以发的～需要补运费"},
    ]
    with_context = await (
        await client.post("/v1/suggest", json=suggest_body("那西藏呢", conversation_id="ctx-1", turns=turns))
    ).json()
    assert with_context["timing"]["cache_hits"] + 1 >= 1
    assert "shipping" in with_context["suggestions"][0]["tags"]
    assert alone["suggestions"]  # answered either way


async def test_remembered_turns_are_used_as_context(make_client: ClientFactory) -> None:
    """Without `turns`, the service uses what it remembers of the conversation."""
    client = await make_client()
    service = client.app[keys.SERVICE]
    memory = client.app[keys.MEMORY]
    first = suggest_body("新疆能发货吗，运费多少", conversation_id="mem", message_id="1")
    assert (await client.post("/v1/suggest", json=first)).status == 200
    second = suggest_body("那西藏呢", conversation_id="mem", message_id="2")
    response = await client.post("/v1/suggest", json=second)
    assert response.status == 200
    assert [t.text for t in await memory.turns(("demo", "mem"))] == ["新疆能发货吗，运费多少", "那西藏呢"]
    # The context text (earlier customer turn + message) was embedded: a second query text.
    assert client.app[keys.ENCODER].cache.hits + client.app[keys.ENCODER].cache.misses >= 3
    del service


async def test_agent_message_is_recorded_not_answered(make_client: ClientFactory) -> None:
    client = await make_client()
    body = suggest_body("亲，已经给您发顺丰了", conversation_id="agent-1", message_id="a1")
    body["message"]["sender"] = "agent"
    response = await client.post("/v1/suggest", json=body)
    payload = await response.json()
    assert response.status == 200
    assert payload["recorded"] == "agent" and payload["suggestions"] == []
    # nothing was suggested: no claim that it is "not answerable" (a user test read `false`), and
    # no answer record that coverage or gaps would count
    assert payload["answerable"] is None
    recorder = client.app[keys.RECORDER]
    await recorder.flush()
    rows = await recorder.store.messages("demo", "agent-1")
    assert [(r.role, r.text) for r in rows] == [("agent", "亲，已经给您发顺丰了")]
    history = await recorder.store.history("demo", "2000-01-01T00:00:00+00:00")
    assert [a for a in history.answers if a.conversation_id == "agent-1"] == []
    schema = client.app[keys.OPENAPI]["components"]["schemas"]["SuggestResponse"]["properties"]["answerable"]
    assert {"type": "null"} in schema["anyOf"] and "null for an agent's message" in schema["description"]


async def test_suggestions_are_recorded(make_client: ClientFactory) -> None:
    client = await make_client(make_settings())
    await client.post("/v1/suggest", json=suggest_body("可以开发票吗", conversation_id="rec"))
    recorder = client.app[keys.RECORDER]
    await recorder.flush()
    messages = await recorder.store.messages("demo", "rec")
    shown = await recorder.store.suggestions("demo", "rec")
    assert [m.role for m in messages] == ["customer"]
    assert [s.rank for s in shown] == [1, 2, 3, 4, 5]


async def test_an_angry_customer_gets_emotion_cues(client: TestClient[Any, Any]) -> None:
    text = "等了一个星期还没发货，你们太过分了！再不处理我就投诉给差评"
    response = await client.post("/v1/suggest", json=suggest_body(text, conversation_id="angry"))
    assert response.status == 200
    emotion = (await response.json())["emotion"]
    names = {cue["name"] for cue in emotion["cues"]}
    assert names & {"anger", "complaint_risk"}, emotion
    for cue in emotion["cues"]:
        assert set(cue) == {"name", "score", "level", "evidence", "tip"}
        assert cue["level"] in {"low", "medium", "high"}
        for span in cue["evidence"]:
            assert text[span["start"] : span["end"]] == span["text"]


async def test_a_message_id_used_again_for_another_text_is_a_409_and_the_first_record_stays(
    client: TestClient[Any, Any],
) -> None:
    """A caller reusing a message id for a new message would have the suggestions shown for 我要退货
    stored as shown for 包邮吗; the same message again (a retry) is answered again."""
    first = await client.post("/v1/suggest", json=suggest_body("包邮吗", conversation_id="dup", message_id="d1"))
    assert first.status == 200
    retry = await client.post("/v1/suggest", json=suggest_body("包邮吗 ", conversation_id="dup", message_id="d1"))
    assert retry.status == 200
    reused = await client.post("/v1/suggest", json=suggest_body("我要退货", conversation_id="dup", message_id="d1"))
    assert reused.status == 409
    error = await reused.json()
    assert error["errors"][0]["field"] == "message.id" and "'d1'" in error["error"]
    as_agent = await client.post(
        "/v1/suggest",
        json={**suggest_body("包邮吗", conversation_id="dup", message_id="d1"), "message": {
            "id": "d1", "text": "包邮吗", "sender": "agent"}},
    )  # fmt: skip
    assert as_agent.status == 409
    store = client.app[keys.STORE]
    assert [m.text for m in await store.messages("demo", "dup")] == ["包邮吗"]
    shown = {s.entry_id for s in await store.suggestions("demo", "dup")}
    assert shown == {s["entry_id"] for s in (await retry.json())["suggestions"]}  # the retry's, for 包邮吗
    elsewhere = await client.post("/v1/suggest", json=suggest_body("我要退货", conversation_id="dup2", message_id="d1"))
    assert elsewhere.status == 200  # ids are per conversation


async def test_one_message_id_sent_at_once_with_many_texts_is_answered_once(client: TestClient[Any, Any]) -> None:
    """A user test: ten texts sent at once under one id were all answered 200, the record holding
    快递几天能到 and the stored suggestions another text's. One is answered, the others are 409."""
    texts = ["快递几天能到", "四件套起球吗", "包邮吗", "能开发票吗", "可以退货吗", "有优惠券吗"]
    responses = await asyncio.gather(
        *(client.post("/v1/suggest", json=suggest_body(t, conversation_id="race", message_id="same")) for t in texts)
    )
    statuses = [r.status for r in responses]
    assert sorted(statuses) == [200] + [409] * (len(texts) - 1), statuses
    winner = texts[statuses.index(200)]
    answered = await responses[statuses.index(200)].json()
    store = client.app[keys.STORE]
    assert [m.text for m in await store.messages("demo", "race")] == [winner]
    assert {s.entry_id for s in await store.suggestions("demo", "race")} == {
        s["entry_id"] for s in answered["suggestions"]
    }
    again = await client.post("/v1/suggest", json=suggest_body(winner, conversation_id="race", message_id="same"))
    assert again.status == 200  # the same message again, once handled


async def test_a_retried_message_is_remembered_once_and_answered_as_the_first_time(
    client: TestClient[Any, Any],
) -> None:
    """A user test: three sends of 包邮吗 under one id left it three times among the earlier
    turns (and the panel's 最近对话 showed a retried message twice)."""
    memory = client.app[keys.MEMORY]
    first = await (
        await client.post("/v1/suggest", json=suggest_body("那我买了，几天能到北京？", conversation_id="rt"))
    ).json()
    for _ in range(2):
        again = await client.post("/v1/suggest", json=suggest_body("那我买了，几天能到北京？", conversation_id="rt"))
        assert again.status == 200
        body = await again.json()
        assert [s["entry_id"] for s in body["suggestions"]] == [s["entry_id"] for s in first["suggestions"]]
    assert [t.text for t in await memory.turns(("demo", "rt"))] == ["那我买了，几天能到北京？"]


async def test_a_message_time_in_the_future_is_not_taken_and_the_caller_is_told(client: TestClient[Any, Any]) -> None:
    """A user test: message.time 2999 was accepted silently; the message would come after every
    reply of its conversation in time order, and no reply would be matched to it."""
    body = suggest_body("快递几天能到", conversation_id="future", message_id="f1")
    body["message"]["time"] = "2999-01-01T00:00:00Z"
    answered = await (await client.post("/v1/suggest", json=body)).json()
    assert any("`message.time`" in w and "in the future" in w for w in answered["warnings"]), answered["warnings"]
    (stored,) = await client.app[keys.STORE].messages("demo", "future")
    assert stored.sent_at == stored.received_at
    soon = suggest_body("发什么快递", conversation_id="future", message_id="f2")
    soon["message"]["time"] = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)).isoformat()
    assert (await (await client.post("/v1/suggest", json=soon)).json())["warnings"] == []  # clocks differ a little
