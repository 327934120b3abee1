"""Quick replies: the short stock replies a shop's agents send most, learned from its own chats.

Each customer turn of the shop's chats is put in a slot: its stock kind (`turns.turn_kind`:
greeting, order card, acknowledgement, thanks, closing), `opening` for the first turn of a
chat, or `substantive`. For each slot the agents' short replies to it are counted (grouped on
their characters, so "好的亲~" and "好的亲" are one reply; a reply that still holds an
anonymised placeholder such as `[订单x]` is not a stock reply and is left out), and a few are
chosen greedily to cover as many of the slot's real replies as possible (a reply covers another
when their character F1 reaches `covers_at`): three near-identical closings would waste two
places that a different reply could use.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from assistant.learning.similarity import reply_chars
from assistant.learning.turns import is_agent_opener, turn_kind

OPENING = "opening"
SUBSTANTIVE = "substantive"
_PLACEHOLDER = re.compile(r"\[[\u4e00-\u9fffA-Za-z]{1,6}x\]")


def slot_of(text: str, first_turn: bool) -> str:
    """Which quick-reply slot a customer turn falls in (see the module docstring)."""
    kind = turn_kind(text)
    if first_turn and kind is None:
        return OPENING
    return kind.value if kind is not None else SUBSTANTIVE


@dataclass(frozen=True, slots=True)
class QuickReply:
    """One learned quick reply: its text, how many replies of its slot it covers, and of how many."""

    text: str
    slot: str
    covers: int
    of: int

    @property
    def share(self) -> float:
        return self.covers / max(1, self.of)


@dataclass(frozen=True, slots=True)
class QuickReplyRules:
    """How quick replies are learned."""

    max_chars: int = 60  # longer replies answer something; they are not stock replies
    min_count: int = 2  # a reply sent once is not yet a habit of the shop
    per_slot: int = 3
    covers_at: float = 0.5
    candidates: int = 200  # the most frequent replies of a slot considered for the greedy cover
    # a reply sent again and again in one chat answers that chat (商品优惠活动…以商品页面为准 to one
    # customer's five complaints about a price): a habit of the shop is seen in this many chats
    min_chats: int = 2
    # the substantive slot is offered beside any question: a reply there must have answered
    # questions in this many chats (on the JDDC library the ones chosen come from 59–184)
    substantive_min_chats: int = 3
    # the opening slot holds any first message, a question as well as a hello: what agents send
    # to it is a habit only once seen over this many chats (two sends of one answer are not), and
    # only a reply that answers nothing (`turns.is_agent_opener`) is offered there
    opening_min_replies: int = 20


@dataclass(frozen=True, slots=True)
class QuickReplies:
    """A shop's quick replies by slot, most useful first."""

    by_slot: dict[str, tuple[QuickReply, ...]] = field(default_factory=dict)

    def for_turn(self, text: str, first_turn: bool) -> tuple[QuickReply, ...]:
        """The quick replies for a customer turn (its slot's)."""
        return self.by_slot.get(slot_of(text, first_turn), ())

    def __len__(self) -> int:
        return sum(len(v) for v in self.by_slot.values())


def _f1(a: Counter[str], b: Counter[str]) -> float:
    overlap = sum((a & b).values())
    if not overlap:
        return 0.0
    return 2 * overlap / (a.total() + b.total())


def _greedy_cover(
    replies: Counter[str], forms: dict[str, Counter[str]], chats: dict[str, set[str]], slot: str, rules: QuickReplyRules
) -> list[QuickReply]:
    min_chats = rules.substantive_min_chats if slot == SUBSTANTIVE else rules.min_chats
    pool = [
        key for key, n in replies.most_common(rules.candidates) if n >= rules.min_count and len(chats[key]) >= min_chats
    ]
    bags = {key: Counter(key) for key in replies}
    matches = {key: {o for o in replies if _f1(bags[key], bags[o]) >= rules.covers_at} for key in pool}
    covered: set[str] = set()
    chosen: list[QuickReply] = []
    for _ in range(rules.per_slot):
        gains = {key: sum(replies[o] for o in matches[key] - covered) for key in pool}
        best = max(pool, key=lambda key: gains[key], default=None)
        if best is None or gains[best] == 0:
            break
        covered |= matches[best]
        chosen.append(QuickReply(forms[best].most_common(1)[0][0], slot, gains[best], 0))
    return chosen


ChatPair = tuple[str, str, bool, str]
"""(customer turn, the agent's reply, is it the chat's first customer turn, the chat's id)."""


def learn_quick_replies(
    pairs: Iterable[ChatPair | tuple[str, str, bool]],
    rules: QuickReplyRules | None = None,
    withheld: Collection[str] = (),
) -> QuickReplies:
    """Quick replies per slot from a shop's chat pairs; a reply whose characters
    (`reply_chars`) are in `withheld` is counted in its slot's total but never offered. A pair
    without its chat's id counts as a chat of its own."""
    rules = rules or QuickReplyRules()
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    forms: dict[str, Counter[str]] = defaultdict(Counter)
    chats: dict[str, set[str]] = defaultdict(set)
    for number, pair in enumerate(pairs):
        customer, reply, first = pair[0], pair[1], pair[2]
        key = reply_chars(reply)
        if not key:
            continue
        counts[slot_of(customer, first)][key] += 1  # every reply counts in the slot's total, long ones too
        chats[key].add(pair[3] if len(pair) > 3 else f"#{number}")
        if len(key) <= rules.max_chars and key not in withheld and not _PLACEHOLDER.search(reply):
            forms[key][reply.strip()] += 1
    by_slot: dict[str, tuple[QuickReply, ...]] = {}
    for slot, replies in counts.items():
        total = sum(replies.values())  # the share is of every reply, not only the short ones
        if slot == OPENING and total < rules.opening_min_replies:
            continue
        short = Counter({k: n for k, n in replies.items() if k in forms})
        if slot == OPENING:  # a first message may be a question: only replies that answer none open chats
            short = Counter({k: n for k, n in short.items() if is_agent_opener(forms[k].most_common(1)[0][0])})
        chosen = _greedy_cover(short, forms, chats, slot, rules) if short else []
        by_slot[slot] = tuple(QuickReply(q.text, slot, q.covers, total) for q in chosen)
    return QuickReplies(by_slot)


def quick_reply_rows(quick: QuickReplies) -> list[dict[str, Any]]:
    """The learned quick replies as JSON-able rows (for the harvest's candidates file)."""
    return [
        {"slot": q.slot, "reply": q.text, "covers": q.covers, "of": q.of}
        for replies in quick.by_slot.values()
        for q in replies
    ]
