"""What the earlier turns add: repeated questions, chasing, rising punctuation, carried anger.

Escalation reasons are short English codes (documented in docs/emotion.md):

* `anger_high`, `complaint_high`: the cue's score is at least 0.7 in this message.
* `anger_rising`: anger or complaint risk is at least medium and clearly above every earlier
  customer turn.
* `repeated_question`: the customer asks (nearly) the same thing again.
* `unanswered_chasing`: three or more customer messages in a row without an agent reply, or
  a repeated call in one message (在吗在吗).
* `rising_punctuation`: more ？/！ than in any earlier customer turn (at least two).
* `long_wait`: the customer says how long they have waited (都三天了, 等了两个小时).
* `carried_anger`: an earlier turn was angry and this one carries it on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.emotion.scoring import CLAUSE_BREAKS, MessageSignals
from assistant.emotion.types import CueName

HIGH = 0.7
MEDIUM = 0.45
CARRY_DECAY = 0.6
REPEAT_SIMILARITY = 0.6
TREND_CODES = ("repeated_question", "unanswered_chasing", "rising_punctuation", "long_wait")


def weight_to_score(weight: float) -> float:
    return 1.0 - math.exp(-max(weight, 0.0))


def _bigrams(text: str) -> set[str]:
    core = "".join(c for c in text if c not in CLAUSE_BREAKS and c not in "？！")
    if len(core) < 2:
        return {core} if core else set()
    return {core[i : i + 2] for i in range(len(core) - 1)}


def similarity(a: str, b: str) -> float:
    """Overlap of character bigrams (punctuation ignored), relative to the shorter message."""
    left, right = _bigrams(a), _bigrams(b)
    if len(left) < 3 or len(right) < 3:
        return 0.0
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
        effect.extra["anxiety"] = effect.extra.get("anxiety", 0.0) + 0.8
        if repeats >= 2:
            effect.extra["anger"] = effect.extra.get("anger", 0.0) + 0.4
        effect.codes.append("repeated_question")
    trailing = 0
    for turn in reversed(earlier):
        if turn.role != "customer":
            break
        trailing += 1
    if trailing >= 2:
        effect.extra["anxiety"] = effect.extra.get("anxiety", 0.0) + 0.5
        if "unanswered_chasing" not in effect.codes:
            effect.codes.append("unanswered_chasing")
    if customers:
        previous_marks = max(t.signals.marks for t in customers if t.signals is not None)
        if current.marks >= 2 and current.marks > previous_marks:
            effect.extra["anger"] = effect.extra.get("anger", 0.0) + 0.3
            effect.codes.append("rising_punctuation")
    for distance, turn in enumerate(reversed(customers), start=1):
        assert turn.signals is not None
        for cue in ("anger", "complaint_risk"):
            score = weight_to_score(turn.signals.weights.get(cue, 0.0))
            effect.previous_peak = max(effect.previous_peak, score)
            carried = score * CARRY_DECAY**distance
            if carried > effect.carried.get(cue, 0.0):
                effect.carried[cue] = carried
        still_waiting = current.weights.get("anxiety", 0.0) > 0 or current.negative_weight() > 0
        if "long_wait" in turn.signals.codes and "long_wait" not in effect.codes and still_waiting:
            effect.codes.append("long_wait")
    return effect


def escalation(scores: dict[CueName, float], effect: ContextEffect) -> tuple[bool, tuple[str, ...]]:
    """Whether to escalate, and why (empty when not escalating)."""
    reasons: list[str] = []
    anger, complaint = scores.get("anger", 0.0), scores.get("complaint_risk", 0.0)
    if anger >= HIGH:
        reasons.append("anger_high")
    if complaint >= HIGH:
        reasons.append("complaint_high")
    negative = max(anger, complaint)
    if effect.customer_turns and negative >= MEDIUM and negative > effect.previous_peak + 0.15:
        reasons.append("anger_rising")
    trends = [code for code in TREND_CODES if code in effect.codes]
    if "carried_anger" in effect.codes:
        trends.append("carried_anger")
    escalate = bool(reasons) or len(trends) >= 2 or (bool(trends) and negative >= MEDIUM)
    return escalate, tuple(reasons + trends) if escalate else ()
