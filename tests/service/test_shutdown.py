"""Graceful shutdown of a real `python -m assistant serve`: SIGTERM while requests are in flight
(suggestions, a signed webhook, Chatwoot deliveries whose notes are posted after their 200, a
panel's stream) and a repeated SIGINT during the drain. Every request in flight gets its whole
200, every note reaches Chatwoot, the panel's stream ends at once, a new connection is refused,
a request on a keep-alive connection opened before is answered (`/readyz`: 503) and closes it,
the process exits 0 within the grace period and says in one line how many requests it waited for.

A request is held in flight without timing: it is sent with `Expect: 100-continue`, and once the
service answers `100 Continue` its handler is running (counted in flight) and waits for the body,
which is sent only after the signal."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp.test_utils import TestClient

from assistant.retrieval.snapshot import BuildReport
from tests.conftest import REPO
from tests.service.conftest import CHATWOOT_SECRET, WEBHOOK_SECRET, ClientFactory
from tests.service.helpers import dumps, signed_headers, suggest_body
from tests.service.panel.sse import next_event
from tests.service.platforms.chatwoot_payloads import chatwoot_headers, message_event, ruby_json
from tests.service.platforms.chatwoot_stand_in import API_TOKEN, ChatwootStandIn
from tests.service.test_fault_kill import free_port, wait_ready
from tests.service.test_shops import seeded_index

GRACE_S = 30.0


class HeldRequest:
    """A POST whose handler runs on the service, waiting for a body not sent yet."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, body: bytes) -> None:
        self.reader, self.writer, self.body = reader, writer, body

    @classmethod
    async def open(cls, port: int, path: str, body: bytes, headers: dict[str, str]) -> HeldRequest:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        lines = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", f"Content-Length: {len(body)}"]
        lines += ["Expect: 100-continue", "Connection: close"] + [f"{k}: {v}" for k, v in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        interim = await reader.readuntil(b"\r\n\r\n")
        assert interim.startswith(b"HTTP/1.1 100 Continue"), interim
        return cls(reader, writer, body)

    async def finish(self) -> tuple[int, dict[str, Any]]:
        """Send the body; the status and the JSON body of the whole answer."""
        self.writer.write(self.body)
        answer = await self.reader.read()  # to the end: the connection closes after the answer
        self.writer.close()
        head, _, content = answer.partition(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        return status, json.loads(content)


async def held_requests(port: int) -> list[HeldRequest]:
    """Three suggestions, a signed generic delivery and two Chatwoot deliveries, all in flight."""
    held = []
    for n in range(3):
        body = dumps(suggest_body(f"快递几天能到 {n}", conversation_id=f"c-{n}", message_id=f"m-{n}"))
        held.append(await HeldRequest.open(port, "/v1/suggest", body, {"Content-Type": "application/json"}))
    body = dumps(suggest_body("怎么退货", conversation_id="c-generic", message_id="g-1"))
    held.append(await HeldRequest.open(port, "/v1/webhooks/generic", body, signed_headers(WEBHOOK_SECRET, body)))
    for conversation in (41, 42):
        body = ruby_json(message_event(conversation * 10, "发什么快递", conversation_id=conversation))
        headers = chatwoot_headers(CHATWOOT_SECRET, body)
        held.append(await HeldRequest.open(port, "/v1/webhooks/chatwoot", body, headers))
    return held


class KeptAlive:
    """A keep-alive connection that answered once and is idle when the signal comes."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int) -> None:
        self.reader, self.writer, self.port = reader, writer, port

    @classmethod
    async def open(cls, port: int) -> KeptAlive:
        connection = cls(*await asyncio.open_connection("127.0.0.1", port), port)
        head, _ = await connection.get("/healthz")
        assert head.startswith(b"HTTP/1.1 200"), head
        return connection

    async def get(self, path: str) -> tuple[bytes, dict[str, Any]]:
        """The head and the JSON body of one answer."""
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":")[1]) for line in head.lower().split(b"\r\n") if line.startswith(b"content-length:")
        )
        return head, json.loads(await self.reader.readexactly(length))


async def new_connections_turned_away(base: str) -> str:
    """Once the signal is handled, a new connection is refused (or, while the listener closes, its
    `/readyz` answers 503); returns which."""
    deadline = time.monotonic() + GRACE_S
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(f"{base}/readyz") as response:
                    if response.status == 503:
                        return "503"
            except aiohttp.ClientConnectorError:
                return "refused"
            except aiohttp.ClientError:  # accepted just before the listener closed, then closed
                pass
            await asyncio.sleep(0.05)
    raise AssertionError("the service still accepts new connections after SIGTERM")


def log_records(path: Path) -> list[dict[str, Any]]:
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("{"):
            records.append(json.loads(line))
    return records


async def test_sigterm_finishes_every_request_in_flight_then_exits(
    demo_index: tuple[Path, BuildReport], tmp_path: Path
) -> None:
    chatwoot = ChatwootStandIn()
    await chatwoot.server.start_server()
    port, log_file = free_port(), tmp_path / "serve.log"
    env = {
        **os.environ,
        "HUASHU_LOG_LEVEL": "INFO",
        "HUASHU_LOG_JSON": "true",
        "HUASHU_REDIS_URL": "",
        "HUASHU_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "HUASHU_CHATWOOT_WEBHOOK_SECRET": CHATWOOT_SECRET,
        "HUASHU_CHATWOOT_URL": chatwoot.url,
        "HUASHU_CHATWOOT_API_TOKEN": API_TOKEN,
    }
    argv = [sys.executable, "-m", "assistant", "serve", "--port", str(port)]
    argv += ["--index", str(seeded_index(tmp_path, demo_index)), "--database-url", f"sqlite:///{tmp_path / 'db'}"]
    argv += ["--shutdown-grace-s", str(GRACE_S)]
    base = f"http://127.0.0.1:{port}"
    with log_file.open("wb") as log:
        server = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=log)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2 * GRACE_S)) as session:
            await wait_ready(session, base, server)
            panel = await session.get(f"{base}/panel/events", params={"conversation": "c-panel"})
            assert (await next_event(panel))[0] == "hello"
            held = await held_requests(port)
            idle = await KeptAlive.open(port)

            server.send_signal(signal.SIGTERM)
            assert await new_connections_turned_away(base) in ("refused", "503")
            server.send_signal(signal.SIGINT)  # a second signal (a terminal's Ctrl-C) does not cut the drain
            # while the held requests keep the drain open, a request on a connection opened before is
            # answered, not reset: /readyz says 503 and the answer closes the connection
            head, readiness = await idle.get("/readyz")
            assert head.startswith(b"HTTP/1.1 503") and b"connection: close" in head.lower(), head
            assert readiness["errors"][0]["field"] == "shutdown"
            answers = await asyncio.gather(*(request.finish() for request in held))
            ended = False
            while not ended:  # the panel's stream ends (it reconnects to a replica that is up)
                try:
                    await next_event(panel, timeout=GRACE_S)
                except ConnectionError:
                    ended = True
            code = await asyncio.to_thread(server.wait, GRACE_S)
        assert [status for status, _ in answers] == [200] * len(held), answers
        assert all(body["ok"] for _, body in answers)
        assert [body["reason"] for _, body in answers[-2:]] == ["suggesting", "suggesting"]
        assert len((await chatwoot.note_for(41, timeout=5)).body["content"]) > 0
        assert len((await chatwoot.note_for(42, timeout=5)).body["content"]) > 0
        assert code == 0
    finally:
        if server.poll() is None:
            server.kill()
        server.wait()
        await chatwoot.server.close()
    records = log_records(log_file)
    assert any(r["message"] == "already shutting down; SIGKILL stops at once" for r in records)
    drained = [r for r in records if r["message"] == "shutdown drained"]
    assert len(drained) == 1, records[-5:]
    assert drained[0]["requests"] == len(held) + 1  # the panel's stream too, not the idle connection
    assert (drained[0]["requests_cut"], drained[0]["background_cut"]) == (0, 0)
    assert drained[0]["seconds"] < GRACE_S


async def test_readyz_answers_503_once_the_shutdown_has_begun(make_client: ClientFactory) -> None:
    client: TestClient[Any, Any] = await make_client()
    assert (await client.get("/readyz")).status == 200
    await client.app.shutdown()  # the on_shutdown hooks, as aiohttp's runner calls them on SIGTERM
    response = await client.get("/readyz")
    assert response.status == 503
    body = await response.json()
    assert body["errors"] == [{"field": "shutdown", "message": "shutting down: finishing the requests in flight"}]
