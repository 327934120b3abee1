"""A shop's learning from its own records, as the service serves it (`reranking.ShopLearning`).

* Quick replies: every customer turn of the shop's recorded conversations followed by a human
  agent's reply (consecutive turns of one side joined, bots left out) is a chat pair;
  `quick_replies.learn_quick_replies` picks the short replies its agents send most per slot.
  A reply whose candidate an admin decided is not offered as a quick reply: rejected, not at
  all; approved, once the snapshot served holds the published entry (perhaps edited), from the
  knowledge instead (`shop_candidates.withheld_from_quick`).
* Match rates: each stored reply outcome lists the suggestions shown with their place, score
  and character similarity to the reply the agent sent; every ranked one (quick replies left
  out) is an observation of the customer turn's slot, its place, its score and whether it
  matched (similarity ≥ 0.5) where none before it did (`hit_rates.fit_slot_rates`). With
  enough of them the learning layer weighs ranked suggestions against quick replies on
  substantive turns, as the replay of `huashu eval replay` measures it.
* Priors: the outcome of every agent reply (used, edited, or the suggestions passed over; as
  `analytics.settled_outcomes` settles it: in time order, matched again when the one stored on
  arrival answered another customer message) and the panel's explicit actions (use, edit, send;
  dismiss), each at its time, decaying and bounded (`priors.ReplyPriors`). A suggestion used in
  the panel and then sent counts once: evidence is kept per (conversation, customer message,
  entry), the strongest of both sources.

Only the shop's own history goes in; the priors refuse another shop's evidence.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace

from assistant.emotion.thresholds import CueThresholds
from assistant.emotion.types import CueName
from assistant.learning.acceptance import Outcome
from assistant.learning.analytics import by_conversation, settled_outcomes
from assistant.learning.hit_rates import MATCH_AT, Observation, fit_slot_rates, marginal
from assistant.learning.priors import PriorRules, ReplyPriors
from assistant.learning.quick_replies import ChatPair, QuickReplyRules, learn_quick_replies, slot_of
from assistant.learning.reply_outcomes import outcome
from assistant.learning.reranking import QUICK_PREFIX, ShopLearning
from assistant.learning.shop_candidates import candidate_id
from assistant.learning.similarity import reply_chars
from assistant.storage.records import ShopHistory, epoch

_FEEDBACK_USES = {"use": 1.0, "send": 1.0}


@dataclass(frozen=True, slots=True)
class LearningRules:
    quick: QuickReplyRules = field(default_factory=QuickReplyRules)
    priors: PriorRules = field(default_factory=PriorRules)


def chat_pairs(history: ShopHistory) -> list[ChatPair]:
    """(customer turn, the agent's reply, first customer turn of the chat) from the records."""
    pairs: list[ChatPair] = []
    for conversation, messages in by_conversation(history.messages).items():
        merged: list[tuple[str, str]] = []
        for m in messages:
            if m.role not in ("customer", "agent"):
                continue
            if merged and merged[-1][0] == m.role:
                merged[-1] = (m.role, merged[-1][1] + " " + m.text)
            else:
                merged.append((m.role, m.text))
        first = True
        for (role, text), (next_role, reply) in itertools.pairwise(merged):
            if role == "customer" and next_role == "agent":
                pairs.append((text, reply, first, conversation))
                first = False
    return pairs


def outcome_observations(history: ShopHistory) -> list[Observation]:
    """The ranked suggestions of the stored reply outcomes as match-rate observations (see the
    module doc); an outcome whose customer message is not in `history` is left out."""
    slots: dict[tuple[str, str, str], str] = {}
    for messages in by_conversation(history.messages).values():
        first = True
        for m in messages:
            if m.role == "customer":
                slots[(m.platform, m.conversation_id, m.message_id)] = slot_of(m.text, first)
                first = False
    out: list[Observation] = []
    for o in history.outcomes:
        slot = slots.get((o.platform, o.conversation_id, o.customer_message_id))
        if slot is None:
            continue
        ranked = [s for s in o.shown if not str(s.get("entry_id", "")).startswith(QUICK_PREFIX)]
        ranked.sort(key=lambda s: _number(s.get("rank")))
        matched = marginal([_number(s.get("similarity")) >= MATCH_AT for s in ranked])
        for place, (shown, hit) in enumerate(zip(ranked, matched, strict=True)):
            out.append(Observation(slot, place, _number(shown.get("score")), hit))
    return out


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def shop_priors(shop: str, history: ShopHistory, rules: PriorRules | None = None) -> ReplyPriors:
    """The shop's priors from its stored reply outcomes and panel feedback (see the module doc)."""
    rules = rules or PriorRules()
    # (conversation, customer message, entry) -> [uses, dismissals, at]
    evidence: dict[tuple[str, str, str], list[float]] = {}

    def add(key: tuple[str, str, str], uses: float, dismissals: float, at: float) -> None:
        found = evidence.setdefault(key, [0.0, 0.0, at])
        found[0], found[1], found[2] = max(found[0], uses), max(found[1], dismissals), max(found[2], at)

    weights = {Outcome.USED: 1.0, Outcome.EDITED: rules.edit_weight}
    for o in history.outcomes:
        at, kind = epoch(o.at), outcome(o)
        for shown in o.shown:
            entry = str(shown.get("entry_id", ""))
            if entry and entry != o.entry_id:
                add((o.conversation_id, o.customer_message_id, entry), 0.0, 1.0, at)
        if o.entry_id and weights.get(kind):
            add((o.conversation_id, o.customer_message_id, o.entry_id), weights[kind], 0.0, at)
    for f in history.feedback:
        if not f.entry_id:
            continue
        at = epoch(f.at)
        key = (f.conversation_id, f.message_id, f.entry_id)
        if f.action == "dismiss":
            add(key, 0.0, 1.0, at)
            continue
        uses = _FEEDBACK_USES.get(f.action, rules.edit_weight if f.action == "edit" else 0.0)
        if uses:
            add(key, uses, 0.0, at)
            for shown in f.shown:
                entry = str(shown.get("entry_id", ""))
                if entry and entry != f.entry_id:
                    add((f.conversation_id, f.message_id, entry), 0.0, 1.0, at)
    priors = ReplyPriors(shop, rules=rules)
    for (_, _, entry), (uses, dismissals, at) in sorted(evidence.items(), key=lambda t: t[1][2]):
        priors = priors.record(shop, entry, uses, dismissals, at)
    return priors


def learn_shop(
    shop: str,
    history: ShopHistory,
    rules: LearningRules | None = None,
    clock: Callable[[], float] | None = None,
    decided: Collection[str] = (),
    cue_offsets: Mapping[CueName, float] | None = None,
) -> ShopLearning | None:
    """The shop's learning from `history` (its own records), or None when there is nothing to
    learn yet (the ranker's order is served as is). `decided`: ids of the candidate replies
    (`shop_candidates.candidate_id`) not to offer as quick replies (`withheld_from_quick`);
    `cue_offsets`: the shop's cue threshold offsets (`cue_thresholds.shop_cue_offsets`)."""
    rules = rules or LearningRules()
    # the outcomes as settled in time order, not as stored on arrival: a reply that arrived
    # before the suggestions of the message it answers was stored as passing over another's
    history = replace(history, outcomes=settled_outcomes(history, {}))
    pairs = chat_pairs(history)
    withheld = {reply_chars(reply) for _, reply, _, _ in pairs if candidate_id(reply) in decided}
    quick = learn_quick_replies(pairs, rules.quick, withheld)
    priors = shop_priors(shop, history, rules.priors)
    rates = fit_slot_rates(outcome_observations(history))
    thresholds = CueThresholds(dict(cue_offsets)) if cue_offsets else None
    if not len(quick) and not priors.evidence and rates is None and thresholds is None:
        return None
    kept = priors if priors.evidence else None
    if clock is None:
        return ShopLearning(quick, kept, rates, cue_thresholds=thresholds)
    return ShopLearning(quick, kept, rates, clock=clock, cue_thresholds=thresholds)
