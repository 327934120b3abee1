"""`tag_bias`: the same candidates rank differently for a furious and a calm customer."""

from __future__ import annotations

import pytest

from assistant.emotion.detector import EmotionDetector
from assistant.emotion.ranking import MAX_BIAS, tag_bias
from assistant.emotion.types import NO_EMOTION, Cue, EmotionReading

CANDIDATES: dict[str, tuple[float, frozenset[str]]] = {
    "sales_pitch": (0.80, frozenset({"sales", "promotion", "delivery_delay"})),
    "plain_answer": (0.78, frozenset({"shipping", "delivery_delay"})),
    "apology_fix": (0.70, frozenset({"apology", "remedy", "delivery_delay"})),
    "coupon": (0.60, frozenset({"coupon", "promotion"})),
}


def ranked(reading: EmotionReading, stage: str | None = "in_sale") -> list[str]:
    return sorted(
        CANDIDATES,
        key=lambda k: CANDIDATES[k][0] + tag_bias(reading, CANDIDATES[k][1], stage),
        reverse=True,
    )


@pytest.fixture(scope="module")
def detector() -> EmotionDetector:
    return EmotionDetector()


def test_furious_and_calm_customers_rank_differently(detector: EmotionDetector) -> None:
    calm = detector.read("我的快递到哪了")
    furious = detector.read("我的快递到哪了？？？什么破服务，再不处理我就投诉！！")
    assert not calm.cues and furious.escalate
    assert ranked(calm)[0] == "sales_pitch"
    assert ranked(furious)[0] == "apology_fix"
    assert ranked(furious).index("sales_pitch") > ranked(furious).index("plain_answer")


def test_hesitation_lifts_persuasive_replies(detector: EmotionDetector) -> None:
    reading = detector.read("这款值得买吗？有点犹豫，还有优惠吗")
    assert tag_bias(reading, frozenset({"coupon"}), "pre_sale") > 0
    assert tag_bias(reading, frozenset({"coupon"}), "pre_sale") > tag_bias(reading, frozenset({"coupon"}), "after_sale")


def test_other_cues_lift_their_tags(detector: EmotionDetector) -> None:
    assert tag_bias(detector.read("看不懂怎么用"), frozenset({"explain"}), None) > 0
    assert tag_bias(detector.read("急用，能加急吗"), frozenset({"urgent"}), None) > 0
    assert tag_bias(detector.read("非常满意，谢谢"), frozenset({"thanks"}), None) > 0


def test_bias_is_bounded_and_neutral_without_cues() -> None:
    furious = EmotionReading(
        cues=(
            Cue("anger", 1.0, "high", (), ""),
            Cue("complaint_risk", 1.0, "high", (), ""),
        ),
        escalate=True,
    )
    assert tag_bias(furious, frozenset({"apology", "remedy", "escalation"}), None) == MAX_BIAS
    assert tag_bias(furious, frozenset({"sales", "promotion", "greeting"}), None) == -MAX_BIAS
    assert tag_bias(NO_EMOTION, frozenset({"sales"}), None) == 0.0
