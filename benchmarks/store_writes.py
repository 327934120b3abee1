"""Store write benchmark: what writing records before answering costs, per backend.

    python benchmarks/store_writes.py [--seconds 5] [--postgres postgresql://...]

Replays real JDDC customer messages (../shared/data/jddc/sessions.jsonl, never copied) as the
service records them: one message and five suggestions shown per request, written through
`Recorder` (group commit). At concurrency 1, 16 and 64 writers, each cell prints the requests
recorded per second, the transactions the recorder used, and the p50/p99 time a request waits
for its records to be committed. SQLite is a file in a temporary folder; PostgreSQL runs when
`--postgres` (or HUASHU_TEST_POSTGRES_URL) names a database.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from assistant.storage import open_store
from assistant.storage.protocols import RecordStore
from assistant.storage.recorder import Recorder
from assistant.storage.records import MessageRecord, Record, SuggestionRecord

REPO = Path(__file__).resolve().parents[1]
JDDC = REPO.parent / "shared" / "data" / "jddc" / "sessions.jsonl"
CONCURRENCY = (1, 16, 64)


def customer_texts(path: Path, limit: int = 4000) -> list[str]:
    out: list[str] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            for turn in json.loads(line)["turns"]:
                if turn["role"] == "customer" and turn["text"].strip():
                    out.append(turn["text"].strip()[:500])
            if len(out) >= limit:
                break
    return out[:limit]


class CountedWrites:
    def __init__(self, store: RecordStore) -> None:
        self.store = store
        self.transactions = 0

    async def write(self, records: Sequence[Record], deadline: float | None = None) -> None:
        self.transactions += 1
        await self.store.write(records, deadline)


def request_records(run: str, worker: int, n: int, text: str) -> list[Record]:
    at = time.strftime("%Y-%m-%dT%H:%M:%S.000+00:00", time.gmtime())
    conversation, message_id = f"{run}-{worker}", f"m{n}"
    records: list[Record] = [MessageRecord("api", "bench", conversation, message_id, "customer", text, at, at)]
    records += [
        SuggestionRecord("api", "bench", conversation, message_id, rank, f"faq-{rank}", 0.9, "faq", "v1", at)
        for rank in range(1, 6)
    ]
    return records


async def cell(store: RecordStore, texts: list[str], concurrency: int, seconds: float) -> str:
    counted = CountedWrites(store)
    recorder = Recorder(counted)  # type: ignore[arg-type]
    run, waits, done = uuid.uuid4().hex[:8], [], 0
    stop = time.monotonic() + seconds

    async def writer(worker: int) -> None:
        nonlocal done
        n = 0
        while time.monotonic() < stop:
            records = request_records(run, worker, n, texts[(worker * 997 + n) % len(texts)])
            started = time.perf_counter()
            await recorder.record(*records)
            waits.append((time.perf_counter() - started) * 1000)
            done += 1
            n += 1

    began = time.monotonic()
    await asyncio.gather(*(writer(w) for w in range(concurrency)))
    elapsed = time.monotonic() - began
    waits.sort()
    p50, p99 = waits[len(waits) // 2], waits[min(len(waits) - 1, int(0.99 * len(waits)))]
    return (
        f"| {concurrency:>3} | {done / elapsed:8.0f} | {counted.transactions:6d} | "
        f"{done / max(counted.transactions, 1):5.1f} | {p50:7.2f} | {p99:7.2f} |"
    )


async def bench(url: str, label: str, texts: list[str], seconds: float) -> None:
    store = open_store(url)
    await store.open()
    try:
        print(f"\n{label}\n")
        print("| writers | requests/s | transactions | requests/transaction | wait p50 ms | wait p99 ms |")
        print("|---|---|---|---|---|---|")
        for concurrency in CONCURRENCY:
            print(await cell(store, texts, concurrency, seconds), flush=True)
    finally:
        await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds per cell")
    parser.add_argument("--postgres", default=os.environ.get("HUASHU_TEST_POSTGRES_URL", ""))
    parser.add_argument("--jddc", type=Path, default=JDDC, help="JDDC sessions.jsonl")
    args = parser.parse_args()
    if not args.jddc.exists():
        raise SystemExit(f"JDDC sessions not found at {args.jddc} (they live beside the repo in ../shared/data)")
    texts = customer_texts(args.jddc)
    print(f"{len(texts)} JDDC customer messages; each request = 1 message + 5 suggestions")
    with tempfile.TemporaryDirectory() as scratch:
        asyncio.run(bench(f"sqlite:///{Path(scratch) / 'bench.db'}", "SQLite (WAL, file)", texts, args.seconds))
    if args.postgres:
        asyncio.run(bench(args.postgres, "PostgreSQL", texts, args.seconds))


if __name__ == "__main__":
    main()
