"""The learning layer of the pipeline: quick replies and the shop's priors, in one order.

`ShopLearning.apply` takes the ranker's suggestions for a message (a pool larger than asked
for) and the shop's quick replies for the turn's slot, both learned from the shop's own chats:

* On a stock turn (acknowledgement, thanks, closing, greeting, order card) or the chat's opening
  turn the quick replies lead, as the set chosen to cover the slot's replies; on an opening turn
  the knowledge answers ("能开专票吗" as the first message) the answer comes second, after the
  greeting agents send first and before the other quick replies. Only a stock
  turn is answerable for having quick replies, not a chat's first message for being first.
* On a substantive turn the ranked suggestions (ordered by relevance plus the shop's prior:
  `priors`) and the quick replies are merged by how likely each adds the reply an agent of this
  shop sends: a ranked suggestion by the shop's marginal match rate at its place and relevance
  (`hit_rates`), a quick reply by its share of the slot's replies not covered by the ones before
  it. When the ranker found an answerable suggestion it leads whatever the rates say, so a
  question the knowledge answers never opens on "好的呢", and every suggestion that reaches the
  shop's threshold (`sure_at`) comes before the quick replies: a 1.00 promotion is not pushed out
  of the first three by 是的 (a user test; the replay's dev split gained 0.002 with it). Without
  fitted rates (a shop with no stored outcomes yet) the quick replies stay out of substantive turns.
  The pipeline drops the quick replies of a substantive turn for an upset customer (no 有什么可以
  帮您 under 你们是骗子吧，12315投诉你们).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from assistant.emotion.thresholds import CueThresholds
from assistant.knowledge.model import SourceKind
from assistant.learning.hit_rates import SlotRates
from assistant.learning.priors import ReplyPriors
from assistant.learning.quick_replies import OPENING, SUBSTANTIVE, QuickReplies, QuickReply, slot_of
from assistant.retrieval.types import Suggestion, SuggestRequest

QUICK_REPLY_TAG = "quick_reply"
QUICK_PREFIX = "quick-"  # the entry ids of quick replies


def quick_suggestion(quick: QuickReply) -> Suggestion:
    """A quick reply as a suggestion: a past reply tagged `quick_reply` and its slot; its score is
    the share of the slot's real replies it covers."""
    digest = hashlib.sha256(f"{quick.slot}\x00{quick.text}".encode()).hexdigest()[:10]
    return Suggestion(
        entry_id=f"{QUICK_PREFIX}{digest}",
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
    rates: SlotRates | None = None
    clock: Callable[[], float] = time.time
    cue_thresholds: CueThresholds | None = None
    """The shop's cue cut-offs, raised where its agents marked shown cues wrong (None: as shipped)."""

    def relevance(self, suggestion: Suggestion, now: float) -> float:
        """The ranker's order value of the suggestion moved by the shop's prior (bounded): the
        order the plain pipeline shows, with what this shop's agents use and pass over."""
        if self.priors is None:
            return suggestion.order
        return suggestion.order + self.priors.boost(suggestion.entry_id, now)

    def apply(
        self, request: SuggestRequest, ranked: Sequence[Suggestion], found: bool = False, sure_at: float | None = None
    ) -> tuple[Suggestion, ...]:
        """The suggestions to show for `request`, from the ranker's pool `ranked`; `found`: the
        pool holds an answerable suggestion; `sure_at`: the shop's threshold, at which a ranked
        suggestion of a substantive turn comes before every quick reply (see the module doc)."""
        now = self.clock()
        first = first_customer_turn(request)
        slot = slot_of(request.text, first)
        quick = [quick_suggestion(q) for q in self.quick.for_turn(request.text, first)]
        if self.priors is None:
            # no evidence: the ranker's own order, as made diverse; re-sorting it by `order` let the
            # pipeline pick another apology to put first than without learning when two were near-tied
            # (那到底什么时候能发？ after 再不发我就给差评了)
            ordered = list(ranked)
        else:
            scored = sorted(((self.relevance(s, now), -i, s) for i, s in enumerate(ranked)), key=lambda t: (t[0], t[1]))
            ordered = [s for _, _, s in reversed(scored)]
        if slot == OPENING and found:  # a first message the knowledge answers: greet, then answer
            order = [*quick[:1], *ordered[:1], *quick[1:], *ordered[1:]]
        elif slot != SUBSTANTIVE:
            order = [*quick, *ordered]
        elif self.rates is None:
            order = ordered
        else:
            order = self._merge(self.rates, slot, ordered, quick, found, sure_at)
        return tuple(_distinct(order)[: request.k])

    @staticmethod
    def _merge(
        rates: SlotRates,
        slot: str,
        ranked: Sequence[Suggestion],
        quick: Sequence[Suggestion],
        found: bool,
        sure_at: float | None = None,
    ) -> list[Suggestion]:
        """Ranked and quick suggestions merged by marginal likelihood, each list keeping its order."""
        out: list[Suggestion] = []
        r = q = 0
        while r < len(ranked) or q < len(quick):
            rate = rates.rate(slot, r, ranked[r].score) if r < len(ranked) else -1.0
            share = quick[q].score if q < len(quick) else -1.0
            sure = r < len(ranked) and sure_at is not None and ranked[r].score >= sure_at
            if r < len(ranked) and (rate >= share or (found and not out) or sure):
                out.append(ranked[r])
                r += 1
            else:
                out.append(quick[q])
                q += 1
        return out

    def stock_turn(self, request: SuggestRequest) -> bool:
        """True when the turn is answered by quick replies: a stock turn (a hello, 好的, 谢谢 …) with
        some learned. A chat's first message is not one by being first: "x" or a question the
        knowledge cannot answer is no more answerable for opening a chat."""
        first = first_customer_turn(request)
        stock = slot_of(request.text, first) not in (SUBSTANTIVE, OPENING)
        return stock and bool(self.quick.for_turn(request.text, first))


def _distinct(order: Sequence[Suggestion]) -> list[Suggestion]:
    """One suggestion per text, at the place of its first copy. When a quick reply and a ranked
    suggestion say the same (an answer agents also sent as a habit, then made a FAQ entry), the
    ranked one is kept there: its score says the message is answered and its id is the entry's."""
    out: list[Suggestion] = []
    place: dict[str, int] = {}
    for suggestion in order:
        i = place.get(suggestion.text)
        if i is None:
            place[suggestion.text] = len(out)
            out.append(suggestion)
        elif QUICK_REPLY_TAG in out[i].tags and QUICK_REPLY_TAG not in suggestion.tags:
            out[i] = suggestion
    return out
