"""Fault test: `kill -9` a real `python -m assistant serve` while 8 clients send messages, then
count: every message the service answered is in the store (zero acknowledged-but-lost)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import aiohttp

from assistant.retrieval.snapshot import BuildReport
from assistant.storage import open_store
from tests.conftest import REPO
from tests.service.test_shops import seeded_index

CLIENTS = 8


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_ready(session: aiohttp.ClientSession, base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert server.poll() is None, "huashu serve exited before it was ready"
        try:
            async with session.get(f"{base}/readyz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.5)
    raise AssertionError("huashu serve was not ready within 300 s")


async def client_loop(session: aiohttp.ClientSession, base: str, worker: int, answered: list[str]) -> None:
    n = 0
    while True:
        n += 1
        message_id = f"w{worker}-{n}"
        body = {
            "shop": "demo",
            "conversation_id": f"kill-{worker}",
            "message": {"id": message_id, "text": f"快递几天能到 {n}", "sender": "customer"},
        }
        try:
            async with session.post(f"{base}/v1/suggest", json=body) as response:
                if response.status == 200 and (await response.json())["ok"]:
                    answered.append(message_id)
        except aiohttp.ClientError:
            return  # the server is gone


async def test_kill_9_under_load_loses_no_answered_message(
    demo_index: tuple[Path, BuildReport], tmp_path: Path
) -> None:
    port, db = free_port(), tmp_path / "records.db"
    index = seeded_index(tmp_path, demo_index)  # the first start builds the demo shop from the cache
    env = {**os.environ, "HUASHU_LOG_LEVEL": "WARNING", "HUASHU_REDIS_URL": ""}
    argv = [sys.executable, "-m", "assistant", "serve", "--port", str(port), "--index", str(index)]
    argv += ["--database-url", f"sqlite:///{db}", "--request-timeout-s", "30"]
    server = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    answered: list[str] = []
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
            await wait_ready(session, base, server)
            clients = [asyncio.ensure_future(client_loop(session, base, w, answered)) for w in range(CLIENTS)]
            while len(answered) < 100:
                assert server.poll() is None
                await asyncio.sleep(0.05)
            os.kill(server.pid, signal.SIGKILL)
            await asyncio.wait_for(asyncio.gather(*clients), timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
        server.wait()
    store = open_store(f"sqlite:///{db}")
    await store.open()
    try:
        stored = {m.message_id for w in range(CLIENTS) for m in await store.messages("demo", f"kill-{w}")}
    finally:
        await store.close()
    lost = sorted(set(answered) - stored)
    print(f"kill -9 under {CLIENTS} clients: answered {len(answered)}, stored {len(stored)}, lost {len(lost)}")
    assert len(answered) >= 100 and lost == []
