"""A thanks that closes a request or a complaint is a courtesy, not satisfaction (a user test, 6 December
2026): 我拍的三件演出服，三天了仍然不发货…请帮助解决退款问题。谢谢! read satisfaction beside its worry, which
led with the closing reply 不客气…祝您睡个好觉, and a trailing 谢谢 cut the worry carried from an earlier
turn. Look-alikes: a thanks on its own, after an acknowledgement or after praise stays as it was."""

from __future__ import annotations

import pytest

from assistant.emotion.detector import EmotionDetector
from assistant.emotion.types import CueName, EmotionReading, Level
from assistant.retrieval.types import Turn

COMPLAINT = "我拍的三件演出服，三天了仍然不发货，也无人接客服。我已经提出退单申请，请帮助解决退款问题。"
WORRIED = (Turn("customer", "都三天了还没发货，我急用"), Turn("agent", "亲，已经帮您催促仓库了"))


@pytest.fixture(scope="module")
def detector() -> EmotionDetector:
    return EmotionDetector()


def cues(reading: EmotionReading) -> dict[CueName, Level]:
    return {cue.name: cue.level for cue in reading.cues}


@pytest.mark.parametrize("thanks", ["谢谢!", "谢谢！", "谢谢你们", "非常感谢", " 谢谢~"])
def test_a_thanks_closing_a_complaint_leaves_its_cues_and_adds_no_satisfaction(
    detector: EmotionDetector, thanks: str
) -> None:
    alone, thanked = detector.read(COMPLAINT), detector.read(COMPLAINT + thanks)
    assert cues(alone) == {"anxiety": "medium"}, alone
    assert cues(thanked) == cues(alone), thanked


@pytest.mark.parametrize(
    "text",
    [
        "麻烦帮我查一下物流，谢谢",
        "请问可以开发票吗？谢谢",
        "我想退货，谢谢",
        "订单里卷纸没有收到呢 请帮我查一下 谢谢",
        # the chat app's order card after the thanks (the JDDC turn of the user test)
        "我已经提出退单申请，请帮助解决退款问题。谢谢! 顾客通过点击web咚咚[站点x]信息发送:[订单编号:[订单x]]",
    ],
)
def test_a_thanks_said_in_advance_for_a_request_is_no_satisfaction(detector: EmotionDetector, text: str) -> None:
    assert "satisfaction" not in cues(detector.read(text))


def test_warm_thanks_closing_a_question_is_not_shown_as_satisfaction(detector: EmotionDetector) -> None:
    assert "satisfaction" not in cues(detector.read("今天能发货吗？非常感谢"))


@pytest.mark.parametrize("thanks", ["谢谢", "非常感谢"])
def test_a_closing_thanks_does_not_cut_the_worry_carried_from_before(detector: EmotionDetector, thanks: str) -> None:
    plain = detector.read("今天能发货吗？", WORRIED)
    thanked = detector.read("今天能发货吗？" + thanks, WORRIED)
    assert cues(plain) == {"anxiety": "medium"}, plain
    assert cues(thanked) == cues(plain), thanked


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("谢谢", "low"),
        ("好的谢谢", "low"),
        ("没了 谢谢", "low"),
        ("嗯嗯 好 谢谢", "low"),
        ("那我写这个，发票不受影响吗 好的，没有 谢谢", "low"),  # answered, then a closing
        ("唉 谢谢", "low"),  # a weak sign before it is no request
        ("问题解决了，谢谢", "medium"),
        ("东西收到了，质量不错，谢谢", "high"),
    ],
)
def test_a_thanks_on_its_own_after_an_acknowledgement_or_praise_stays(
    detector: EmotionDetector, text: str, level: Level
) -> None:
    assert cues(detector.read(text)).get("satisfaction") == level
