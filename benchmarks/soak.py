"""Soak benchmark: replay real JDDC customer messages against one `huashu serve` for a while,
sampling the server's RSS, open file descriptors and threads every 10 s.

    python benchmarks/soak.py --minutes 10 --clients 4

The server is a real subprocess on 127.0.0.1 (SQLite store and index in a temporary folder;
the index is built there from knowledge/ at its first start). Conversations cycle through the
real sessions with fresh ids, so conversation memory, dedup and the embedding cache fill up to
their bounds. It prints one line per sample and a summary: RSS at the first sample after warm-up
and at the end, the growth over the second half (a levelled RSS grows little there), fds and
threads first and last, and the request outcomes. Bounded in time: it stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_replay import JDDC, load_messages
from serving import serve, wait_ready


def sample(proc: psutil.Process) -> dict[str, float]:
    with proc.oneshot():
        return {"rss_mb": proc.memory_info().rss / 2**20, "fds": proc.num_fds(), "threads": proc.num_threads()}


async def client(
    session: aiohttp.ClientSession,
    base: str,
    texts: list[str],
    worker: int,
    stop_at: float,
    counts: collections.Counter[str],
) -> None:
    n = worker
    while time.monotonic() < stop_at:
        conversation = f"soak-{worker}-{n // 8}"  # eight turns per conversation, then a new one
        body = {
            "shop": "demo",
            "conversation_id": conversation,
            "message": {"id": f"{worker}-{n}", "text": texts[n % len(texts)], "sender": "customer"},
        }
        try:
            async with session.post(base + "/v1/suggest", json=body) as response:
                await response.read()
                counts[str(response.status)] += 1
        except aiohttp.ClientError as exc:
            counts[type(exc).__name__] += 1
        n += 7919  # a prime stride: clients walk the messages in different orders


async def soak(minutes: float, clients: int, every_s: float) -> dict[str, object]:
    texts = [m.text for m in load_messages(JDDC, 20000)]
    with tempfile.TemporaryDirectory(prefix="huashu-soak-") as tmp:
        store = ("--index-dir", str(Path(tmp) / "index"), "--database-url", f"sqlite:///{Path(tmp) / 'soak.db'}")
        with serve(*store) as served:
            base = served.base
            timeout = aiohttp.ClientTimeout(total=60)
            async with aiohttp.ClientSession(timeout=timeout) as session:
                await wait_ready(session, base)
                proc = psutil.Process(served.pid)
                counts: collections.Counter[str] = collections.Counter()
                started = time.monotonic()
                stop_at = started + minutes * 60
                tasks = [asyncio.create_task(client(session, base, texts, w, stop_at, counts)) for w in range(clients)]
                samples = []
                while time.monotonic() < stop_at:
                    await asyncio.sleep(min(every_s, max(0.0, stop_at - time.monotonic())))
                    row = {"t_s": round(time.monotonic() - started), **sample(proc), "requests": sum(counts.values())}
                    samples.append(row)
                    print(json.dumps(row), flush=True)
                await asyncio.gather(*tasks)
    half = samples[len(samples) // 2] if samples else {}
    first, last = (samples[0], samples[-1]) if samples else ({}, {})
    return {
        "minutes": minutes,
        "clients": clients,
        "requests": dict(counts),
        "rss_mb_first": round(first.get("rss_mb", 0), 1),
        "rss_mb_half": round(half.get("rss_mb", 0), 1),
        "rss_mb_last": round(last.get("rss_mb", 0), 1),
        "rss_mb_max": round(max((s["rss_mb"] for s in samples), default=0), 1),
        "fds_first_last": [first.get("fds"), last.get("fds")],
        "threads_first_last": [first.get("threads"), last.get("threads")],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--every", type=float, default=10.0, help="seconds between samples")
    args = parser.parse_args()
    if not JDDC.exists():
        raise SystemExit(f"soak: {JDDC} is missing (the shared data folder beside the repo)")
    summary = asyncio.run(soak(args.minutes, args.clients, args.every))
    print("summary", json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
