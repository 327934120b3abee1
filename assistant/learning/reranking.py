"""The learning layer of the pipeline: quick replies and the shop's priors, in one order.

`ShopLearning.apply` takes the ranker's suggestions for a message (a pool larger than asked
for) and orders them together with the shop's quick replies for the turn's slot by how likely
each is the reply an agent of this shop sends (both learned from the shop's own chats):

* a quick reply: the share of the slot's real replies it covers (`quick_replies`);
* a ranked suggestion: the shop's match rate at its relevance plus its prior (`hit_rates`,
  `priors`); without fitted rates, its relevance with the prior.

On a stock turn (acknowledgement, thanks, closing, greeting, order card) or the chat's opening
turn the quick replies usually win; on a substantive turn they stay out of the way: at most
`substantive_quick` of them, never first, and only where the shop's evidence says they are likelier
than what retrieval found.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from assistant.knowledge.model import SourceKind
from assistant.learning.hit_rates import HitRates
from assistant.learning.priors import ReplyPriors
from assistant.learning.quick_replies import SUBSTANTIVE, QuickReplies, QuickReply, slot_of
from assistant.retrieval.types import Suggestion, SuggestRequest

QUICK_REPLY_TAG = "quick_reply"


def quick_suggestion(quick: QuickReply) -> Suggestion:
    """A quick reply as a suggestion: a past reply tagged `quick_reply` and its slot; its score is
    the share of the slot's real replies it covers."""
    digest = hashlib.sha256(f"{quick.slot}\x00{quick.text}".encode()).hexdigest()[:10]
    return Suggestion(
        entry_id=f"quick-{digest}",
        text=quick.text,
        score=round(quick.share, 4),
        kind=SourceKind.PAST_REPLY,
        tags=(QUICK_REPLY_TAG, quick.slot),
        matched=quick.slot,
        origin=f"quick reply: covers {quick.covers} of {quick.of} replies to {quick.slot} turns",
    )


def first_customer_turn(request: SuggestRequest) -> bool:
    return not any(turn.role == "customer" for turn in request.context)


@dataclass(frozen=True, slots=True)
class ShopLearning:
    """What one shop learned from its chats; safe to share across calls."""

    quick: QuickReplies = field(default_factory=QuickReplies)
    priors: ReplyPriors | None = None
    rates: Mapping[str, HitRates] | None = None  # per slot (`quick_replies.slot_of`), "*" for any
    substantive_quick: int = 2
    clock: Callable[[], float] = time.time

    def pool_size(self, k: int) -> int:
        """How many ranked suggestions `apply` wants to choose `k` from."""
        return max(3 * k, 10)

    def likelihood(self, suggestion: Suggestion, slot: str, now: float) -> float:
        """How likely a ranked suggestion is the agent's reply to a turn of `slot` (see the module doc)."""
        relevance = suggestion.score
        if self.priors is not None:
            relevance += self.priors.boost(suggestion.entry_id, now)
        rates = None if self.rates is None else self.rates.get(slot, self.rates.get("*"))
        return relevance if rates is None else rates.rate(relevance)

    def apply(self, request: SuggestRequest, ranked: Sequence[Suggestion]) -> tuple[Suggestion, ...]:
        """The suggestions to show for `request`, from the ranker's pool `ranked` (see module doc)."""
        now = self.clock()
        slot = slot_of(request.text, first_customer_turn(request))
        scored = [(self.likelihood(s, slot, now), -i, s) for i, s in enumerate(ranked)]
        quick = self.quick.for_turn(request.text, first_customer_turn(request))
        if slot != SUBSTANTIVE:
            # A stock turn: the quick replies were chosen together to cover the slot's replies,
            # so they lead as a set (a ranked reply measured alone would split them up).
            scored += [(2.0, -i, quick_suggestion(q)) for i, q in enumerate(quick)]
        elif self.rates is not None:
            scored += [(q.share, -i, quick_suggestion(q)) for i, q in enumerate(quick)]
        order = [s for _, _, s in sorted(scored, key=lambda t: (t[0], t[1]), reverse=True)]
        if slot == SUBSTANTIVE:
            order = self._quick_out_of_the_way(order)
        seen: set[str] = set()
        out = []
        for suggestion in order:
            if suggestion.text not in seen:
                seen.add(suggestion.text)
                out.append(suggestion)
        return tuple(out[: request.k])

    def _quick_out_of_the_way(self, order: list[Suggestion]) -> list[Suggestion]:
        """At most `substantive_quick` quick replies, none of them first (when anything was ranked)."""
        ranked = [s for s in order if QUICK_REPLY_TAG not in s.tags]
        quick = [s for s in order if QUICK_REPLY_TAG in s.tags][: self.substantive_quick]
        if not ranked:
            return quick
        rest = [s for s in order[1:] if s is not ranked[0] and (s in quick or s in ranked)]
        return [ranked[0], *rest]

    def stock_turn(self, request: SuggestRequest) -> bool:
        """True when the turn is answered by quick replies (a stock turn with some learned)."""
        slot = slot_of(request.text, first_customer_turn(request))
        return slot != SUBSTANTIVE and bool(self.quick.for_turn(request.text, first_customer_turn(request)))
