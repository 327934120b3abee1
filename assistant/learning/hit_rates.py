"""How often a ranked suggestion with a given relevance, shown at a given place, is what the
shop's agents really send.

Fitted per shop on its own chats (the replay of its library, or the reply outcomes the service
stored): every ranked suggestion shown is an `Observation` of its turn's slot, its place among
the ranked suggestions shown (0 = first), its relevance, and whether it matched the agent's real
reply (character F1 of at least 0.5) *where no ranked suggestion before it did*. That last part
makes a rate a marginal gain, like a quick reply's share (the replies it covers that the quick
replies before it did not): the second wording of the same answer adds little when the first
already matched, and only marginal rates can be compared with quick replies' shares to choose
the three to show. Relevance is cut into fixed bins; each bin's rate is smoothed towards its
place's overall rate (`prior_weight` pseudo observations) and made non-decreasing, so a thin bin
cannot promise more than a fuller one above it. A place's overall rate is itself smoothed the
same way towards a fuller one: a slot's place towards that place over every slot, a place over
every slot towards the place above it; a place never shown is as the place above. A place
shown a handful of times therefore promises what the evidence around it says, not a coin toss.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

EDGES = (0.3, 0.5, 0.7, 0.8, 0.9)
MATCH_AT = 0.5  # character F1 at which a suggestion is the reply sent (Smart Reply's scoring)
PLACES = 3  # places 0, 1 and "2 or later"
ANY_SLOT = "*"


@dataclass(frozen=True, slots=True)
class Observation:
    """One ranked suggestion shown: its turn's slot, its place among the ranked suggestions
    shown, its relevance, and whether it matched where none before it did."""

    slot: str
    place: int
    relevance: float
    matched: bool


@dataclass(frozen=True, slots=True)
class HitRates:
    """Match rate per relevance bin (bins cut at `edges`)."""

    edges: tuple[float, ...]
    rates: tuple[float, ...]
    observations: int
    overall: float = 0.0  # the smoothed rate over all bins

    def rate(self, relevance: float) -> float:
        return self.rates[bisect.bisect_right(self.edges, relevance)]


def fit_hit_rates(
    relevance: Sequence[float],
    matched: Sequence[bool],
    edges: tuple[float, ...] = EDGES,
    prior_weight: float = 20.0,
    prior: float | None = None,
) -> HitRates:
    """Smoothed, non-decreasing match rates per bin from (relevance, matched) observations. The
    overall rate is smoothed towards `prior` (`prior_weight` pseudo observations), or with one
    pseudo hit and one pseudo miss when there is no prior."""
    if len(relevance) != len(matched):
        raise ValueError("relevance and matched differ in length")
    if prior is None:
        overall = (sum(matched) + 1) / (len(matched) + 2)
    else:
        overall = (sum(matched) + prior_weight * prior) / (len(matched) + prior_weight)
    hits = [0] * (len(edges) + 1)
    seen = [0] * (len(edges) + 1)
    for r, m in zip(relevance, matched, strict=True):
        b = bisect.bisect_right(edges, r)
        seen[b] += 1
        hits[b] += int(m)
    rates = [(h + prior_weight * overall) / (n + prior_weight) for h, n in zip(hits, seen, strict=True)]
    for i in range(1, len(rates)):
        rates[i] = max(rates[i], rates[i - 1])
    return HitRates(edges, tuple(round(r, 4) for r in rates), len(matched), round(overall, 4))


@dataclass(frozen=True, slots=True)
class SlotRates:
    """A shop's match rates per slot (`quick_replies.slot_of`) and place; `ANY_SLOT` for a slot
    with too little evidence of its own."""

    by_slot: Mapping[str, tuple[HitRates, ...]]
    observations: int

    def rate(self, slot: str, place: int, relevance: float) -> float:
        places = self.by_slot.get(slot) or self.by_slot[ANY_SLOT]
        return places[min(place, len(places) - 1)].rate(relevance)

    def table(self) -> dict[str, list[list[float]]]:
        """JSON-able: per slot, per place, the rate of each relevance bin."""
        return {slot: [list(r.rates) for r in places] for slot, places in self.by_slot.items()}


def marginal(matched: Sequence[bool]) -> list[bool]:
    """Whether each suggestion of one list matched where none before it did."""
    out, found = [], False
    for m in matched:
        out.append(m and not found)
        found = found or m
    return out


def fit_slot_rates(observations: Iterable[Observation], min_observations: int = 50) -> SlotRates | None:
    """Rates per place over every slot (`ANY_SLOT`), and per slot for slots with at least
    `min_observations`; None when there are fewer than that in all."""
    by_slot: dict[str, list[Observation]] = defaultdict(list)
    everything: list[Observation] = []
    for o in observations:
        by_slot[o.slot].append(o)
        everything.append(o)
    if len(everything) < min_observations:
        return None

    def places(seen: Sequence[Observation], priors: Sequence[HitRates] | None) -> tuple[HitRates, ...]:
        out: list[HitRates] = []
        for place in range(PLACES):
            obs = [o for o in seen if min(o.place, PLACES - 1) == place]
            if not obs:  # never shown this far down: as the place above (or nothing learned)
                out.append(out[-1] if out else HitRates(EDGES, (0.0,) * (len(EDGES) + 1), 0))
                continue
            if priors is not None:  # a slot: towards the same place over every slot
                prior: float | None = priors[place].overall
            else:  # every slot: towards the place above (the first place has no prior)
                prior = out[-1].overall if out else None
            out.append(fit_hit_rates([o.relevance for o in obs], [o.matched for o in obs], prior=prior))
        return tuple(out)

    overall = places(everything, None)
    out = {ANY_SLOT: overall}
    for slot, seen in sorted(by_slot.items()):
        if len(seen) >= min_observations:
            out[slot] = places(seen, overall)
    return SlotRates(out, len(everything))
