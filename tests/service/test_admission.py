"""Admission counts cost, not requests (issue 10, item 3): a text costs the tokens the model
reads for it; long texts have their own lane and budget, so short texts never wait behind them,
and a request that would pass what is left of its lane's budget answers 429 with Retry-After.
Every test here holds a model thread on a gate instead of timing anything."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from assistant.service import keys
from assistant.service.admission import Lane, Pending, Query
from assistant.service.batching import ModelWorker

from .conftest import ClientFactory, make_settings
from .helpers import suggest_body
from .test_errors import assert_envelope

LONG = ("你好，我上周买的那件羽绒服到现在还没收到，物流一直显示在中转站，能帮我查一下吗？" * 40)[:1000]
OTHER_LONG = ("请问这款沙发的面料是真皮还是科技布，坐垫能不能拆洗，颜色和图片有没有色差？" * 40)[:1000]


async def _never(texts: list[str]) -> Any:
    raise AssertionError("not encoded in this test")


def _pending(lane: Lane, tokens: int) -> Pending:
    return Pending(f"k{tokens}", Query("x", tokens), lane, asyncio.get_running_loop().create_future(), waiters=1)


async def test_a_lane_admits_by_tokens_left_and_always_when_idle() -> None:
    lane = Lane("short", budget=100, max_batch=4, encode=_never)
    assert lane.admits(5000)  # idle: even a text larger than the budget gets its turn
    lane.add(_pending(lane, 60))
    assert lane.admits(40) and not lane.admits(41)  # what is left, not a count of requests
    batch, abandoned = lane.take_batch()
    assert [p.query.tokens for p in batch] == [60] and not abandoned
    assert not lane.admits(41)  # tokens being encoded are still outstanding
    lane.finished(batch, seconds=3.0)
    assert lane.outstanding == 0 and lane.admits(5000)
    lane.add(_pending(lane, 90))
    assert lane.retry_after(1) == 5  # 90 tokens at the measured 0.05 s per token


async def test_a_lane_skips_texts_every_request_gave_up() -> None:
    lane = Lane("long", budget=1000, max_batch=1, encode=_never)
    given_up, wanted = _pending(lane, 300), _pending(lane, 200)
    given_up.waiters = 0
    lane.add(given_up)
    lane.add(wanted)
    batch, abandoned = lane.take_batch()
    assert batch == [wanted] and abandoned == [given_up] and lane.outstanding == 200


def test_a_texts_cost_is_the_tokens_the_model_reads(model_worker: ModelWorker) -> None:
    embedder: Any = model_worker.embedder
    assert embedder.query_tokens("快递几天能到") < 16
    assert embedder.query_tokens(embedder.truncate(LONG)) <= 512 < embedder.query_tokens(LONG)
    tail = embedder.truncate("开头" + LONG, keep_end=True)
    assert LONG.endswith(tail) and embedder.query_tokens(tail) <= 512


@pytest.fixture
def long_lane_gate(model_worker: ModelWorker) -> Any:
    """The long lane's model thread held busy until the test opens the gate."""
    gate = threading.Event()
    blocker = model_worker.submit_long(gate.wait)
    yield gate
    gate.set()
    blocker.result()


async def test_short_texts_do_not_wait_behind_long_ones_and_a_full_long_lane_answers_429(
    make_client: ClientFactory, long_lane_gate: threading.Event
) -> None:
    client: TestClient[Any, Any] = await make_client(make_settings(long_queue_tokens=600, request_timeout_s=120))
    encoder = client.app[keys.ENCODER]
    long = asyncio.ensure_future(client.post("/v1/suggest", json=suggest_body(LONG, conversation_id="hostile-1")))
    while encoder.long.outstanding == 0:  # admitted to the long lane (the lane was idle)
        await asyncio.sleep(0.01)
    assert 128 < encoder.long.outstanding <= 512 and not long.done()

    # The long lane is busy; a short message is answered all the same (its own lane and thread).
    short = await client.post("/v1/suggest", json=suggest_body("快递几天能到", conversation_id="normal"))
    assert short.status == 200, await short.text()
    assert not long.done()

    # A second long text would pass the long lane's 600 tokens: refused at once, nothing queued.
    before = encoder.long.outstanding
    refused = await client.post("/v1/suggest", json=suggest_body(OTHER_LONG, conversation_id="hostile-2"))
    payload = await assert_envelope(refused, 429, "queue")
    assert f"{before} of 600 tokens of long texts" in payload["errors"][0]["message"]
    assert int(refused.headers["Retry-After"]) >= 1
    assert encoder.long.outstanding == before and len(encoder.long.queue) == 0

    long_lane_gate.set()
    answered = await long
    assert answered.status == 200 and (await answered.json())["truncated"] is True
    assert encoder.long.outstanding == 0


async def test_with_one_lane_a_long_text_costs_the_short_lanes_budget(
    make_client: ClientFactory, model_worker: ModelWorker
) -> None:
    client: TestClient[Any, Any] = await make_client(
        make_settings(long_text_tokens=0, queue_tokens=600, request_timeout_s=120)
    )
    encoder = client.app[keys.ENCODER]
    gate = threading.Event()
    blocker = model_worker.submit(gate.wait)
    try:
        first = asyncio.ensure_future(client.post("/v1/suggest", json=suggest_body(LONG, conversation_id="one-1")))
        while encoder.short.outstanding == 0:
            await asyncio.sleep(0.01)
        refused = await client.post("/v1/suggest", json=suggest_body(OTHER_LONG, conversation_id="one-2"))
        await assert_envelope(refused, 429, "queue")
        assert encoder.long.outstanding == 0
    finally:
        gate.set()
        blocker.result()
    assert (await first).status == 200
