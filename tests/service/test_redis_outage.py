"""A Redis outage degrades instead of failing (issue 10, item 2), with a private redis-server on
a spare port: killed (-9), frozen (SIGSTOP), unreachable at start. Requests keep answering 200
from this process's state within the short Redis timeout, /readyz and /metrics say "degraded",
and the service comes back by itself when Redis does."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from assistant.service import keys
from assistant.service.app import create_app
from assistant.service.redis_link import RedisUnavailable

from .conftest import ClientFactory, make_settings
from .helpers import suggest_body


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateRedis:
    """One redis-server of this test on its own port (no persistence), started and killed here."""

    def __init__(self, port: int, folder: Path) -> None:
        self.port = port
        self.folder = folder
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen(args, cwd=self.folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert self.proc.stdout is not None
        for line in self.proc.stdout:  # the server's own word that it listens
            if b"Ready to accept connections" in line:
                return
        raise AssertionError(f"redis-server on port {self.port} did not start")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def signal(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, sig)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.signal(signal.SIGCONT)
            self.kill()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(free_port(), tmp_path)
    server.start()
    yield server
    server.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def outage_client(make_client: ClientFactory, redis_server: PrivateRedis) -> AsyncIterator[TestClient[Any, Any]]:
    yield await make_client(make_settings(redis_url=redis_server.url, redis_retry_s=0.2))


async def timed_suggest(client: TestClient[Any, Any], conversation: str, n: int) -> tuple[int, float]:
    started = time.perf_counter()
    body = suggest_body("快递几天能到", conversation_id=conversation, message_id=str(n))
    response = await client.post("/v1/suggest", json=body)
    await response.read()
    return response.status, time.perf_counter() - started


async def readiness(client: TestClient[Any, Any]) -> dict[str, Any]:
    response = await client.get("/readyz")
    assert response.status == 200
    body: dict[str, Any] = await response.json()
    return body


async def degraded_gauge(client: TestClient[Any, Any]) -> str:
    text = await (await client.get("/metrics")).text()
    return next(line for line in text.splitlines() if line.startswith('huashu_degraded{component="redis"}'))


async def test_redis_killed_then_restarted(outage_client: TestClient[Any, Any], redis_server: PrivateRedis) -> None:
    client = outage_client
    link = client.app[keys.REDIS]
    assert (await timed_suggest(client, "kill", 0))[0] == 200
    assert (await readiness(client))["status"] == "ready"

    redis_server.kill()
    results = await asyncio.gather(*(timed_suggest(client, "kill", n) for n in range(1, 41)))
    assert [status for status, _ in results] == [200] * 40
    assert (await readiness(client))["status"] == "degraded"
    assert (await degraded_gauge(client)).endswith(" 1.0")
    turns = await client.app[keys.MEMORY].turns(("demo", "kill"))
    assert len(turns) == client.app[keys.SETTINGS].conversation_turns  # still remembered, here

    redis_server.start()
    async with asyncio.timeout(10):
        await link.wait_up()
    assert (await readiness(client))["status"] == "ready"
    assert (await degraded_gauge(client)).endswith(" 0.0")
    assert (await timed_suggest(client, "kill", 99))[0] == 200


async def test_redis_frozen_answers_within_the_timeout(
    outage_client: TestClient[Any, Any], redis_server: PrivateRedis
) -> None:
    client = outage_client
    link = client.app[keys.REDIS]
    assert (await timed_suggest(client, "frozen", 0))[0] == 200
    redis_server.signal(signal.SIGSTOP)
    try:
        results = [await timed_suggest(client, "frozen", n) for n in range(1, 11)]
        assert [status for status, _ in results] == [200] * 10
        # the first request pays the Redis timeout (0.25 s per call) once; the rest do not wait
        assert max(elapsed for _, elapsed in results) < 2.0, results
        assert (await readiness(client))["status"] == "degraded"
    finally:
        redis_server.signal(signal.SIGCONT)
    async with asyncio.timeout(10):
        await link.wait_up()
    assert (await readiness(client))["status"] == "ready"


async def test_a_start_with_redis_down_is_degraded_and_recovers(make_client: ClientFactory, tmp_path: Path) -> None:
    server = PrivateRedis(free_port(), tmp_path)  # not started yet
    client = await make_client(make_settings(redis_url=server.url, redis_retry_s=0.2))
    try:
        assert (await timed_suggest(client, "start", 0))[0] == 200
        assert (await readiness(client))["status"] == "degraded"
        server.start()
        async with asyncio.timeout(10):
            await client.app[keys.REDIS].wait_up()
        assert (await readiness(client))["status"] == "ready"
    finally:
        server.stop()


async def test_a_start_with_redis_required_and_down_is_one_clear_error(model_worker: Any) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"
    app: web.Application = create_app(make_settings(redis_url=url, redis_required=True), model=model_worker)
    server = TestServer(app, host="127.0.0.1")
    with pytest.raises(RedisUnavailable) as caught:
        await server.start_server()
    await server.close()
    message = str(caught.value)
    assert "\n" not in message and "HUASHU_REDIS_REQUIRED" in message and url.split("//")[1] in message
