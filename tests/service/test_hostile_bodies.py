"""Hostile bodies are cheap (issue 10, item 6): JSON nested 10,000 deep is a 400 in the
envelope; a client hanging up mid-body is counted as client-closed, never logged as an unhandled
error nor counted as a 500; a client that declares a Content-Length and stops sending gets a 408
and loses its connection (after aiohttp's 10 s lingering close at most)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from assistant.service import keys
from assistant.service.app import create_app
from assistant.service.batching import ModelWorker
from assistant.suggest.pipeline import Suggester

from .conftest import ClientFactory, make_settings


def deep_body(depth: int) -> bytes:
    head = b'{"shop":"demo","conversation_id":"c","message":{"id":"1","text":"hi","extra":'
    return head + b"[" * depth + b"]" * depth + b"}}"


@pytest.mark.parametrize("route", ["/v1/suggest", "/v1/feedback"])
async def test_json_nested_ten_thousand_deep_is_a_400(client: TestClient[Any, Any], route: str) -> None:
    response = await client.post(route, data=deep_body(10_000), headers={"Content-Type": "application/json"})
    body = await response.json()
    assert response.status == 400, body
    assert body["ok"] is False and body["errors"][0]["field"] == "body"
    assert "nested too deeply" in body["error"]


def counter(text: str, name: str) -> float:
    line = next(line for line in text.splitlines() if line.startswith(name + " "))
    return float(line.split()[-1])


@contextlib.asynccontextmanager
async def served_as_in_production(app: web.Application) -> AsyncIterator[tuple[str, int]]:
    """`web.run_app`'s server (no handler cancellation on hang-up, unlike aiohttp's TestServer)."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield runner.addresses[0][:2]
    finally:
        await runner.cleanup()


async def test_a_client_hanging_up_mid_body_is_counted_not_a_500(
    model_worker: ModelWorker, service_suggester: Suggester, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(make_settings(), model=model_worker, suggester=service_suggester)
    async with served_as_in_production(app) as (host, port):
        _reader, writer = await asyncio.open_connection(host, port)
        writer.write(
            b"POST /v1/suggest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 5000\r\n\r\n" + b'{"shop": "demo", "conv'
        )
        await writer.drain()
        metrics = app[keys.METRICS]
        with caplog.at_level(logging.INFO, logger="assistant.service"):
            writer.close()  # hang up mid-body
            await writer.wait_closed()
            async with asyncio.timeout(10):
                while metrics.client_closed._value.get() < 1:  # the handler saw the hang-up
                    await asyncio.sleep(0.01)
        text = metrics.render().decode()
    assert counter(text, "huashu_client_closed_total") == 1.0
    assert 'status="500"' not in text
    assert not [r for r in caplog.records if r.getMessage() == "unhandled error"]


async def test_a_body_that_stops_arriving_is_a_408_and_the_connection_closes(make_client: ClientFactory) -> None:
    client = await make_client(make_settings(body_timeout_s=0.3))
    reader, writer = await asyncio.open_connection(client.server.host, client.server.port)
    writer.write(
        b"POST /v1/suggest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 5000\r\n\r\n" + b'{"shop": "demo"'
    )
    await writer.drain()
    try:
        async with asyncio.timeout(30):  # 0.3 s, then at most aiohttp's 10 s lingering close
            answer = await reader.read()  # until the server closes the connection
    finally:
        writer.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), head
    envelope = json.loads(body)
    assert envelope["status"] == 408 and envelope["errors"][0]["field"] == "body"
