"""Weak signs keep a cue low; stated waiting, repeated chasing and voiced let-downs make it shown.

The messages are authored (emotion_guidelines.md: "low unless ..."), not taken from any data set.
"""

from __future__ import annotations

import pytest

from assistant.emotion.detector import EmotionDetector
from assistant.emotion.lexicon import Lexicon
from assistant.emotion.types import CueName
from assistant.retrieval.types import Turn


@pytest.fixture(scope="module")
def detector() -> EmotionDetector:
    return EmotionDetector()


def shown(detector: EmotionDetector, text: str, context: list[Turn] | None = None) -> set[CueName]:
    return {c.name for c in detector.read(text, context or []).shown()}


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("好的，知道了，谢谢", "satisfaction"),  # a ritual sign-off
        ("收到了，明白了，谢谢哈", "satisfaction"),
        ("插上电源灯不亮，用不了，不能用", "disappointment"),  # a fault report, however repeated
        ("包裹还没收到", "anxiety"),  # a status report
        ("请问明天能到吗", "anxiety"),  # a plain deadline question
    ],
)
def test_weak_signs_alone_stay_low(detector: EmotionDetector, text: str, cue: CueName) -> None:
    reading = detector.read(text)
    assert reading.score(cue) > 0  # still read (low), so the ranking can lean on it
    assert cue not in {c.name for c in reading.shown()}


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("问题解决了，太感谢了，服务真好", "satisfaction"),
        ("才用了两天就坏了", "disappointment"),  # a fault that came at once: the let-down is voiced
        ("物流一直不更新", "anxiety"),  # a status that has lasted
        ("包裹还没收到，都五天了", "anxiety"),
        ("审核状态没变，已经两个工作日了", "anxiety"),
        ("这边一直没人回复", "anxiety"),
        ("为什么现在要收服务费，以前都是免费的", "confusion"),  # against what they knew
    ],
)
def test_stronger_evidence_is_shown(detector: EmotionDetector, text: str, cue: CueName) -> None:
    assert cue in shown(detector, text)


def test_why_still_not_is_impatience_not_confusion(detector: EmotionDetector) -> None:
    reading = detector.read("为什么还没有发货")
    assert reading.score("anxiety") > reading.score("confusion")
    assert "confusion" not in {c.name for c in reading.shown()}
    assert "anxiety" in shown(detector, "为什么还没有发货？都四天了")


def test_a_usage_time_is_not_a_waiting_time(detector: EmotionDetector) -> None:
    assert "anxiety" not in {c.name for c in detector.read("这个杯子用了三天了，挺好").cues}
    assert "anxiety" in shown(detector, "我的退款申请三天了")


def test_last_request_is_not_a_farewell(detector: EmotionDetector) -> None:
    assert shown(detector, "最后一次，麻烦再帮我改一下地址") == set()
    assert "disappointment" in shown(detector, "这是最后一次在你们家买东西")


def test_resignation_after_a_refusal_stays_low_even_after_an_apology(detector: EmotionDetector) -> None:
    context = [Turn("customer", "能帮我改成周末送吗"), Turn("agent", "抱歉，这个订单无法修改配送时间")]
    reading = detector.read("那算了吧", context)
    assert reading.score("disappointment") > 0 and reading.shown() == ()


def test_asking_again_is_low_and_a_third_time_is_shown(detector: EmotionDetector) -> None:
    first = [Turn("customer", "我的退款什么时候能到账"), Turn("agent", "亲，您好")]
    assert "anxiety" not in shown(detector, "我的退款什么时候能到账呢", first)
    second = [*first, Turn("customer", "我的退款什么时候能到账呢"), Turn("agent", "请您稍等")]
    assert "anxiety" in shown(detector, "我的退款什么时候能到账啊", second)


def test_weak_phrases_must_be_terms_of_their_cue() -> None:
    data = {
        "cues": {
            name: {"tips": {"low": "a", "medium": "b", "high": "c"}, "terms": {1.0: [f"{name}词"]}}
            for name in ("anger", "anxiety", "disappointment", "complaint_risk", "confusion", "hesitation")
        },
        "weak": {"satisfaction": ["不存在的词"]},
        "modifiers": {},  # never reached: the weak section is checked first
    }
    data["cues"]["satisfaction"] = {"tips": {"low": "a", "medium": "b", "high": "c"}, "terms": {1.0: ["谢谢"]}}
    with pytest.raises(ValueError, match=r"weak\.satisfaction lists phrases that are not satisfaction terms: 不存在"):
        Lexicon.from_mapping(data)
