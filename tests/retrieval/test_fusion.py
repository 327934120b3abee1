"""Fusion functions are pure: same input, same output, inputs untouched; edge cases behave."""

from __future__ import annotations

import copy
import math

import pytest

from assistant.retrieval.fusion import (
    reciprocal_rank_fusion,
    score_stats,
    standardise,
    top_per_item,
    zscore_fusion,
)

DENSE = [("a", 0.9), ("b", 0.8), ("c", 0.7)]
LEXICAL = [("b", 12.0), ("d", 3.0), ("a", 1.0)]


def test_zscore_fusion_is_pure_and_deterministic() -> None:
    rankings = [DENSE, LEXICAL]
    before = copy.deepcopy(rankings)
    first = zscore_fusion(rankings, [0.6, 0.4])
    assert zscore_fusion(rankings, [0.6, 0.4]) == first
    assert rankings == before
    assert {item for item, _ in first} == {"a", "b", "c", "d"}
    assert first[0][0] == "b"  # second in one list, far first in the other


def test_standardise_with_given_stats_uses_them_not_the_candidates() -> None:
    z, floor = standardise([("a", 3.0), ("b", 1.0)], stats=(1.0, 2.0))
    assert z == {"a": 1.0, "b": 0.0} and floor == 0.0
    own, _ = standardise([("a", 3.0), ("b", 1.0)])
    assert own == {"a": 1.0, "b": -1.0}


def test_index_stats_let_a_peaked_signal_count_more() -> None:
    # Same candidate scores; over the whole index one signal's top stands far above the rest.
    peaked = zscore_fusion([[("a", 0.9), ("b", 0.5)]], [1.0], [(0.3, 0.1)])
    flat = zscore_fusion([[("a", 0.9), ("b", 0.5)]], [1.0], [(0.7, 0.3)])
    assert peaked[0][1] == pytest.approx(6.0) and flat[0][1] == pytest.approx(2 / 3)


def test_absent_candidates_get_the_signal_floor() -> None:
    fused = dict(zscore_fusion([DENSE, LEXICAL], [1.0, 1.0]))
    _, floor = standardise(LEXICAL)
    z_dense, _ = standardise(DENSE)
    assert fused["c"] == pytest.approx(z_dense["c"] + floor)


@pytest.mark.parametrize("stats", [None, [(0.0, 0.0)], [(1.0, float("nan"))]])
def test_a_signal_without_spread_adds_nothing(stats: list[tuple[float, float]] | None) -> None:
    fused = zscore_fusion([[("a", 1.0), ("b", 1.0)]], [1.0], stats)
    assert all(score == 0.0 for _, score in fused)


def test_empty_inputs() -> None:
    assert zscore_fusion([], []) == []
    assert zscore_fusion([[], []], [1.0, 1.0]) == []
    assert zscore_fusion([[], [("a", 2.0)]], [1.0, 1.0]) == [("a", 0.0)]
    assert reciprocal_rank_fusion([]) == []
    assert score_stats([]) == (0.0, 0.0)
    assert standardise([]) == ({}, 0.0)


def test_weights_must_match_rankings() -> None:
    with pytest.raises(ValueError):
        zscore_fusion([DENSE, LEXICAL], [1.0])


def test_score_stats() -> None:
    mean, std = score_stats([1.0, 2.0, 3.0])
    assert mean == 2.0 and std == pytest.approx(math.sqrt(2 / 3))


def test_rrf_and_top_per_item() -> None:
    fused = reciprocal_rank_fusion([DENSE, LEXICAL], k=60)
    assert fused[0][0] == "b" and fused[0][1] == pytest.approx(1 / 62 + 1 / 61)
    assert dict(fused)["a"] == pytest.approx(1 / 61 + 1 / 63)
    assert top_per_item([("x", 0.2), ("y", 0.5), ("x", 0.7)]) == [("x", 0.7), ("y", 0.5)]
