"""Fusing several rankings of the same items into one, as pure functions over `(id, score)` lists.

`zscore_fusion` is the shipped method: each signal's scores are standardised, so a signal that
is confidently peaked (one key far above the rest) counts for more than one whose scores are
flat. The mean and spread used for a signal are, when the caller knows them, those of its scores
over the *whole* index for this query (`ScoreStats`): a candidate's z then says how unusual its
score is for this query, whatever the candidate list's length. Without them, the candidates'
own scores are used. Reciprocal rank fusion, which sees only ranks, is kept as the textbook
baseline the evaluation compares against.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)
Ranking = Sequence[tuple[K, float]]
# Mean and standard deviation of one signal's scores for one query, over everything it scored.
ScoreStats = tuple[float, float]


def top_per_item(pairs: Sequence[tuple[K, float]]) -> list[tuple[K, float]]:
    """Keep each item's best score (several keys of one entry → the entry), best first."""
    best: dict[K, float] = {}
    for item, score in pairs:
        if item not in best or score > best[item]:
            best[item] = score
    return sorted(best.items(), key=lambda kv: kv[1], reverse=True)


def reciprocal_rank_fusion(
    rankings: Sequence[Ranking[K]], weights: Sequence[float] | None = None, k: float = 60.0
) -> list[tuple[K, float]]:
    """Σ w / (k + rank): the textbook fusion (Cormack et al. 2009)."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[K, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, (item, _) in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank)
    return sorted(fused.items(), key=lambda kv: kv[1], reverse=True)


def score_stats(scores: Sequence[float]) -> ScoreStats:
    """Mean and (population) standard deviation of a list of scores; (0, 0) for none."""
    if not scores:
        return 0.0, 0.0
    mean = math.fsum(scores) / len(scores)
    return mean, math.sqrt(math.fsum((s - mean) ** 2 for s in scores) / len(scores))


def standardise(ranking: Ranking[K], stats: ScoreStats | None = None) -> tuple[dict[K, float], float]:
    """z-scores of one ranking's candidates, and the z a candidate it lacks is given (its floor).

    `stats` is the (mean, std) to standardise with; by default the candidates' own. A signal
    with no spread gives every candidate z = 0. The floor is the lowest z in the ranking (a
    missing candidate scored no better than the last one listed), and 0 for an empty ranking.
    """
    if not ranking:
        return {}, 0.0
    mean, std = stats if stats is not None else score_stats([s for _, s in ranking])
    if not math.isfinite(std) or std < 1e-9:
        return {item: 0.0 for item, _ in ranking}, 0.0
    z = {item: (s - mean) / std for item, s in ranking}
    return z, min(z.values())


def zscore_fusion(
    rankings: Sequence[Ranking[K]],
    weights: Sequence[float],
    stats: Sequence[ScoreStats | None] | None = None,
) -> list[tuple[K, float]]:
    """Σ w · z: each signal standardised (see `standardise`); absent candidates get its floor.

    `stats`, one entry per ranking (None for "use the candidates' own"), is optional. Ties keep
    the order in which items were first seen, so the result is deterministic.
    """
    stats = stats if stats is not None else [None] * len(rankings)
    standardised = [standardise(r, st) for r, st in zip(rankings, stats, strict=True)]
    items: dict[K, None] = {}
    for ranking in rankings:
        items.update((item, None) for item, _ in ranking)
    fused = {
        item: sum(w * z.get(item, floor) for (z, floor), w in zip(standardised, weights, strict=True)) for item in items
    }
    return sorted(fused.items(), key=lambda kv: kv[1], reverse=True)
