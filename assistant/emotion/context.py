"""What the earlier turns add: repeated questions, chasing, rising punctuation, carried anger.

Escalation reasons are short English codes (documented in docs/emotion.md):

* `anger_high`, `complaint_high`: the cue's score is at least 0.7 in this message.
* `anger_rising`: anger or complaint risk is at least medium and clearly above every earlier
  customer turn.
* `repeated_question`: the customer asks (nearly) the same thing again.
* `unanswered_chasing`: three or more customer messages in a row without an agent reply, the
  last one chasing (about waiting, or a bare call), or a repeated call in one message (在吗在吗).
  From the fourth such message on it escalates alone, with a worry or anger shown.
* `rising_punctuation`: more ？/！ than in any earlier customer turn (at least two).
* `long_wait`: the customer says how long they have waited (都三天了, 等了两个小时).
* `carried_anger`: an earlier turn was angry and this one carries it on.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from assistant.emotion.scoring import CLAUSE_BREAKS, MessageSignals
from assistant.emotion.types import CueName, Level

CARRY_DECAY = 0.6
REPEAT_SIMILARITY = 0.6
MIN_REPEAT_CHARS = 4
REPEAT_ANXIETY = 0.5
"""Asking the same thing once more is a trace of worry (low); twice more is chasing (medium)."""
CALLS = ("在吗", "在么", "在不在", "在不", "人呢", "有人吗", "？")
CHASE_ANXIETY = 0.5
"""A bare call (在吗, 人呢, ？) after the customer has already asked something: waiting (low)."""
REFUSALS = ("无法", "不能", "不支持", "不可以", "只能", "没有办法", "没办法", "不行")
RESIGNED = ("好吧", "算了", "行吧", "那就这样", "晕", "唉", "哎", "无语")
RESIGNED_MAX_CHARS = 8
GIVING_UP = ("算了", "不买了", "不要了")
"""A customer who gives up (突然涨了就算了 不买了) has stopped arguing: an earlier turn's anger is
not carried into it (its own words still count), per the guidelines' resignation."""
RESIGNED_WEIGHT = 0.6
"""那好吧 / 算了 right after the agent said no: a let-down (low), not agreement."""
APOLOGIES = ("抱歉", "不好意思", "对不起", "给您带来不便")
AFTER_APOLOGY = 0.3
"""Worry or anger that goes on after the agent has apologised counts a little more."""
_PLACEHOLDER = re.compile(r"\[[^\[\]]{0,40}\]")
BOILERPLATE = (
    "咨询订单号", "订单金额", "下单时间", "订单编号", "商品信息", "顾客通过点击", "信息发送",
    "订单号", "商品", "你好", "您好", "在吗",
)  # fmt: skip
STILL_WAITING = (
    "还", "没到", "没收到", "没发", "没送", "没动", "没消息", "没有消息", "多久", "多长时间", "什么时候", "几点",
    "今天", "今晚", "明天", "需要", "要用", "等", "急", "更新", "怎么样了", "到底", "在吗", "人呢", "催",
)  # fmt: skip
"""Words of a follow-up that is still about the matter the customer was worried about."""
LONG_CHASE = 3
"""Customer messages in a row before a chasing one that make it escalate on its own (with a shown
worry or anger): the fourth message waiting for an answer."""
ANXIETY_DECAY = 0.75
"""Worry carries over to a still-waiting follow-up (今天需要发货的 after 急需), decaying per turn."""
TREND_CODES = ("repeated_question", "unanswered_chasing", "rising_punctuation", "long_wait")


def waiting_spans(text: str) -> list[tuple[int, int]]:
    """Where a follow-up says it is still about the wait (STILL_WAITING words): the evidence of
    worry carried over from an earlier turn."""
    spans: list[tuple[int, int]] = []
    for word in STILL_WAITING:
        at = text.find(word)
        while at >= 0:
            spans.append((at, at + len(word)))
            at = text.find(word, at + len(word))
    return spans


def weight_to_score(weight: float) -> float:
    return 1.0 - math.exp(-max(weight, 0.0))


def core_text(text: str) -> str:
    """What a message says in words: no placeholders ([订单x]), order boilerplate, digits or marks."""
    previous = None
    while previous != text:
        previous, text = text, _PLACEHOLDER.sub("", text)
    for phrase in BOILERPLATE:
        text = text.replace(phrase, "")
    return "".join(c for c in text if c not in CLAUSE_BREAKS and c not in "？！" and not c.isascii())


def _bigrams(core: str) -> set[str]:
    return {core[i : i + 2] for i in range(len(core) - 1)}


def similarity(a: str, b: str) -> float:
    """Overlap of character bigrams of the core texts, relative to the shorter message.

    Messages of fewer than MIN_REPEAT_CHARS core characters (an order number, 你好) never repeat.
    """
    core_a, core_b = core_text(a), core_text(b)
    if len(core_a) < MIN_REPEAT_CHARS or len(core_b) < MIN_REPEAT_CHARS:
        return 0.0
    left, right = _bigrams(core_a), _bigrams(core_b)
    return len(left & right) / min(len(left), len(right))


@dataclass(frozen=True, slots=True)
class EarlierTurn:
    """One earlier turn, normalised; `signals` is set for customer turns only."""

    role: str
    text: str
    signals: MessageSignals | None


@dataclass(slots=True)
class ContextEffect:
    """Weights to add to the current message, score floors carried over, and trend codes."""

    extra: dict[CueName, float] = field(default_factory=dict)
    carried: dict[CueName, float] = field(default_factory=dict)
    codes: list[str] = field(default_factory=list)
    previous_peak: float = 0.0
    customer_turns: int = 0
    unanswered: int = 0
    """Customer messages in a row before this one since the agent last said anything."""
    strong: set[CueName] = field(default_factory=set)
    """Cues the context raises beyond a weak sign (a second repeat, a chase, a carried feeling)."""

    def add(self, cue: CueName, weight: float, *, weak: bool = False) -> None:
        self.extra[cue] = self.extra.get(cue, 0.0) + weight
        if not weak:
            self.strong.add(cue)


def assess_context(text: str, current: MessageSignals, earlier: Sequence[EarlierTurn]) -> ContextEffect:
    """Compare the current (normalised) message with the earlier turns, oldest first."""
    effect = ContextEffect()
    if "long_wait" in current.codes:
        effect.codes.append("long_wait")
    if "repeated_call" in current.codes:
        effect.codes.append("unanswered_chasing")
    customers = [t for t in earlier if t.role == "customer" and t.signals is not None]
    effect.customer_turns = len(customers)
    if not earlier:
        return effect
    repeats = sum(1 for t in customers if similarity(text, t.text) >= REPEAT_SIMILARITY)
    if repeats:
        # Asked once more: a weak sign (low); asked a third time: chasing (medium).
        effect.add("anxiety", REPEAT_ANXIETY, weak=repeats < 2)
        if repeats >= 2:  # chasing is impatience (anxiety); anger only with hostile words of its own
            effect.add("anxiety", REPEAT_ANXIETY)
            effect.add("anger", 0.4, weak=not _hostile(current))
        effect.codes.append("repeated_question")
    trailing = 0
    for turn in reversed(earlier):
        if turn.role != "customer":
            break
        trailing += 1
    effect.unanswered = trailing
    if trailing >= 2 and (_follows_up(text, current) or _bare_call(text)):
        # A third message in a row chases only when it is about waiting (还没到, 在吗, ？): a user
        # test typed x, asdfgh, 好的谢谢 and got worry whose evidence was the whole message.
        effect.add("anxiety", 0.5)
        if "unanswered_chasing" not in effect.codes:
            effect.codes.append("unanswered_chasing")
    _after_agent(text, earlier, current, customers, effect)
    if customers:
        previous_marks = max(t.signals.marks for t in customers if t.signals is not None)
        if current.marks >= 2 and current.marks > previous_marks:
            effect.add("anger", 0.3, weak=not _hostile(current))
            effect.codes.append("rising_punctuation")
    gives_up = any(word in text for word in GIVING_UP)
    for distance, turn in enumerate(reversed(customers), start=1):
        assert turn.signals is not None
        for cue in ("anger", "complaint_risk"):
            score = weight_to_score(turn.signals.weights.get(cue, 0.0))
            effect.previous_peak = max(effect.previous_peak, score)
            carried = score * CARRY_DECAY**distance
            if not gives_up and carried > effect.carried.get(cue, 0.0) and cue in turn.signals.strong:
                effect.carried[cue] = carried
        still_waiting = current.weights.get("anxiety", 0.0) > 0 or current.negative_weight() > 0
        worry = weight_to_score(turn.signals.weights.get("anxiety", 0.0)) * ANXIETY_DECAY**distance
        strong_worry = "anxiety" in turn.signals.strong
        if worry > effect.carried.get("anxiety", 0.0) and strong_worry and _follows_up(text, current):
            effect.carried["anxiety"] = worry
        if "long_wait" in turn.signals.codes and "long_wait" not in effect.codes and still_waiting:
            effect.codes.append("long_wait")
    return effect


def _hostile(current: MessageSignals) -> bool:
    """Whether the message blames or threatens in its own words (the guidelines' line between
    impatience and anger: chasing and ？？？ alone are impatience)."""
    return current.weights.get("anger", 0.0) > 0 or current.weights.get("complaint_risk", 0.0) > 0


def _bare_call(text: str) -> bool:
    """A message that is only a call (在吗, 人呢, ？): no Chinese words left and no ASCII letters
    (core_text drops ASCII, so an English question would otherwise read as a bare ？)."""
    if core_text(text) or any(c.isascii() and c.isalpha() for c in _PLACEHOLDER.sub("", text)):
        return False
    return any(call in text for call in CALLS)


def _follows_up(text: str, current: MessageSignals) -> bool:
    """Whether the message is still about waiting (not thanks, not a new topic)."""
    if current.weights.get("satisfaction", 0.0) > 0:
        return False
    return current.weights.get("anxiety", 0.0) > 0 or any(word in text for word in STILL_WAITING)


def _after_agent(
    text: str,
    earlier: Sequence[EarlierTurn],
    current: MessageSignals,
    customers: Sequence[EarlierTurn],
    effect: ContextEffect,
) -> None:
    """What the agent's last turn changes: resignation after a refusal, a bare chase, an apology that did not help."""
    core = core_text(text)
    if customers and _bare_call(text):
        effect.add("anxiety", CHASE_ANXIETY, weak=True)
    last = earlier[-1]
    if last.role != "agent":
        return
    resigned = len(core) <= RESIGNED_MAX_CHARS and any(word in core for word in RESIGNED)
    if resigned and any(word in last.text for word in REFUSALS):
        effect.add("disappointment", RESIGNED_WEIGHT, weak=True)
        effect.codes.append("after_refusal")
    if any(word in last.text for word in APOLOGIES):
        for cue in ("anxiety", "anger", "disappointment"):
            if cue in current.strong:  # an apology amplifies a feeling expressed, not a weak sign
                effect.add(cue, AFTER_APOLOGY)


def escalation(
    scores: Mapping[CueName, float], levels: Mapping[CueName, Level], effect: ContextEffect
) -> tuple[bool, tuple[str, ...]]:
    """Whether to escalate, and why (empty when not escalating). Only shown cues count:

    a high anger or complaint cue escalates; so do trends (repeats, chasing, waiting) when a
    negative or anxiety cue is shown at medium or high. A low cue alone never escalates.
    """
    reasons: list[str] = []
    if levels.get("anger") == "high":
        reasons.append("anger_high")
    if levels.get("complaint_risk") == "high":
        reasons.append("complaint_high")
    shown = {cue for cue, level in levels.items() if level != "low"}
    negative = max((scores.get(cue, 0.0) for cue in ("anger", "complaint_risk") if cue in shown), default=0.0)
    if effect.customer_turns and negative and negative > effect.previous_peak + 0.15:
        reasons.append("anger_rising")
    trends = [code for code in TREND_CODES if code in effect.codes]
    if "carried_anger" in effect.codes:
        trends.append("carried_anger")
    pressing = bool(shown & {"anger", "complaint_risk", "anxiety"})
    # a fourth message in a row still chasing is two signs in one: the banner stays on while the
    # customer goes on waiting (a user test saw it go off at 人呢 after 在吗？？)
    long_chase = "unanswered_chasing" in trends and effect.unanswered >= LONG_CHASE
    escalate = bool(reasons) or ((len(trends) >= 2 or long_chase) and pressing) or (bool(trends) and negative > 0)
    return escalate, tuple(reasons + trends) if escalate else ()
