"""Live latency while a shop rebuilds: requests, failures, p50/p99 idle vs during the rebuild,
for each rebuild mode (`process`: a child process at nice 10; `inline`: small batches on the
model thread).

A real `huashu serve` (the demo shop, SQLite store) takes traffic from `--clients` clients,
each pausing `--pause-s` between requests (the demo wordings with a counter, so every message
is embedded: no query-cache hits).
Idle is measured for `--idle-s` seconds; then the shop's embedding cache is deleted and
`POST /v1/admin/shops/demo/rebuild` is called, so the rebuild embeds every text (the worst
case; a normal rebuild embeds only the changed ones) and the traffic is measured until the job
is done. Both modes run on the same index folder, one after the other.

    PYTHONPATH=. python benchmarks/rebuild_under_load.py [--clients 4] [--pause-s 0.2] [--idle-s 20]
        [--modes process,inline] [--work DIR] [--max-rebuild-s 600]

`--max-rebuild-s` caps the measured rebuild phase: a run cut there reports the job's state and
progress (the share of texts embedded) with the latencies measured so far.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import aiohttp
from serving import REPO, pct, serve, wait_ready

from assistant.storage import open_store

QUERIES = [json.loads(line)["text"] for line in (REPO / "tests" / "data" / "demo_queries.jsonl").open(encoding="utf-8")]


class Traffic:
    """Closed-loop clients; latencies recorded into the current phase."""

    def __init__(self, session: aiohttp.ClientSession, base: str, headers: dict[str, str], pause_s: float) -> None:
        self.session, self.base, self.headers, self.pause_s = session, base, headers, pause_s
        self.phase = "warmup"
        self.latencies: dict[str, list[float]] = {}
        self.failures: dict[str, int] = {}
        self.stop = asyncio.Event()
        self.n = 0

    async def client(self, worker: int) -> None:
        while not self.stop.is_set():
            self.n += 1
            text = f"{QUERIES[self.n % len(QUERIES)]} 第{self.n}单"
            body = {"conversation_id": f"load-{worker}", "message": {"id": f"m{self.n}", "text": text}}
            phase, started = self.phase, time.perf_counter()
            try:
                async with self.session.post(self.base + "/v1/suggest", json=body, headers=self.headers) as response:
                    await response.read()
                    ok = response.status == 200
            except aiohttp.ClientError:
                ok = False
            self.latencies.setdefault(phase, []).append((time.perf_counter() - started) * 1000)
            if not ok:
                self.failures[phase] = self.failures.get(phase, 0) + 1
            await asyncio.sleep(self.pause_s)  # a client's think time: live traffic, not a flood


async def run_mode(
    work: Path, mode: str, token: str, clients: int, idle_s: float, pause_s: float, max_rebuild_s: float
) -> dict[str, object]:
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        flags = ("--index-dir", str(work / "index"), "--database-url", f"sqlite:///{work / 'store.db'}")
        with serve(*flags, "--rebuild-mode", mode, "--request-timeout-s", "30", stop_timeout_s=30) as served:
            base = served.base
            await wait_ready(session, base, timeout_s=1800)
            traffic = Traffic(session, base, headers, pause_s)
            tasks = [asyncio.create_task(traffic.client(w)) for w in range(clients)]
            await asyncio.sleep(3)
            traffic.phase = "idle"
            await asyncio.sleep(idle_s)
            shutil.rmtree(work / "index" / "shops" / "demo" / "cache", ignore_errors=True)
            traffic.phase = "rebuild"
            started = time.perf_counter()
            async with session.post(f"{base}/v1/admin/shops/demo/rebuild", headers=headers) as response:
                job = (await response.json())["job"]
            while job["state"] not in ("done", "failed") and time.perf_counter() - started < max_rebuild_s:
                await asyncio.sleep(0.5)
                async with session.get(f"{base}/v1/admin/jobs/{job['id']}", headers=headers) as response:
                    job = (await response.json())["job"]
            rebuild_s = time.perf_counter() - started
            traffic.phase = "after"
            traffic.stop.set()
            await asyncio.gather(*tasks)
    idle, during = traffic.latencies.get("idle", []), traffic.latencies.get("rebuild", [])
    return {
        "mode": mode, "job": job["state"], "progress": job["progress"], "rebuild_s": round(rebuild_s, 1),
        "clients": clients, "pause_s": pause_s, "load_average": os.getloadavg(),
        "idle": {"requests": len(idle), "failures": traffic.failures.get("idle", 0),
                 "p50_ms": round(pct(idle, 0.5), 1), "p99_ms": round(pct(idle, 0.99), 1)},
        "during_rebuild": {"requests": len(during), "failures": traffic.failures.get("rebuild", 0),
                           "p50_ms": round(pct(during, 0.5), 1), "p99_ms": round(pct(during, 0.99), 1)},
        "p99_ratio": round(pct(during, 0.99) / pct(idle, 0.99), 2),
    }  # fmt: skip


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--idle-s", type=float, default=20.0)
    parser.add_argument("--modes", default="process,inline")
    parser.add_argument("--pause-s", type=float, default=0.2, help="each client's pause between requests")
    parser.add_argument("--work", type=Path, default=None, help="keep the index here (reused between runs)")
    parser.add_argument("--max-rebuild-s", type=float, default=600.0, help="stop measuring a rebuild after this")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="huashu-rebuild-"))
    work.mkdir(parents=True, exist_ok=True)
    store = open_store(f"sqlite:///{work / 'store.db'}")
    await store.open()
    try:
        if await store.shop("demo") is None:
            await store.create_shop("demo", "demo")  # knowledge imported by the first start
            # `ensure_default_shop` imports only into a missing shop: import here instead
            from assistant.storage.shop_files import import_knowledge

            await import_knowledge(store, "demo", REPO / "knowledge")
        _, token = await store.create_token("demo", "admin")
    finally:
        await store.close()
    results = [
        await run_mode(work, mode, token, args.clients, args.idle_s, args.pause_s, args.max_rebuild_s)
        for mode in args.modes.split(",")
    ]
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
