"""The error contract: every route answers bad input with its status and the one envelope."""

from __future__ import annotations

import asyncio
import enum
import json
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec
import pytest
from aiohttp.test_utils import TestClient

from assistant.emotion.types import EmotionReading
from assistant.retrieval.types import Turn
from assistant.service.errors import Unprocessable
from assistant.service.schemas import SuggestBody, decode, ignored_fields, is_blank
from assistant.service.settings import Secret

from .conftest import WEBHOOK_SECRET, ClientFactory, make_settings
from .helpers import dumps, signed_headers, suggest_body

ENVELOPE = {"ok", "status", "error", "errors", "request_id"}
ROOT = Path(__file__).resolve().parents[2]
JSON = {"Content-Type": "application/json"}
OPERATOR = "operator-secret-for-the-error-tests"


async def assert_envelope(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    assert response.status == status, await response.text()
    assert response.content_type == "application/json"
    payload: dict[str, Any] = await response.json()
    assert set(payload) == ENVELOPE
    assert payload["ok"] is False and payload["status"] == status
    assert payload["errors"], payload
    assert all(set(e) == {"field", "message"} for e in payload["errors"])
    assert "Traceback" not in await response.text()
    if field is not None:
        assert payload["errors"][0]["field"] == field, payload
    return payload


def _signed(body: bytes) -> dict[str, str]:
    return signed_headers(WEBHOOK_SECRET, body)


BAD_BODIES: list[tuple[str, bytes, int, str]] = [
    ("malformed JSON", b'{"shop": ', 400, "body"),
    ("not an object", b"[1, 2]", 422, "body"),
    ("missing text", dumps({"shop": "s", "conversation_id": "c", "message": {"id": "1"}}), 422,
     "message.text"),
    ("empty text", dumps(suggest_body("   ")), 422, "message.text"),
    ("zero-width text", dumps(suggest_body("\u200b\ufeff\u200d")), 422, "message.text"),
    ("control characters", dumps(suggest_body("\x00\x07\u3000\u2028")), 422, "message.text"),
    ("invisible turn", dumps(suggest_body(turns=[{"role": "customer", "text": "\u2060\u200e"}])), 422,
     "turns.0.text"),
    # past HUASHU_MAX_REPLY_CHARS: 413 on both routes (the webhook takes a customer text longer than
    # HUASHU_MAX_TEXT_CHARS, /v1/suggest does not: tests/service/platforms/test_long_messages.py)
    ("text over the limit", dumps(suggest_body("快" * 8001)), 413, "message.text"),
    ("wrong type", dumps({**suggest_body(), "k": "five"}), 422, "k"),
    ("k of none", dumps({**suggest_body(), "k": 0}), 422, "k"),
    ("k past HUASHU_MAX_SUGGESTIONS", dumps({**suggest_body(), "k": 100}), 422, "k"),  # was capped silently
    ("unknown role", dumps(suggest_body(turns=[{"role": "bot", "text": "x"}])), 422,
     "turns.0.role"),
    # a user test (7 December 2026): "x1\u0000\n" was stored as a conversation beside x1
    ("control in conversation_id", dumps({**suggest_body(), "conversation_id": "x1\u0000\n"}), 422,
     "conversation_id"),
    ("space around message.id", dumps({**suggest_body(), "message": {"id": " m1", "text": "在吗"}}), 422,
     "message.id"),
    ("zero-width in shop", dumps({**suggest_body(), "shop": "demo\u200b"}), 422, "shop"),
]  # fmt: skip


@pytest.mark.parametrize("route", ["/v1/suggest", "/v1/webhooks/generic"])
@pytest.mark.parametrize(("case", "body", "status", "field"), BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
async def test_bad_bodies(
    client: TestClient[Any, Any], route: str, case: str, body: bytes, status: int, field: str
) -> None:
    response = await client.post(route, data=body, headers=_signed(body))
    await assert_envelope(response, status, field)


@pytest.mark.parametrize("route", ["/v1/suggest", "/v1/webhooks/generic"])
async def test_a_lone_surrogate_escape_is_named_not_called_truncated(client: TestClient[Any, Any], route: str) -> None:
    # msgspec calls \ud83d without its low half "Input data was truncated" (a user test: the client
    # went looking for a cut body); a whole pair is an emoji and is accepted
    body = dumps(suggest_body("在吗PLACE")).replace(b"PLACE", rb"\ud83d")
    payload = await assert_envelope(await client.post(route, data=body, headers=_signed(body)), 400, "body")
    message = payload["errors"][0]["message"]
    assert "\\ud83d" in message and "surrogate" in message and "truncated" not in message, message
    whole = dumps(suggest_body("在吗PLACE")).replace(b"PLACE", rb"\ud83d\ude00")
    response = await client.post(route, data=whole, headers=_signed(whole))
    assert response.status in (200, 202), await response.text()


@pytest.mark.parametrize("route", ["/v1/suggest", "/v1/webhooks/generic"])
@pytest.mark.parametrize("body", [b"", b"  \n"])
async def test_an_empty_body_is_called_empty_not_truncated(
    client: TestClient[Any, Any], route: str, body: bytes
) -> None:
    payload = await assert_envelope(await client.post(route, data=body, headers=_signed(body)), 400, "body")
    message = payload["errors"][0]["message"]
    assert "empty body" in message and "truncated" not in message, message


@pytest.mark.parametrize("route", ["/v1/suggest", "/v1/webhooks/generic"])
async def test_real_text_with_invisible_characters_is_accepted(client: TestClient[Any, Any], route: str) -> None:
    body = dumps(suggest_body("\ufeff在吗\u200b？", turns=[{"role": "customer", "text": "\u200b😡"}]))
    response = await client.post(route, data=body, headers=_signed(body))
    assert response.status in (200, 202), await response.text()


@pytest.mark.parametrize("route", ["/v1/suggest", "/v1/webhooks/generic"])
async def test_null_for_an_optional_field_is_taken_as_absent(client: TestClient[Any, Any], route: str) -> None:
    body = suggest_body("在吗？")
    body.update(shop=None, turns=None, k=None)
    body["message"].update(time=None, agent_id=None, agent_name=None)
    data = dumps(body)
    response = await client.post(route, data=data, headers=_signed(data))
    assert response.status in (200, 202), await response.text()


async def test_the_documented_error_example_is_what_the_service_answers(client: TestClient[Any, Any]) -> None:
    """README.md and docs/service.md show the answer to an empty message text: the same keys in
    the same order, the same values, but for the request id."""
    response = await client.post("/v1/suggest", json={"conversation_id": "c1", "message": {"id": "m1", "text": ""}})
    answered = await response.json()
    assert response.status == 422 and answered.pop("request_id")
    for doc in (ROOT / "README.md", ROOT / "docs" / "service.md"):
        found = re.search(r'\{"ok": false, "status": 422,.*?"request_id": "\.\.\."\}', doc.read_text("utf-8"), re.S)
        assert found, f"{doc.name}: no error example"
        shown = json.loads(found.group(0))
        assert shown.pop("request_id") == "..."
        assert list(shown.items()) == list(answered.items()), doc.name


@pytest.mark.parametrize("route", ["/v1/suggest", "/v1/webhooks/generic", "/v1/webhooks/chatwoot"])
async def test_wrong_content_type(client: TestClient[Any, Any], route: str) -> None:
    body = dumps(suggest_body())
    headers = {**_signed(body), "Content-Type": "text/plain"}
    response = await client.post(route, data=body, headers=headers)
    await assert_envelope(response, 415, "Content-Type")


@pytest.mark.parametrize("route", ["/v1/suggest", "/v1/webhooks/generic"])
async def test_every_wrong_field_is_named(client: TestClient[Any, Any], route: str) -> None:
    """A user test (7 December 2026): three wrong fields, one named; fixing it showed the next."""
    # an integer id is taken as its decimal string (test_webhooks.py); a float or a boolean is wrong
    body = dumps({"conversation_id": 1.5, "message": {"id": True, "text": ["a"]}, "k": "five"})
    answered = await assert_envelope(await client.post(route, data=body, headers=_signed(body)), 422)
    named = [e["field"] for e in answered["errors"]]
    assert named == ["conversation_id", "message.id", "message.text", "k"], answered
    body = dumps({"message": {"text": "在吗"}})  # two required fields missing
    answered = await assert_envelope(await client.post(route, data=body, headers=_signed(body)), 422)
    assert sorted(e["field"] for e in answered["errors"]) == ["conversation_id", "message.id"], answered


@pytest.mark.parametrize("route", ["/v1/suggest", "/v1/webhooks/generic", "/v1/webhooks/chatwoot"])
async def test_a_body_in_another_charset_is_415_naming_it(client: TestClient[Any, Any], route: str) -> None:
    """A user test (7 December 2026): a GBK body sent as `charset=gbk` was a 400 "Invalid UTF-8"."""
    body = json.dumps(suggest_body("鹅绒被有货吗"), ensure_ascii=False).encode("gbk")
    headers = {**_signed(body), "Content-Type": "application/json; charset=gbk"}
    response = await client.post(route, data=body, headers=headers)
    answered = await assert_envelope(response, 415, "Content-Type")
    assert "UTF-8" in json.dumps(answered, ensure_ascii=False) and "gbk" in json.dumps(answered)
    utf8 = {**_signed(dumps(suggest_body())), "Content-Type": "application/json; charset=UTF-8"}
    assert (await client.post(route, data=dumps(suggest_body()), headers=utf8)).status != 415


async def test_body_over_the_limit(make_client: ClientFactory) -> None:
    client = await make_client(make_settings(max_body_bytes=2048))
    body = dumps(suggest_body("好" * 3000))
    response = await client.post("/v1/suggest", data=body, headers=JSON)
    await assert_envelope(response, 413, "body")


@pytest.mark.parametrize("route", ["/v1/webhooks/generic", "/v1/webhooks/chatwoot"])
async def test_unsigned_webhooks(client: TestClient[Any, Any], route: str) -> None:
    response = await client.post(route, data=dumps(suggest_body()), headers=JSON)
    payload = await assert_envelope(response, 401)
    assert payload["errors"][0]["field"].endswith("-Timestamp")


@pytest.mark.parametrize(
    ("method", "route"),
    [
        ("GET", "/v1/suggest"),
        ("PUT", "/v1/webhooks/generic"),
        ("GET", "/v1/webhooks/chatwoot"),
        ("POST", "/healthz"),
        ("POST", "/readyz"),
        ("DELETE", "/metrics"),
        ("POST", "/openapi.json"),
    ],
)
async def test_wrong_method(client: TestClient[Any, Any], method: str, route: str) -> None:
    response = await client.request(method, route)
    await assert_envelope(response, 405, "method")
    assert response.headers["Allow"]


async def test_unknown_route(client: TestClient[Any, Any]) -> None:
    await assert_envelope(await client.get("/v1/nothing-here"), 404, "path")


class ExplodingDetector:
    def read(
        self, text: str, context: Sequence[Turn], query_vector: Any = None, *, thresholds: Any = None
    ) -> EmotionReading:
        raise RuntimeError("secret internals /etc/passwd")


async def test_unexpected_failure_is_a_500_without_traceback(make_client: ClientFactory) -> None:
    client = await make_client(detector=ExplodingDetector())
    response = await client.post("/v1/suggest", json=suggest_body("在吗"))
    payload = await assert_envelope(response, 500, "server")
    assert payload["error"] == "internal error"
    assert "passwd" not in await response.text()


async def test_full_queue_answers_429_at_once(make_client: ClientFactory, model_worker: Any) -> None:
    texts = [f"第{i}件商品有货吗" for i in range(6)]
    cost = max(model_worker.embedder.query_tokens(t) for t in texts)
    client = await make_client(make_settings(queue_tokens=3 * cost, batch_max_size=1))
    gate = threading.Event()
    blocker = model_worker.submit(gate.wait)  # the model thread is busy until the gate opens
    try:
        tasks = [
            asyncio.ensure_future(
                client.post(
                    "/v1/suggest",
                    json=suggest_body(text, conversation_id=f"q{i}"),
                )
            )
            for i, text in enumerate(texts)
        ]
        # Tokens for 3 texts outstanding (1 in the model call, 2 queued): the other 3 are refused at once.
        done: set[asyncio.Future[Any]] = set()
        pending = set(tasks)
        while len(done) < 3:
            finished, pending = await asyncio.wait(pending, timeout=30, return_when=asyncio.FIRST_COMPLETED)
            assert finished, "no 429 came back while the model was busy"
            done |= finished
        for task in done:
            response = task.result()
            await assert_envelope(response, 429)
            assert response.headers["Retry-After"] == "1"
    finally:
        gate.set()
        blocker.result()
    statuses = sorted([(await t).status for t in tasks])
    assert statuses.count(429) >= 3 and statuses.count(200) >= 1
    assert set(statuses) <= {200, 429}


def test_an_emoji_newer_than_the_unicode_tables_is_not_blank() -> None:
    """🫨 (Unicode 15) is an unassigned code point to Python 3.11's tables, yet a customer sees it."""
    assert not is_blank("\U0001fae8") and not is_blank("\U0001fae8\u200b")
    assert is_blank("\u200b\ufeff \x00")


async def test_an_unknown_query_parameter_is_refused_naming_it(client: TestClient[Any, Any]) -> None:
    # a user test: ?day=7 answered for the default 30 days, ?shop= on /v1/suggest chose nothing
    payload = await assert_envelope(await client.get("/v1/admin/shops/demo/gaps?day=7"), 422, "day")
    assert "unknown query parameter" in payload["errors"][0]["message"]
    assert "did you mean `days`?" in payload["errors"][0]["message"], payload
    body = dumps(suggest_body("在吗"))
    payload = await assert_envelope(await client.post("/v1/suggest?shop=other", data=body), 422, "shop")
    assert "takes none" in payload["errors"][0]["message"], payload
    payload = await assert_envelope(await client.get("/v1/admin/shops/demo/gaps?dayz=1&limt=2&days=3"), 422)
    assert [e["field"] for e in payload["errors"]] == ["dayz", "limt"]
    # what a route documents, and the token everywhere, pass through to the handler
    assert (await client.post("/v1/suggest?token=", json=suggest_body("在吗"))).status == 200
    passed = await client.get("/v1/admin/shops/demo/gaps?days=7&limit=5")  # whatever the handler says of it
    assert "unknown query parameter" not in await passed.text()
    assert (await client.get("/panel?anything=1")).status != 422


async def test_a_misspelt_body_field_is_named_with_the_field_meant(make_client: ClientFactory) -> None:
    # a user test: {"anwser": ...} on a gap's close answered `anwser: unknown field`, and
    # {"conversationId", "msg"} on /v1/suggest only `conversation_id: required`, with no hint
    # of what was meant (query parameters had one: test_an_unknown_query_parameter_...)
    client = await make_client(make_settings(admin_token=Secret(OPERATOR)))
    auth = {"Authorization": f"Bearer {OPERATOR}"}
    closed = await client.post("/v1/admin/shops/demo/gaps/g-1/close", json={"anwser": "亲，有的"}, headers=auth)
    payload = await assert_envelope(closed, 422, "anwser")
    assert payload["errors"][0]["message"] == "unknown field (did you mean 'answer'?)", payload
    assert payload["error"] == "anwser: unknown field (did you mean 'answer'?)", payload
    far = await client.post("/v1/admin/shops/demo/gaps/g-1/close", json={"zzzz": 1}, headers=auth)
    assert (await assert_envelope(far, 422, "zzzz"))["errors"][0]["message"] == "unknown field"
    camel = {"conversationId": "c1", "msg": {"id": "m1", "text": "在吗"}}
    payload = await assert_envelope(await client.post("/v1/suggest", json=camel, headers=auth), 422, "conversation_id")
    message = payload["errors"][0]["message"]
    assert message.startswith("required") and "did you mean 'conversation_id'?" in message, payload
    assert "'conversationId'" in message, payload
    nested = {"conversation_id": "c1", "message": {"id": "m1", "txt": "在吗"}}
    payload = await assert_envelope(await client.post("/v1/suggest", json=nested, headers=auth), 422, "message.text")
    assert "did you mean 'message.text'?" in payload["errors"][0]["message"], payload
    # no unknown key close to the missing field: no hint
    bare = {"message": {"id": "m1", "text": "在吗"}, "other": 1}
    payload = await assert_envelope(await client.post("/v1/suggest", json=bare, headers=auth), 422, "conversation_id")
    assert payload["errors"][0]["message"] == "required", payload


@pytest.mark.parametrize("route", ["/v1/suggest", "/v1/webhooks/generic"])
async def test_sender_and_role_are_one_field_spelt_either_way(client: TestClient[Any, Any], route: str) -> None:
    # A user test: a turn written as the message is, {"sender": "customer", "text": ...}, was a 422,
    # and a message's `role` too: who wrote a turn or the message is said either way
    turns = [{"sender": "customer", "text": "新疆能发吗"}]
    crossed = dumps(suggest_body("那西藏呢", conversation_id="alias-1", turns=turns))
    answered = await client.post(route, data=crossed, headers=_signed(crossed))
    assert answered.status == 200, await answered.text()
    assert (await answered.json())["warnings"] == []
    body = suggest_body("亲，马上为您查询～", conversation_id="alias-2", message_id="alias-m1")
    body["message"] = {"id": "alias-m1", "text": "亲，马上为您查询～", "role": "agent"}
    data = dumps(body)
    answered = await client.post(route, data=data, headers=_signed(data))
    payload = await answered.json()
    assert answered.status == 200 and payload["recorded"] == "agent" and payload["warnings"] == [], payload
    # a wrong value under the other spelling, read as the field, is named as written
    body = suggest_body("在吗", turns=[{"sender": "bot", "text": "x"}])
    data = dumps(body)
    payload = await assert_envelope(await client.post(route, data=data, headers=_signed(data)), 422, "turns.0.sender")
    assert payload["errors"][0]["message"] == "Invalid enum value 'bot' (expected one of: customer, agent)", payload
    # neither: required, as before
    body = suggest_body("在吗", turns=[{"text": "x"}])
    data = dumps(body)
    payload = await assert_envelope(await client.post(route, data=data, headers=_signed(data)), 422, "turns.0.role")
    assert payload["errors"][0]["message"] == "required", payload


@pytest.mark.parametrize("route", ["/v1/suggest", "/v1/webhooks/generic"])
async def test_the_field_given_wins_and_its_other_spelling_beside_it_is_ignored(
    client: TestClient[Any, Any], route: str
) -> None:
    # Chat platforms send `sender` for a display name and `role` for user/assistant: beside the
    # field itself, the other spelling is not read (it was a 422 for a while), only warned about
    body = suggest_body("查下物流", conversation_id="alias-3", message_id="alias-m3")
    body["message"].update(sender="customer", role="buyer")
    body["turns"] = [{"role": "customer", "text": "在吗", "sender": "zhangsan"}, {"role": "agent", "text": "亲，在的"}]
    data = dumps(body)
    answered = await client.post(route, data=data, headers=_signed(data))
    assert answered.status == 200, await answered.text()
    payload = await answered.json()
    assert payload["warnings"] == [
        "`message.role` ignored: `message.sender` is given and read (`role` is read as `sender` only without it)",
        "`turns.0.sender` ignored: `turns.0.role` is given and read (`sender` is read as `role` only without it)",
    ], payload
    # both valid and disagreeing: the field itself is read, never a 422
    body = suggest_body("好的", conversation_id="alias-4", message_id="alias-m4")
    body["message"].update(sender="agent", role="customer")
    data = dumps(body)
    answered = await client.post(route, data=data, headers=_signed(data))
    payload = await answered.json()
    assert answered.status == 200 and payload["recorded"] == "agent", payload
    assert payload["warnings"] == [
        "`message.role` ignored: `message.sender` is given and read (`role` is read as `sender` only without it)"
    ], payload


def test_a_turn_s_sender_and_a_message_s_role_are_read() -> None:
    body = suggest_body("好的", turns=[{"sender": "agent", "text": "亲，在的"}, {"role": "customer", "text": "在吗"}])
    body["message"] = {"id": "m-1", "text": "好的", "role": "agent"}
    decoded = decode(dumps(body), SuggestBody)
    assert [t.role for t in decoded.turns or []] == ["agent", "customer"] and decoded.message.sender == "agent"
    assert ignored_fields(dumps(body)) == []
    body["message"]["sender"] = "customer"  # beside the field: not read
    body["turns"][1]["sender"] = "张三"
    decoded = decode(dumps(body), SuggestBody)
    assert [t.role for t in decoded.turns or []] == ["agent", "customer"] and decoded.message.sender == "customer"


def test_a_body_is_decoded_once_unless_an_other_spelling_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    # `"sender"` is in nearly every body (a message's own field) and `"role"` in every turn: the
    # body is walked and encoded again only when a field is given under its other spelling alone
    from assistant.service import schemas

    encoded: list[object] = []
    real_encode = schemas.msgspec.json.encode
    monkeypatch.setattr(schemas.msgspec.json, "encode", lambda v, *a, **k: encoded.append(v) or real_encode(v))
    plain = suggest_body("在吗", turns=[{"role": "customer", "text": "在吗"}])
    plain["message"]["sender"] = "customer"
    decode(dumps(plain), SuggestBody)
    plain["turns"][0]["sender"] = "张三"  # beside `role`: ignored, nothing to move
    decode(dumps(plain), SuggestBody)
    assert encoded == []
    decode(dumps(suggest_body("在吗", turns=[{"sender": "customer", "text": "在吗"}])), SuggestBody)
    assert [type(v) for v in encoded if isinstance(v, dict)] == [dict]  # the body, once (its `sender` checked too)


async def test_the_openapi_document_names_both_spellings(client: TestClient[Any, Any]) -> None:
    schemas = (await (await client.get("/openapi.json")).json())["components"]["schemas"]
    turn, message = schemas["TurnIn"], schemas["MessageIn"]
    assert turn["properties"]["sender"]["enum"] == turn["properties"]["role"]["enum"]
    assert "role" not in turn.get("required", [])
    assert turn["anyOf"] == [{"required": ["role"]}, {"required": ["sender"]}]
    assert "another spelling of `role`" in turn["properties"]["sender"]["description"]
    assert "only without" in turn["properties"]["sender"]["description"]
    assert "another spelling of `sender`" in message["properties"]["role"]["description"]


@pytest.mark.parametrize("route", ["/v1/suggest", "/v1/webhooks/generic"])
async def test_a_value_outside_a_field_s_choices_is_told_the_choices(client: TestClient[Any, Any], route: str) -> None:
    """A user test: `message.sender: "bot"` answered `Invalid enum value 'bot'`, without the values
    it may take; each such field says them, the first wrong one and every other (a turn's `role`)."""
    body = suggest_body(turns=[{"role": "customer", "text": "在吗"}, {"role": "system", "text": "x"}])
    body["message"]["sender"] = "bot"
    data = dumps(body)
    payload = await assert_envelope(await client.post(route, data=data, headers=_signed(data)), 422, "message.sender")
    expected = "Invalid enum value 'bot' (expected one of: customer, agent)"
    assert payload["error"] == f"message.sender: {expected}", payload
    assert payload["errors"] == [
        {"field": "message.sender", "message": expected},
        {"field": "turns.1.role", "message": "Invalid enum value 'system' (expected one of: customer, agent)"},
    ], payload


class _Speed(enum.Enum):
    FAST = "fast"
    SLOW = "slow"


class _Level(msgspec.Struct):
    level: Annotated[Literal["low", "high"], msgspec.Meta(description="how loud")] | None = None


class _Choices(msgspec.Struct, forbid_unknown_fields=True, rename="camel"):
    the_speed: _Speed | None = None
    levels: list[_Level] = []
    by_name: dict[str, Literal[1, 2]] = {}
    pair: tuple[int, Literal["x", "y"]] = (0, "x")


@pytest.mark.parametrize(
    ("body", "field", "said"),
    [(b'{"theSpeed": "warp"}', "theSpeed", "Invalid enum value 'warp' (expected one of: fast, slow)"),
     (b'{"levels": [{}, {"level": "mid"}]}', "levels.1.level", "Invalid enum value 'mid' (expected one of: low, high)"),
     (b'{"byName": {"k": 3}}', "byName[...]", "Invalid enum value 3 (expected one of: 1, 2)"),
     (b'{"pair": [1, "z"]}', "pair.1", "Invalid enum value 'z' (expected one of: x, y)")],
)  # fmt: skip
def test_every_enum_and_literal_error_names_the_values_as_written(body: bytes, field: str, said: str) -> None:
    """The values come from the field's annotation wherever it sits (an enum, a `Literal` under
    `Annotated` or `| None`, in a list, a dict or a tuple), in the order written."""
    with pytest.raises(Unprocessable) as caught:
        decode(body, _Choices)
    assert [(e.field, e.message) for e in caught.value.errors] == [(field, said)]


async def test_a_token_role_outside_the_roles_is_told_the_roles(make_client: ClientFactory) -> None:
    """A user test: a token of role `superuser` answered `role: Invalid enum value 'superuser'`."""
    client = await make_client(make_settings(admin_token=Secret(OPERATOR)))
    auth = {"Authorization": f"Bearer {OPERATOR}"}
    made = await client.post("/v1/admin/shops/demo/tokens", json={"role": "superuser"}, headers=auth)
    payload = await assert_envelope(made, 422, "role")
    assert payload["error"] == "role: Invalid enum value 'superuser' (expected one of: agent, admin)", payload


@pytest.mark.parametrize("header", [OPERATOR, f"Token {OPERATOR}", "Bearer ", f"bearer{OPERATOR}"])
@pytest.mark.parametrize("route", ["/v1/suggest", "/v1/admin/shops/demo/gaps/g-1/close"])
async def test_an_authorization_header_without_bearer_says_the_scheme(
    make_client: ClientFactory, header: str, route: str
) -> None:
    # a user test: `Authorization: <token>` answered "a token is required", though one was sent
    client = await make_client(make_settings(admin_token=Secret(OPERATOR)))
    response = await client.post(route, json=suggest_body("在吗"), headers={"Authorization": header})
    payload = await assert_envelope(response, 401, "Authorization")
    message = payload["errors"][0]["message"]
    assert "Bearer <token>" in message and "must be" in message and "required" not in message, message
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="huashu", error="invalid_request"'
    missing = await client.post(route, json=suggest_body("在吗"))  # no header at all: as before
    assert "a token is required" in (await assert_envelope(missing, 401, "Authorization"))["error"]
    assert missing.headers["WWW-Authenticate"] == 'Bearer realm="huashu"'
