"""Keeping the top suggestions different from each other: near-duplicate removal, then MMR."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from assistant.retrieval.text import char_ngrams, clean

K = TypeVar("K")


def bigram_jaccard(a: str, b: str) -> float:
    """Overlap of the character bigrams of two cleaned texts (1.0 = the same wording)."""
    x, y = set(char_ngrams(clean(a), (2,))), set(char_ngrams(clean(b), (2,)))
    if not x or not y:
        return 1.0 if clean(a) == clean(b) else 0.0
    return len(x & y) / len(x | y)


def maximal_marginal_relevance(
    ranking: Sequence[tuple[K, float]],
    similarity: Callable[[K, K], float],
    k: int,
    diversity: float = 0.3,
    duplicate_at: float = 0.9,
) -> list[tuple[K, float]]:
    """Pick `k` items greedily by relevance − `diversity` · (similarity to those already picked).

    An item at least `duplicate_at` similar to a picked one is a near-duplicate and is dropped.
    Scores are returned unchanged (the relevance), in the chosen order.
    """
    chosen: list[tuple[K, float]] = []
    pool = list(ranking)
    while pool and len(chosen) < k:
        best_i, best_value = -1, float("-inf")
        keep: list[tuple[K, float]] = []
        for item, relevance in pool:
            nearest = max((similarity(item, c) for c, _ in chosen), default=0.0)
            if nearest >= duplicate_at:
                continue
            keep.append((item, relevance))
            value = relevance - diversity * nearest
            if value > best_value:
                best_i, best_value = len(keep) - 1, value
        if best_i < 0:
            break
        chosen.append(keep.pop(best_i))
        pool = keep
    return chosen
