"""Retrieval quality on public sets: lexical-only, dense-only, textbook RRF and the shipped hybrid.

* BEIR layout (e.g. ../shared/data/bq_faq): every corpus text becomes one knowledge entry; each
  query is ranked by each system; Recall@1/3/10 and MRR@10 are reported side by side, for all
  queries and for each half of a fixed random 2-fold split of them (so a setting chosen on one
  half can be read off the other). `hybrid` is exactly what ships: `SuggestionRanker.fused` with
  the default `RankingWeights`, queries embedded as `query_texts` gives them.
* Response selection (e.g. ../shared/data/ecd): pick the real reply among the candidates, from
  the last customer turn alone and with the earlier turns as context; R@1 is reported, with
  ties between candidates counted as a fair coin (the right reply is listed first in ECD, so
  "first of the tied" would flatter a method that scores everything alike).
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
import time
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.emotion.ranking import tag_bias
from assistant.evaluation.datasets import BeirSet, SelectionRow
from assistant.knowledge.loader import KnowledgeBase
from assistant.knowledge.model import KnowledgeEntry, SourceKind
from assistant.retrieval.cache import EmbeddingCache
from assistant.retrieval.embedders import Embedder, Vectors
from assistant.retrieval.fusion import reciprocal_rank_fusion
from assistant.retrieval.ranker import RankingWeights, SuggestionRanker
from assistant.retrieval.snapshot import build_snapshot, load_snapshot
from assistant.retrieval.text import char_ngrams, clean
from assistant.retrieval.types import SuggestRequest, Turn
from assistant.suggest.pipeline import Suggester

Ranking = list[tuple[int, float]]
NOT_FOUND = 10**6


def first_hits(ranked_ids: Sequence[Sequence[str]], relevant: Sequence[set[str]]) -> list[int]:
    """For each query, the 0-based rank of its first relevant id (NOT_FOUND when none is listed)."""
    return [
        next((i for i, doc in enumerate(ids) if doc in gold), NOT_FOUND)
        for ids, gold in zip(ranked_ids, relevant, strict=True)
    ]


def metrics_from_hits(hits: Sequence[int]) -> dict[str, float]:
    """Recall@1/3/10 and MRR@10 from first-hit ranks."""
    n = max(1, len(hits))
    return {
        "recall@1": sum(h < 1 for h in hits) / n,
        "recall@3": sum(h < 3 for h in hits) / n,
        "recall@10": sum(h < 10 for h in hits) / n,
        "mrr@10": sum(1.0 / (h + 1) for h in hits if h < 10) / n,
    }


def ranking_metrics(ranked_ids: Sequence[Sequence[str]], relevant: Sequence[set[str]]) -> dict[str, float]:
    """Recall@1/3/10 (any relevant id in the top k) and MRR@10, averaged over queries."""
    return metrics_from_hits(first_hits([ids[:10] for ids in ranked_ids], relevant))


def two_fold_split(count: int, seed: int = 0) -> tuple[list[int], list[int]]:
    """A fixed random halving of `count` query positions: (half A, half B), each sorted."""
    order = np.random.default_rng(seed).permutation(count)
    return sorted(int(i) for i in order[: count // 2]), sorted(int(i) for i in order[count // 2 :])


# Authored customer noise for a robustness check: the forms real chat messages carry.
_NOISE_EMOTICONS = (
    "/大哭",
    "/流泪",
    "/微笑",
    "/抓狂",
    "/偷笑",
    "[微笑]",
    "[哭]",
    "[怒]",
    "[可怜]",
    "/:-(",
)
_NOISE_EMOJI = ("😭", "🙏", "😡", "😂", "👍", "❤️", "😊")
_NOISE_ENDINGS = ("", "？？？", "！！！", "。。。", "~~", "??")
_FULL_WIDTH = {i: i + 0xFEE0 for i in range(0x21, 0x7F)}


def add_customer_noise(texts: Sequence[str], seed: int = 7) -> list[str]:
    """The same wordings as a customer might type them, deterministically.

    Traditional characters (40 %), a run of marks at the end, emoticon codes (60 %), emoji
    (40 %), full-width ASCII (20 %).
    """
    from opencc import OpenCC

    s2t = OpenCC("s2t")
    rng = np.random.default_rng(seed)
    out = []
    for text in texts:
        if rng.random() < 0.4:
            text = s2t.convert(text)
        text = re.sub(r"[？?！!。.]*$", "", text) + str(rng.choice(_NOISE_ENDINGS))
        if rng.random() < 0.6:
            text += str(rng.choice(_NOISE_EMOTICONS)) * int(rng.integers(1, 3))
        if rng.random() < 0.4:
            emoji = str(rng.choice(_NOISE_EMOJI))
            text = emoji + text if rng.random() < 0.3 else text + emoji * int(rng.integers(1, 4))
        if rng.random() < 0.2:
            text = unicodedata.normalize("NFKC", text).translate(_FULL_WIDTH)
        out.append(text)
    return out


def with_customer_noise(data: BeirSet, seed: int = 7) -> BeirSet:
    """`data` with every query passed through `add_customer_noise` (corpus untouched)."""
    return dataclasses.replace(data, query_texts=add_customer_noise(data.query_texts, seed))


def _beir_snapshot_ranker(
    data: BeirSet,
    embedder: Embedder,
    cache: EmbeddingCache,
    weights: RankingWeights | None,
    progress: Callable[[int], None] | None,
) -> SuggestionRanker:
    entries = tuple(
        KnowledgeEntry(id=f"doc{i}", kind=SourceKind.FAQ, questions=(text,), reply=text)
        for i, text in enumerate(data.corpus_texts)
    )
    kb = KnowledgeBase(shop_name="beir", entries=entries, sources={})
    with tempfile.TemporaryDirectory(prefix="huashu-eval-") as tmp:
        build_snapshot(kb, Path(tmp), embedder, cache, progress=progress)
        return SuggestionRanker(load_snapshot(Path(tmp)), weights=weights)


def evaluate_beir(
    data: BeirSet,
    embedder: Embedder,
    cache: EmbeddingCache,
    weights: RankingWeights | None = None,
    progress: Callable[[int], None] | None = None,
    seed: int = 0,
    keep_hits: bool = False,
) -> dict[str, Any]:
    """Build a snapshot of the corpus, rank every query with each system, score them.

    Systems: `lexical` (BM25), `dense` (message vs question keys), `rrf` (textbook reciprocal
    rank fusion of those two, k = 60), `hybrid` (what ships) and `hybrid_candidates_z` (the
    former fusion: z-scores over each signal's own candidate list, raw message embedded).
    `folds` holds each system's metrics on the two halves of `two_fold_split(seed)`; with
    `keep_hits`, `hits` holds each system's first-hit rank per query (for `paired_bootstrap`).
    """
    ranker = _beir_snapshot_ranker(data, embedder, cache, weights, progress)
    former = SuggestionRanker(
        ranker.snapshot, weights=dataclasses.replace(ranker.weights, standardise_over="candidates")
    )
    # What the ranker shows (`rank`: the order, made diverse). A shop's near-identical replies are
    # one reply shown once; here every reply is its document's question, so paraphrased questions
    # (distinct documents) would count as duplicates: kept apart for the measure.
    kept = dataclasses.replace(ranker.weights, duplicate_at=1.1)
    shown = SuggestionRanker(ranker.snapshot, weights=kept)
    blend = SuggestionRanker(ranker.snapshot, weights=dataclasses.replace(kept, confidence=0.3))
    # The whole pipeline the service runs (emotion reading and nudge, situation checks, sure answers
    # first in the first places), over the same ranker as `suggested` (paraphrases kept apart).
    suggester = Suggester(SuggestionRanker(ranker.snapshot, weights=kept, tag_bias=tag_bias))
    shipped_texts = [ranker.query_texts(SuggestRequest(t))[0] for t in data.query_texts]
    vectors = cache.encode(embedder, shipped_texts, "query", progress=progress)
    raw_vectors = cache.encode(embedder, data.query_texts, "query", progress=progress)

    systems: dict[str, Callable[[int, str], Ranking]] = {
        "lexical": lambda i, text: ranker.lexical_ranking(text),
        "dense": lambda i, text: ranker.dense_ranking(vectors[i]),
        "rrf": lambda i, text: reciprocal_rank_fusion([ranker.dense_ranking(vectors[i]), ranker.lexical_ranking(text)]),
        "hybrid": lambda i, text: ranker.fused(SuggestRequest(text), vectors[i].reshape(1, -1)),
        "hybrid_candidates_z": lambda i, text: former.fused(SuggestRequest(text), raw_vectors[i].reshape(1, -1)),
        "suggested": lambda i, text: _suggested(shown, text, vectors[i]),
        "suggested_confidence_blend": lambda i, text: _suggested(blend, text, vectors[i]),
        "suggester": lambda i, text: _through_suggester(suggester, text, vectors[i]),
    }
    relevant = [data.relevant[q] for q in data.query_ids]
    half_a, half_b = two_fold_split(len(data.query_ids), seed)
    results: dict[str, Any] = {}
    folds: dict[str, Any] = {}
    hits_by_system: dict[str, list[int]] = {}
    for name, system in systems.items():
        started = time.perf_counter()
        ranked = [[data.corpus_ids[row] for row, _ in system(i, text)[:10]] for i, text in enumerate(data.query_texts)]
        ms = (time.perf_counter() - started) * 1000 / len(ranked)
        hits = first_hits(ranked, relevant)
        hits_by_system[name] = hits
        results[name] = {**metrics_from_hits(hits), "ms_per_query": round(ms, 3)}
        folds[name] = [metrics_from_hits([hits[i] for i in half]) for half in (half_a, half_b)]
    report: dict[str, Any] = {
        "queries": len(data.query_ids),
        "corpus": len(data.corpus_ids),
        "model": embedder.name,
        "systems": results,
        "folds": folds,
        "fold_sizes": [len(half_a), len(half_b)],
    }
    if keep_hits:
        report["hits"] = hits_by_system
    return report


def _suggested(ranker: SuggestionRanker, text: str, vector: Vectors) -> Ranking:
    """The suggestions `SuggestionRanker.rank` shows for `text` (top 10: the blend of relevance and
    confidence, made diverse), as a ranking of entry rows."""
    rows = ranker.entry_rows()
    shown = ranker.rank(SuggestRequest(text, k=10), vector.reshape(1, -1))
    return [(rows[s.entry_id], s.order) for s in shown]


def _through_suggester(suggester: Suggester, text: str, vector: Vectors) -> Ranking:
    """The suggestions the whole `Suggester` shows for `text` (top 10), as a ranking of entry rows."""
    rows = suggester.ranker.entry_rows()
    outcome = suggester.rank(SuggestRequest(text, k=10), vector.reshape(1, -1))
    return [(rows[s.entry_id], s.order) for s in outcome.suggestions]


def paired_bootstrap(
    hits_a: Sequence[int], hits_b: Sequence[int], k: int = 3, rounds: int = 2000, seed: int = 1
) -> tuple[float, float, float]:
    """Recall@k of system A minus system B on the same queries, with a 95 % bootstrap interval."""
    diff = (np.asarray(hits_a) < k).astype(float) - (np.asarray(hits_b) < k)
    samples = np.random.default_rng(seed).integers(0, len(diff), (rounds, len(diff)))
    means = diff[samples].mean(axis=1)
    return float(diff.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def recency_weights(count: int, decay: float) -> np.ndarray:
    """Weights of `count` turns, oldest first: newest 1, then decay, decay², … going back."""
    return np.asarray([decay ** (count - 1 - i) for i in range(count)], dtype=np.float64)


def recency_mix(vectors: np.ndarray, decay: float) -> np.ndarray:
    """One unit vector for a conversation: its turns' vectors (oldest first), recency-weighted."""
    mixed = recency_weights(len(vectors), decay) @ np.asarray(vectors, dtype=np.float64)
    return (mixed / max(float(np.linalg.norm(mixed)), 1e-12)).astype(np.float32)


def char_overlap(reply: str, turns: Sequence[str], decay: float) -> float:
    """Recency-weighted share of a reply's character uni/bi-grams that the turns also use."""
    grams = set(char_ngrams(clean(reply)))
    if not grams or not turns:
        return 0.0
    weights = recency_weights(len(turns), decay)
    shares = [len(grams & set(char_ngrams(clean(t)))) / len(grams) for t in turns]
    return float(weights @ np.asarray(shares) / weights.sum())


def _tie_aware_hit(scores: Sequence[float], labels: Sequence[int]) -> float:
    """1 if the top-scored candidate is right; with ties, the share of right ones among the top."""
    s = np.asarray(scores, dtype=np.float64)
    best = np.flatnonzero(s >= s.max() - 1e-12)
    return float(np.mean([labels[int(i)] == 1 for i in best]))


def selection_request(row: SelectionRow) -> SuggestRequest:
    """A row's last turn as the customer's message, the turns before it as alternating context."""
    earlier = row.context[:-1]
    turns = tuple(Turn("agent" if (len(earlier) - i) % 2 == 1 else "customer", text) for i, text in enumerate(earlier))
    return SuggestRequest(row.context[-1], context=turns)


def evaluate_selection(
    rows: Sequence[SelectionRow],
    embedder: Embedder,
    cache: EmbeddingCache,
    context_turns: int = 3,
    decay: float = 0.5,
    window: int = 6,
) -> dict[str, Any]:
    """R@1 of picking the real reply, from the last turn alone and with earlier turns.

    * `last_turn`: the last turn's vector against each candidate (embedded as a passage);
    * `context_N_turns`: the last N turns joined into one text, likewise;
    * `recency_weighted`: the last `window` turns embedded one by one and mixed with weights
      1, decay, decay², … from the newest back (`recency_mix`);
    * `recency_weighted_plus_overlap`: that score plus 0.1 × the recency-weighted share of the
      candidate's character n-grams that the turns use (`char_overlap`);
    * `ranker_message_only` / `ranker_with_context`: what ships — `SuggestionRanker.fused`
      over a snapshot whose entries are all the set's candidate replies, without and with the
      earlier turns as `SuggestRequest.context`; each row picks the better of its candidates.
    """
    candidates = sorted({c for r in rows for c in r.candidates})
    passages = dict(zip(candidates, cache.encode(embedder, candidates, "passage"), strict=True))
    turns = sorted({t for r in rows for t in r.context[-window:]})
    turn_vectors = dict(zip(turns, cache.encode(embedder, turns, "query"), strict=True))
    joined = cache.encode(embedder, ["，".join(r.context[-context_turns:]) for r in rows], "query")

    def dense_r1(queries: Sequence[np.ndarray]) -> float:
        right = sum(
            _tie_aware_hit([float(passages[c] @ q) for c in row.candidates], row.labels)
            for row, q in zip(rows, queries, strict=True)
        )
        return right / max(1, len(rows))

    last = [turn_vectors[r.context[-1]] for r in rows]
    mixed = [recency_mix(np.stack([turn_vectors[t] for t in r.context[-window:]]), decay) for r in rows]
    with_overlap = sum(
        _tie_aware_hit(
            [float(passages[c] @ m) + 0.1 * char_overlap(c, r.context[-window:], decay) for c in r.candidates],
            r.labels,
        )
        for r, m in zip(rows, mixed, strict=True)
    ) / max(1, len(rows))

    ranker_alone, ranker_context = _ranker_selection(rows, candidates, embedder, cache)
    return {
        "rows": len(rows),
        "candidates_per_row": sorted({len(r.candidates) for r in rows}),
        "model": embedder.name,
        "r@1_last_turn": dense_r1(last),
        f"r@1_context_{context_turns}_turns": dense_r1(list(joined)),
        "r@1_recency_weighted": dense_r1(mixed),
        "r@1_recency_weighted_plus_overlap": with_overlap,
        "r@1_ranker_message_only": ranker_alone,
        "r@1_ranker_with_context": ranker_context,
        "r@1_random": float(np.mean([sum(r.labels) / len(r.labels) for r in rows])),
    }


def _ranker_selection(
    rows: Sequence[SelectionRow], candidates: list[str], embedder: Embedder, cache: EmbeddingCache
) -> tuple[float, float]:
    entries = tuple(
        KnowledgeEntry(id=f"c{i}", kind=SourceKind.FAQ, questions=(text,), reply=text)
        for i, text in enumerate(candidates)
    )
    kb = KnowledgeBase(shop_name="selection", entries=entries, sources={})
    with tempfile.TemporaryDirectory(prefix="huashu-eval-") as tmp:
        build_snapshot(kb, Path(tmp), embedder, cache)
        ranker = SuggestionRanker(load_snapshot(Path(tmp)))
    row_of = {text: i for i, text in enumerate(candidates)}
    out = []
    for with_context in (False, True):
        right = 0.0
        for row in rows:
            request = selection_request(row)
            if not with_context:
                request = SuggestRequest(request.text)
            vectors = cache.encode(embedder, ranker.query_texts(request), "query")
            fused = dict(ranker.fused(request, vectors))
            floor = min(fused.values(), default=0.0) - 1.0
            right += _tie_aware_hit([fused.get(row_of[c], floor) for c in row.candidates], row.labels)
        out.append(right / max(1, len(rows)))
    return out[0], out[1]
