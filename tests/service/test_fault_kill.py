"""Fault tests on a real `python -m assistant serve`: `kill -9` while 8 clients send messages
(every message the service answered is in the store: zero acknowledged-but-lost), and `kill -9`
during a rebuild job (the active snapshot serves after the restart, the half-built one is gone,
the killed job is failed as interrupted and a new rebuild runs)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp

from assistant.retrieval.snapshot import BuildReport
from assistant.storage import open_store
from assistant.suggest.rebuild import INTERRUPTED
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


def builders_of(index: Path) -> list[int]:
    """Builder processes (`assistant.suggest.build_job`) working on `index`."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"assistant.suggest.build_job" in cmdline and str(index).encode() in cmdline:
            pids.append(int(proc.name))
    return pids


async def job_of(session: aiohttp.ClientSession, base: str, job_id: str, headers: dict[str, str]) -> dict[str, Any]:
    async with session.get(f"{base}/v1/admin/jobs/{job_id}", headers=headers) as response:
        assert response.status == 200, await response.text()
        job: dict[str, Any] = (await response.json())["job"]
        return job


async def test_kill_9_during_a_rebuild_keeps_the_active_snapshot_and_cleans_up(
    demo_index: tuple[Path, BuildReport], tmp_path: Path
) -> None:
    """The killed job is failed as interrupted after the restart (its lease ran out), a new
    rebuild runs to the end, and no half-built directory is left."""
    port, db = free_port(), tmp_path / "store.db"
    index = seeded_index(tmp_path, demo_index)
    env = {**os.environ, "HUASHU_LOG_LEVEL": "WARNING", "HUASHU_REDIS_URL": ""}
    argv = [sys.executable, "-m", "assistant", "serve", "--port", str(port), "--index", str(index)]
    argv += ["--database-url", f"sqlite:///{db}", "--request-timeout-s", "60", "--job-lease-s", "3"]
    base = f"http://127.0.0.1:{port}"
    snapshots = index / "shops" / "demo" / "snapshots"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        server = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            await wait_ready(session, base, server)
            first = (await (await session.get(f"{base}/readyz")).json())["index_version"]
            store = open_store(f"sqlite:///{db}")
            await store.open()
            try:
                _, token = await store.create_token("demo", "admin")
            finally:
                await store.close()
            shutil.rmtree(index / "shops" / "demo" / "cache")  # a cold rebuild: it runs long enough
            headers = {"Authorization": f"Bearer {token}"}
            async with session.post(f"{base}/v1/admin/shops/demo/rebuild", headers=headers) as response:
                assert response.status == 202
                job = (await response.json())["job"]
            while job["state"] != "running" or job["progress"] <= 0 or not builders_of(index):
                assert job["state"] in ("queued", "running"), job
                await asyncio.sleep(0.2)
                job = await job_of(session, base, job["id"], headers)
            builders = builders_of(index)
            os.kill(server.pid, signal.SIGKILL)
            server.wait()
        finally:
            if server.poll() is None:
                server.kill()
            server.wait()
        for _ in range(100):  # the builder dies with its parent (PR_SET_PDEATHSIG)
            if not any(Path(f"/proc/{pid}").exists() for pid in builders):
                break
            await asyncio.sleep(0.1)
        assert not builders_of(index)
        (snapshots / ".build-killed").mkdir()  # as a kill while the files are written leaves it
        os.utime(snapshots / ".build-killed", (0, 0))  # and long ago (a fresh one may be a running build)
        shutil.rmtree(index / "shops" / "demo" / "cache")  # the next rebuild from the full cache: quick
        index = seeded_index(tmp_path, demo_index)
        server = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            await wait_ready(session, base, server)
            assert sorted(p.name for p in snapshots.iterdir()) == [first]  # the leftover is gone
            assert (await (await session.get(f"{base}/readyz")).json())["index_version"] == first
            body = {"conversation_id": "after", "message": {"id": "a1", "text": "快递几天能到"}}
            async with session.post(f"{base}/v1/suggest", json=body, headers=headers) as response:
                assert response.status == 200 and (await response.json())["index_version"] == first
            deadline = time.monotonic() + 120
            while (killed := await job_of(session, base, job["id"], headers))["state"] == "running":
                assert time.monotonic() < deadline, f"the killed job is still running: {killed}"
                await asyncio.sleep(0.5)
            assert (killed["state"], killed["error"]) == ("failed", INTERRUPTED), killed
            async with session.post(f"{base}/v1/admin/shops/demo/rebuild", headers=headers) as response:
                assert response.status == 202
                again = (await response.json())["job"]
            deadline = time.monotonic() + 300
            while again["state"] in ("queued", "running"):
                assert time.monotonic() < deadline, f"the new rebuild did not finish: {again}"
                await asyncio.sleep(0.5)
                again = await job_of(session, base, again["id"], headers)
            assert again["state"] == "done" and again["version"] != first, again
            assert (await (await session.get(f"{base}/readyz")).json())["index_version"] == again["version"]
        finally:
            server.terminate()
            server.wait()
    assert sorted(p.name for p in snapshots.iterdir()) == sorted([first, again["version"]])
