"""Retrieval quality on public sets: lexical-only, dense-only, textbook RRF and the shipped hybrid.

* BEIR layout (e.g. ../shared/data/bq_faq): every corpus text becomes one knowledge entry; each
  query is ranked by each system; Recall@1/3/10 and MRR@10 are reported side by side.
* Response selection (e.g. ../shared/data/ecd): pick the real reply among the candidates, from
  the last customer turn alone and with the earlier turns as context; R@1 is reported.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.knowledge.loader import KnowledgeBase
from assistant.knowledge.model import KnowledgeEntry, SourceKind
from assistant.retrieval.cache import EmbeddingCache
from assistant.retrieval.embedders import Embedder
from assistant.retrieval.fusion import reciprocal_rank_fusion
from assistant.retrieval.ranker import RankingWeights, SuggestionRanker
from assistant.retrieval.snapshot import build_snapshot, load_snapshot
from assistant.retrieval.types import SuggestRequest
from assistant.evaluation.datasets import BeirSet, SelectionRow

Ranking = list[tuple[int, float]]


def ranking_metrics(ranked_ids: Sequence[Sequence[str]], relevant: Sequence[set[str]]) -> dict[str, float]:
    """Recall@1/3/10 (any relevant id in the top k) and MRR@10, averaged over queries."""
    hits = {1: 0, 3: 0, 10: 0}
    mrr = 0.0
    for ids, gold in zip(ranked_ids, relevant, strict=True):
        first = next((i for i, doc in enumerate(ids[:10]) if doc in gold), None)
        if first is None:
            continue
        mrr += 1.0 / (first + 1)
        for k in hits:
            hits[k] += first < k
    n = max(1, len(ranked_ids))
    return {"recall@1": hits[1] / n, "recall@3": hits[3] / n, "recall@10": hits[10] / n, "mrr@10": mrr / n}


def evaluate_beir(
    data: BeirSet,
    embedder: Embedder,
    cache: EmbeddingCache,
    weights: RankingWeights | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, Any]:
    """Build a snapshot of the corpus, rank every query with each system, score them."""
    entries = tuple(
        KnowledgeEntry(id=f"doc{i}", kind=SourceKind.FAQ, questions=(text,), reply=text)
        for i, text in enumerate(data.corpus_texts)
    )
    kb = KnowledgeBase(shop_name="beir", entries=entries, sources={})
    with tempfile.TemporaryDirectory(prefix="huashu-eval-") as tmp:
        build_snapshot(kb, Path(tmp), embedder, cache, progress=progress)
        ranker = SuggestionRanker(load_snapshot(Path(tmp)), weights=weights)
    vectors = cache.encode(embedder, data.query_texts, "query", progress=progress)

    systems: dict[str, Callable[[str, np.ndarray], Ranking]] = {
        "lexical": lambda text, v: ranker.lexical_ranking(text),
        "dense": lambda text, v: ranker.dense_ranking(v),
        "rrf": lambda text, v: reciprocal_rank_fusion(
            [ranker.dense_ranking(v), ranker.lexical_ranking(text)]
        ),
        "hybrid": lambda text, v: ranker.fused(SuggestRequest(text), v.reshape(1, -1)),
    }
    relevant = [data.relevant[q] for q in data.query_ids]
    results: dict[str, Any] = {}
    for name, system in systems.items():
        started = time.perf_counter()
        ranked = [
            [data.corpus_ids[row] for row, _ in system(text, vectors[i])[:10]]
            for i, text in enumerate(data.query_texts)
        ]
        ms = (time.perf_counter() - started) * 1000 / len(ranked)
        results[name] = {**ranking_metrics(ranked, relevant), "ms_per_query": round(ms, 3)}
    return {"queries": len(data.query_ids), "corpus": len(data.corpus_ids), "model": embedder.name, "systems": results}


def evaluate_selection(
    rows: Sequence[SelectionRow], embedder: Embedder, cache: EmbeddingCache, context_turns: int = 3
) -> dict[str, Any]:
    """R@1 of picking the real reply: last turn only vs. the last `context_turns` turns."""
    candidates = sorted({c for r in rows for c in r.candidates})
    vectors = dict(zip(candidates, cache.encode(embedder, candidates, "passage"), strict=True))
    last = cache.encode(embedder, [r.context[-1] for r in rows], "query")
    joined = cache.encode(embedder, ["，".join(r.context[-context_turns:]) for r in rows], "query")

    def r_at_1(queries: np.ndarray) -> float:
        right = 0
        for row, q in zip(rows, queries, strict=True):
            scores = [float(vectors[c] @ q) for c in row.candidates]
            right += row.labels[int(np.argmax(scores))] == 1
        return right / max(1, len(rows))

    n_candidates = sorted({len(r.candidates) for r in rows})
    return {
        "rows": len(rows),
        "candidates_per_row": n_candidates,
        "model": embedder.name,
        "r@1_last_turn": r_at_1(last),
        f"r@1_context_{context_turns}_turns": r_at_1(joined),
        "r@1_random": float(np.mean([sum(r.labels) / len(r.labels) for r in rows])),
    }
