"""How emotion cues move reply suggestions: a bias added to each candidate's fused relevance.

For every detected cue, the candidate's best-matching boosted tag and its worst demoted tag count,
scaled by the cue's score (and, for hesitation, by how close to a sale the stage is). Contributions
of all cues are summed and clipped to [-MAX_BIAS, MAX_BIAS].
"""

from __future__ import annotations

from collections.abc import Mapping

from assistant.emotion.types import CueName, EmotionReading

MAX_BIAS = 0.3

TAG_EFFECTS: Mapping[CueName, Mapping[str, float]] = {
    "anger": {
        "apology": 0.25,
        "remedy": 0.22,
        "escalation": 0.15,
        "complaint": 0.08,
        "urgent": 0.05,
        "sales": -0.3,
        "promotion": -0.25,
        "coupon": -0.12,
        "greeting": -0.2,
        "presale": -0.1,
    },
    "complaint_risk": {
        "apology": 0.25,
        "remedy": 0.25,
        "escalation": 0.2,
        "complaint": 0.12,
        "refund": 0.08,
        "return": 0.05,
        "sales": -0.3,
        "promotion": -0.25,
        "coupon": -0.1,
        "greeting": -0.2,
    },
    "disappointment": {
        "apology": 0.18,
        "remedy": 0.18,
        "exchange": 0.08,
        "quality": 0.05,
        "damage": 0.05,
        "sales": -0.15,
        "promotion": -0.1,
        "greeting": -0.1,
    },
    "anxiety": {
        "urgent": 0.22,
        "delivery_delay": 0.18,
        "reassurance": 0.15,
        "shipping": 0.06,
        "sales": -0.1,
        "promotion": -0.08,
    },
    "confusion": {"explain": 0.22, "usage": 0.05, "coupon": 0.03, "sales": -0.05},
    "hesitation": {
        "reassurance": 0.18,
        "promotion": 0.15,
        "coupon": 0.15,
        "sales": 0.12,
        "presale": 0.08,
    },
    "satisfaction": {"thanks": 0.18, "greeting": 0.05, "apology": -0.05},
}

HESITATION_BY_STAGE: Mapping[str | None, float] = {
    None: 1.0,
    "pre_sale": 1.0,
    "in_sale": 0.7,
    "after_sale": 0.3,
}
STAGE_EFFECTS: Mapping[CueName, Mapping[str, float]] = {
    "disappointment": {"pre_sale": -0.15},
}
"""A let-down customer has the goods: a pre-sale reassurance (正常是没有异味的) reads as a denial of
what they found (鹅绒被有股味道，很臭 had it first, before the after-sale apology)."""
ESCALATE_BONUS = 0.1
"""Extra lift for replies tagged `escalation` (hand over to a supervisor) on escalation."""


def tag_bias(reading: EmotionReading, tags: frozenset[str], stage: str | None) -> float:
    """Bias in [-0.3, 0.3] for a candidate with `tags`, given the customer message's reading."""
    if not reading.cues:
        return 0.0
    total = 0.0
    for cue in reading.cues:
        total += cue.score * STAGE_EFFECTS.get(cue.name, {}).get(stage or "", 0.0)
        effects = TAG_EFFECTS[cue.name]
        values = [effects[t] for t in tags if t in effects]
        if not values:
            continue
        best = max(0.0, *values)
        worst = min(0.0, *values)
        scale = cue.score
        if cue.name == "hesitation":
            scale *= HESITATION_BY_STAGE.get(stage, 1.0)
        total += scale * (best + worst)
    if reading.escalate and "escalation" in tags:
        total += ESCALATE_BONUS
    return max(-MAX_BIAS, min(MAX_BIAS, total))
