"""Per-shop reply priors: what a shop's agents use and pass over moves its ranking, within bounds.

Evidence is kept per entry as two decaying counts, uses and dismissals (a suggestion shown and
not used, or explicitly dismissed in the panel). Both halve every `half_life` seconds, so last
month's habits fade; the boost `cap · tanh((uses − dismissal_weight · dismissals) / scale)`
stays inside ±cap whatever the counts, so no amount of clicking makes a poor match win on its
own. A `ReplyPriors` belongs to one shop and refuses evidence of another: one shop's agents
never move another shop's suggestions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from assistant.learning.acceptance import Acceptance, Outcome


@dataclass(frozen=True, slots=True)
class PriorRules:
    cap: float = 0.05  # the most a prior moves a suggestion's relevance (which lies in [0, 1])
    scale: float = 3.0  # uses at which the boost reaches tanh(1) ≈ 0.76 of the cap
    half_life: float = 30 * 86400.0  # seconds
    dismissal_weight: float = 0.25  # a suggestion passed over counts less than one used
    edit_weight: float = 0.5  # a use with edits counts half


@dataclass(frozen=True, slots=True)
class Evidence:
    uses: float = 0.0
    dismissals: float = 0.0
    at: float = 0.0  # when the counts were last decayed (seconds)

    def decayed(self, now: float, half_life: float) -> Evidence:
        if now <= self.at:
            return self
        factor = 0.5 ** ((now - self.at) / half_life)
        return Evidence(self.uses * factor, self.dismissals * factor, now)


class ShopMismatch(ValueError):
    """Evidence of one shop offered to another shop's priors."""


@dataclass(frozen=True, slots=True)
class ReplyPriors:
    """One shop's evidence per entry id; immutable (each update returns a new value)."""

    shop: str
    evidence: Mapping[str, Evidence] = field(default_factory=dict)
    rules: PriorRules = PriorRules()

    def record(self, shop: str, entry_id: str, uses: float, dismissals: float, at: float) -> ReplyPriors:
        """Add uses / dismissals of `entry_id` seen at time `at`; refuses another shop's evidence."""
        self._check(shop)
        evidence = dict(self.evidence)
        self._add(evidence, entry_id, uses, dismissals, at)
        return replace(self, evidence=evidence)

    def learn(self, shop: str, acceptances: Iterable[tuple[Acceptance, float]]) -> ReplyPriors:
        """Fold matched replies in (each with the time it was sent): the entry used gains, the
        others shown were passed over."""
        self._check(shop)
        evidence = dict(self.evidence)
        weights = {Outcome.USED: 1.0, Outcome.EDITED: self.rules.edit_weight}
        for acceptance, at in acceptances:
            weight = weights.get(acceptance.outcome, 0.0)
            if acceptance.entry_id is not None and weight:
                self._add(evidence, acceptance.entry_id, weight, 0.0, at)
            for entry_id in acceptance.shown:
                if entry_id != acceptance.entry_id:
                    self._add(evidence, entry_id, 0.0, 1.0, at)
        return replace(self, evidence=evidence)

    def _check(self, shop: str) -> None:
        if shop != self.shop:
            raise ShopMismatch(f"evidence of shop {shop!r} offered to the priors of shop {self.shop!r}")

    def _add(self, evidence: dict[str, Evidence], entry_id: str, uses: float, dismissals: float, at: float) -> None:
        old = evidence.get(entry_id, Evidence(at=at)).decayed(at, self.rules.half_life)
        evidence[entry_id] = Evidence(old.uses + uses, old.dismissals + dismissals, max(old.at, at))

    def boost(self, entry_id: str, now: float) -> float:
        """How much the shop's evidence moves `entry_id`, in [−cap, +cap]."""
        found = self.evidence.get(entry_id)
        if found is None:
            return 0.0
        e = found.decayed(now, self.rules.half_life)
        net = e.uses - self.rules.dismissal_weight * e.dismissals
        return self.rules.cap * math.tanh(net / self.rules.scale)


def priors_from(
    shop: str, acceptances: Iterable[tuple[Acceptance, float]], rules: PriorRules | None = None
) -> ReplyPriors:
    """A shop's priors from its matched replies, each with the time it was sent."""
    return ReplyPriors(shop, rules=rules or PriorRules()).learn(shop, acceptances)
