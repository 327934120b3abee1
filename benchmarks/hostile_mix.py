"""Hostile-mix benchmark: do clients sending long texts raise normal clients' latency?

    python benchmarks/hostile_mix.py --seconds 60

Starts a real `huashu serve` subprocess on 127.0.0.1 (SQLite store and index in a temporary
folder), then runs two phases of `--seconds` each:

1. alone:   4 normal clients (real short JDDC customer messages, one conversation per session);
2. hostile: the same 4 normal clients plus 2 hostile clients sending 1,000–5,000 character
            messages (real JDDC customer turns joined until long enough), as fast as answered.

It prints, per phase, the normal clients' p50/p99 latency of 200 answers, their 429s and 504s,
and the hostile clients' answers by status (200 per second is their throughput), then the p99
ratio hostile/alone (the goal of issue 10: at most 2). Extra `huashu serve` flags go after `--`
(e.g. `-- --long-text-tokens 0` for one lane). Bounded in time: it stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_replay import JDDC, load_messages
from serving import pct, serve, wait_ready

NORMAL_CLIENTS = 4
HOSTILE_CLIENTS = 2


def long_texts(texts: list[str], n: int, seed: int = 7) -> list[str]:
    """`n` texts of 1,000–5,000 characters made of real customer turns."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        want = rng.randint(1000, 5000)
        parts: list[str] = []
        while sum(map(len, parts)) < want:
            parts.append(rng.choice(texts))
        out.append("，".join(parts)[:want])
    return out


async def run_client(
    session: aiohttp.ClientSession,
    base: str,
    texts: list[str],
    name: str,
    stop_at: float,
    statuses: collections.Counter[str],
    latencies: list[float],
    start: int = 0,
) -> None:
    n = start
    while time.monotonic() < stop_at:
        body = {
            "shop": "demo",
            "conversation_id": f"{name}-{n // 6}",  # six turns per conversation, then a new one
            "message": {"id": f"{name}-{n}", "text": texts[n % len(texts)], "sender": "customer"},
        }
        started = time.perf_counter()
        try:
            async with session.post(base + "/v1/suggest", json=body) as response:
                await response.read()
                status = str(response.status)
                if response.status == 429:  # honour Retry-After, as a client should (bounded)
                    pause = float(response.headers.get("Retry-After", "1"))
                    await asyncio.sleep(min(pause, max(0.0, stop_at - time.monotonic())))
        except aiohttp.ClientError as exc:
            status = type(exc).__name__
        statuses[status] += 1
        if status == "200":
            latencies.append((time.perf_counter() - started) * 1000)
        n += 1


async def phase(
    session: aiohttp.ClientSession,
    base: str,
    normal: list[list[str]],
    hostile: list[list[str]],
    seconds: float,
    start: int,
) -> dict[str, object]:
    """One phase; normal clients send their texts from `start` on, so no phase repeats another's
    texts (a repeated text is an embedding-cache hit, which would flatter the later phase)."""
    stop_at = time.monotonic() + seconds
    normal_status: collections.Counter[str] = collections.Counter()
    hostile_status: collections.Counter[str] = collections.Counter()
    normal_ms: list[float] = []
    hostile_ms: list[float] = []
    tasks = [
        run_client(session, base, texts, f"n{i}-{time.monotonic_ns()}", stop_at, normal_status, normal_ms, start)
        for i, texts in enumerate(normal)
    ] + [
        run_client(session, base, texts, f"h{i}-{time.monotonic_ns()}", stop_at, hostile_status, hostile_ms)
        for i, texts in enumerate(hostile)
    ]
    await asyncio.gather(*tasks)
    return {
        "normal_p50_ms": round(pct(normal_ms, 0.5), 1),
        "normal_p99_ms": round(pct(normal_ms, 0.99), 1),
        "normal_answers": dict(normal_status),
        "hostile_answers": dict(hostile_status),
        "hostile_200_per_s": round(hostile_status["200"] / seconds, 2),
        "hostile_p50_ms": round(pct(hostile_ms, 0.5), 1),
    }


async def main_async(seconds: float, flags: list[str]) -> None:
    messages = load_messages(JDDC, 6000)
    short = list(dict.fromkeys(m.text for m in messages if len(m.text) <= 60))  # distinct texts
    print(f"{len(short)} distinct short texts, {len(short) // NORMAL_CLIENTS // 3} per client and phase", flush=True)
    normal = [short[i::NORMAL_CLIENTS] for i in range(NORMAL_CLIENTS)]
    hostile = [long_texts(short, 200, seed=i) for i in range(HOSTILE_CLIENTS)]
    with tempfile.TemporaryDirectory(prefix="huashu-mix-") as tmp:
        store = ("--index-dir", str(Path(tmp) / "index"), "--database-url", f"sqlite:///{Path(tmp) / 'mix.db'}")
        with serve(*store, "--max-text-chars", "5000", *flags) as served:
            base = served.base
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
                await wait_ready(session, base)
                per_phase = len(normal[0]) // 3
                await phase(session, base, normal, [], min(10.0, seconds), 0)  # warm-up, not reported
                alone = await phase(session, base, normal, [], seconds, per_phase)
                print("alone", json.dumps(alone), flush=True)
                mixed = await phase(session, base, normal, hostile, seconds, 2 * per_phase)
                print("hostile", json.dumps(mixed), flush=True)
    a, h = alone["normal_p99_ms"], mixed["normal_p99_ms"]
    assert isinstance(a, float) and isinstance(h, float)
    print(f"normal p99: alone {a:.1f} ms, with hostile clients {h:.1f} ms, ratio {h / a:.2f} (goal <= 2)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each phase")
    parser.add_argument("flags", nargs="*", help="extra `huashu serve` flags, after --")
    args = parser.parse_args()
    if not JDDC.exists():
        raise SystemExit(f"hostile_mix: {JDDC} is missing (the shared data folder beside the repo)")
    asyncio.run(main_async(args.seconds, args.flags))


if __name__ == "__main__":
    main()
