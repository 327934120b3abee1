"""How often a ranked suggestion with a given relevance is what the shop's agents really send.

Fitted per shop on its own replayed chats: each suggestion shown is a (relevance, matched) pair,
matched when the agent's real reply has a character F1 of at least 0.5 with it. Relevance is cut
into fixed bins and each bin's rate is smoothed towards the overall rate (`prior_weight` pseudo
observations) and made non-decreasing, so a thin bin cannot promise more than a fuller one
above it. The learning layer compares these rates with the quick replies' shares: both are
"how likely is this the reply", so one order covers both kinds of suggestion.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

EDGES = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


@dataclass(frozen=True, slots=True)
class HitRates:
    """Match rate per relevance bin (bins cut at `edges`)."""

    edges: tuple[float, ...]
    rates: tuple[float, ...]
    observations: int

    def rate(self, relevance: float) -> float:
        return self.rates[bisect.bisect_right(self.edges, relevance)]


def fit_hit_rates(
    relevance: Sequence[float], matched: Sequence[bool], edges: tuple[float, ...] = EDGES, prior_weight: float = 20.0
) -> HitRates:
    """Smoothed, non-decreasing match rates per bin from (relevance, matched) observations."""
    if len(relevance) != len(matched):
        raise ValueError("relevance and matched differ in length")
    overall = (sum(matched) + 1) / (len(matched) + 2)
    hits = [0] * (len(edges) + 1)
    seen = [0] * (len(edges) + 1)
    for r, m in zip(relevance, matched, strict=True):
        b = bisect.bisect_right(edges, r)
        seen[b] += 1
        hits[b] += int(m)
    rates = [(h + prior_weight * overall) / (n + prior_weight) for h, n in zip(hits, seen, strict=True)]
    for i in range(1, len(rates)):
        rates[i] = max(rates[i], rates[i - 1])
    return HitRates(edges, tuple(round(r, 4) for r in rates), len(matched))


def fit_slot_rates(
    slots: Sequence[str], relevance: Sequence[float], matched: Sequence[bool], min_observations: int = 50
) -> dict[str, HitRates]:
    """Match rates per slot (for slots with at least `min_observations`), and "*" over all of them."""
    out = {"*": fit_hit_rates(relevance, matched)}
    for slot in sorted(set(slots)):
        picked = [i for i, s in enumerate(slots) if s == slot]
        if len(picked) >= min_observations:
            out[slot] = fit_hit_rates([relevance[i] for i in picked], [matched[i] for i in picked])
    return out
