"""What a feeling word is aimed at, from a user test of 8 December 2026 (demo shop, `/v1/suggest`).

An anger word describing the weather (请问气死人的冷天用哪款被子好) showed anger high and escalated a
pre-sale question; 我服了 after praise (这被子太好了吧，我服了，再买一条) showed anger on a delighted repeat
buyer; a product unlike its pictures (被子比图片上薄好多 感觉被骗了) showed only a medium let-down. The
guidelines: anger is hostility aimed at the shop, the agent or the service; complaint risk is a threat of
escalation outside the chat (投诉, 差评, 12315), so feeling cheated by the pictures is a let-down
(和描述不符), not a complaint.
"""

from __future__ import annotations

import pytest

from assistant.emotion.detector import EmotionDetector
from assistant.emotion.types import CueName, EmotionReading
from assistant.retrieval.types import Turn


@pytest.fixture(scope="module")
def detector() -> EmotionDetector:
    return EmotionDetector()


def panel(reading: EmotionReading) -> set[CueName]:
    return {cue.name for cue in reading.shown()}


def level(reading: EmotionReading, name: CueName) -> str | None:
    return next((cue.level for cue in reading.cues if cue.name == name), None)


@pytest.mark.parametrize(
    "text",
    [
        "请问气死人的冷天用哪款被子好",
        "气死人的天气，有加厚的被子吗",
        "这鬼天气烦死了，有没有厚一点的被子",
        "烦人的雨天，衣服干不了有烘干机吗",
        "这天气气死人，电热毯有货吗",
        "天气真烦人，空调被还有吗",
        "热死人的天气，凉席有货吗",
        "冷死了，有加厚款吗",
    ],
)
def test_anger_at_the_weather_is_aimed_at_no_one_here(detector: EmotionDetector, text: str) -> None:
    reading = detector.read(text)
    assert "anger" not in {cue.name for cue in reading.cues}, reading
    assert not reading.escalate, reading


@pytest.mark.parametrize(
    "text",
    [
        "气死我了",
        "你们气死人了",
        "气死人的客服，半天不回",
        "你们这服务真气人",
        "最气人的是你们客服不回消息",
        "天气再冷也不能不发货吧，气死了",
        "烦死了，天气这么冷你们还不发货",
    ],
)
def test_anger_at_the_shop_stays_anger(detector: EmotionDetector, text: str) -> None:
    assert "anger" in panel(detector.read(text))


@pytest.mark.parametrize(
    "text",
    [
        "这被子太好了吧，我服了，再买一条",
        "质量太好了，我服了",
        "太好用了，真服了",
        "盖着太舒服了，我是服了，再来一条",
    ],
)
def test_fu_le_after_praise_is_admiration(detector: EmotionDetector, text: str) -> None:
    reading = detector.read(text)
    assert panel(reading) == {"satisfaction"}, reading
    assert not reading.escalate


def test_a_closing_le_ba_exclaims_like_the_phrase_before_it(detector: EmotionDetector) -> None:
    # 太好了吧 as 太好看了吧: an exclamation, not the confirming question of 这个是正品吧
    assert panel(detector.read("这被子太好了吧")) == {"satisfaction"}
    assert not panel(detector.read("这个是正品吧"))


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("我真是服了你们了", {"anger"}),
        ("我服了", {"anger"}),
        ("我服了，又没发货", {"anger"}),
        ("东西太差了，我服了", {"anger", "disappointment"}),
        ("质量挺好的，但是客服我真服了", {"anger"}),
    ],
)
def test_fu_le_without_praise_or_against_it_stays_anger(
    detector: EmotionDetector, text: str, shown: set[CueName]
) -> None:
    assert panel(detector.read(text)) == shown


def test_praise_with_fu_le_after_an_angry_turn_is_sarcasm(detector: EmotionDetector) -> None:
    context = (Turn("customer", "都五天了还没到，气死了"), Turn("agent", "亲，非常抱歉，马上帮您催"))
    reading = detector.read("质量太好了，我服了", context)
    assert "anger" in panel(reading), reading
    assert "satisfaction" not in panel(reading), reading


def test_feeling_cheated_by_the_pictures_is_a_strong_let_down_not_a_complaint(detector: EmotionDetector) -> None:
    reading = detector.read("被子比图片上薄好多 感觉被骗了")
    assert panel(reading) == {"disappointment"}, reading
    assert level(reading, "disappointment") == "high", reading
    assert not reading.escalate


@pytest.mark.parametrize(
    "text",
    ["被子比图片上薄好多", "实物比图片差太多了", "没有图片上那么厚", "和宣传的完全两回事", "颜色比详情页上暗很多"],
)
def test_a_product_unlike_its_pictures_is_a_let_down(detector: EmotionDetector, text: str) -> None:
    assert panel(detector.read(text)) == {"disappointment"}


@pytest.mark.parametrize(
    "text", ["实际颜色比图片深吗", "和图片一样吗", "比图片上薄吗", "实物比图片上好看", "有没有图片上那么厚"]
)
def test_asking_about_the_pictures_or_beating_them_is_no_let_down(detector: EmotionDetector, text: str) -> None:
    assert "disappointment" not in panel(detector.read(text))


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("感觉被骗了，我要投诉", {"disappointment", "complaint_risk"}),  # the threat is what makes it a complaint
        ("被你们骗了", {"anger"}),  # the shop named as the cheat: anger
    ],
)
def test_a_cheat_with_a_threat_or_aimed_at_the_shop_keeps_its_cue(
    detector: EmotionDetector, text: str, shown: set[CueName]
) -> None:
    assert panel(detector.read(text)) == shown


@pytest.mark.parametrize("text", ["这个是正品吧", "已经够明白了吧", "修好了吧"])
def test_a_closing_ba_without_tai_still_asks(detector: EmotionDetector, text: str) -> None:
    assert "satisfaction" not in {cue.name for cue in detector.read(text).cues}


@pytest.mark.parametrize("text", ["收到货连个赠品都没有！是生意太好了吧！", "都三天了还没到，你们生意太好了吧"])
def test_an_exclaimed_tai_le_ba_beside_a_complaint_is_no_praise(detector: EmotionDetector, text: str) -> None:
    # 太好了吧 praises on its own; beside a wait or a fault it mocks, so it shows no satisfaction
    assert "satisfaction" not in {cue.name for cue in detector.read(text).cues}


# A second reading of 8 December 2026: the rules above over-reached.


@pytest.mark.parametrize(
    "text",
    [
        "电热毯温度气死人了，根本调不了",  # 温度 describes the goods as often as the weather
        "这电热毯温度真烦人，一会冷一会热",
        "暖气片一样的电热毯，热得烦死了，温度根本调不下来",  # 热得 / 潮得 say nothing of the weather
        "被子潮得烦死了",
        "等你们发货等到冬天都要气死了",  # 等到冬天 is a time, and the shop is named
        "天气真烦人你们还不发货",  # the shop in the clause, after the weather
        "气死人的冷天你们还不发货",
        "这天气烦死了快递还不到",  # an order or a delivery in the clause
        "天气这么冷被子气死人了",  # the goods the anger is said of, with the weather in the clause
    ],
)
def test_anger_at_the_goods_or_the_shop_beside_the_weather_stays_anger(detector: EmotionDetector, text: str) -> None:
    assert "anger" in panel(detector.read(text)), detector.read(text)


@pytest.mark.parametrize(
    "text",
    [
        "这鬼天气烦死了",
        "讨厌的雨天被子都晒不干",  # the anger word modifies the weather: the goods after it are not what it is said of
        "天气冷得气人，有加厚的被子吗",
        "回南天烦死了，有除湿机吗",
    ],
)
def test_anger_said_of_the_weather_itself_stays_aimed_at_no_one(detector: EmotionDetector, text: str) -> None:
    reading = detector.read(text)
    assert "anger" not in {cue.name for cue in reading.cues}, reading
    assert not reading.escalate, reading


@pytest.mark.parametrize(
    "text",
    [
        "你们客服也太好了吧，一个小时都不回",
        "客服也太好了吧，等了半天没人理",
        "你们服务太好了吧，消息都不回复",
        "发货也太快了吧，三天了还没发",
    ],
)
def test_an_exclaimed_tai_le_ba_beside_a_wait_or_no_answer_mocks(detector: EmotionDetector, text: str) -> None:
    assert "satisfaction" not in {cue.name for cue in detector.read(text).cues}, detector.read(text)


@pytest.mark.parametrize("text", ["你们客服也太好了吧，一分钟就回了", "这被子太好了吧，回购了"])
def test_an_exclaimed_tai_le_ba_with_no_grievance_still_praises(detector: EmotionDetector, text: str) -> None:
    assert panel(detector.read(text)) == {"satisfaction"}, detector.read(text)


@pytest.mark.parametrize(
    "text",
    [
        "比宣传的噪音小多了，很满意",  # less noise than advertised is good
        "噪音比宣传的小多了",
        "声音没有宣传的那么大",
        "实物比图片上小巧",  # 小巧, 轻便, 轻薄, 细腻 praise
        "水壶比图片上轻便多了，好用",
        "实物比图片上轻薄",
        "面料比图片上细腻",
        "实物比图片上轻",  # lighter than pictured: no let-down of its own
        "比图片上薄一点，很喜欢",  # praise and no contrast: the comparison does not let down
        "比图片上小一点，但是很好用",  # the praise is what the contrast leads to
    ],
)
def test_a_favourable_comparison_with_the_listing_is_no_let_down(detector: EmotionDetector, text: str) -> None:
    assert "disappointment" not in panel(detector.read(text)), detector.read(text)


@pytest.mark.parametrize(
    "text",
    [
        "实物比图片小很多",
        "被子比图片上要薄很多",
        "实物比图片上看着小很多",
        "颜色比图片上的颜色暗",
        "质量还行，但是比图片上薄好多",  # praise, then a contrast to the let-down
        "很喜欢，可是比详情页上小太多了",
    ],
)
def test_a_worse_comparison_with_the_listing_is_still_a_let_down(detector: EmotionDetector, text: str) -> None:
    assert "disappointment" in panel(detector.read(text)), detector.read(text)


def test_fu_le_beside_no_answer_is_exasperation_not_awe(detector: EmotionDetector) -> None:
    assert "anger" in panel(detector.read("质量太好了，我服了，一个小时都不回"))
    assert "anger" not in panel(detector.read("质量太好了，我服了，一分钟就回了"))


# A later reading of 8 December 2026: `neglect` took durability praise for a wait, and `unless_praised`
# dropped a let-down whenever anything else in the message praised.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我服了，这被子太好了吧，盖了一个月都不钻绒", "high"),  # a month of use without fault is praise
        ("这被子太好了吧，还没到冬天就想盖了", "medium"),  # 还没到 a season is no wait for the shop
        ("这被子太好了吧，还没到货就想再买", "medium"),
    ],
)
def test_durability_or_eagerness_beside_tai_le_ba_is_no_wait(
    detector: EmotionDetector, text: str, expected: str
) -> None:
    reading = detector.read(text)
    assert "anger" not in {cue.name for cue in reading.cues}, reading
    assert level(reading, "satisfaction") == expected, reading


@pytest.mark.parametrize(
    "text",
    [
        "你们客服也太好了吧，一个小时都不回",
        "这被子太好了吧，等了三天客服都不回",
        "客服也太好了吧，三天了还没发货",
    ],
)
def test_a_wait_for_a_reply_or_a_dispatch_still_mocks(detector: EmotionDetector, text: str) -> None:
    assert "satisfaction" not in {cue.name for cue in detector.read(text).cues}, detector.read(text)


def test_fu_le_at_no_dispatch_is_still_anger(detector: EmotionDetector) -> None:
    assert "anger" in panel(detector.read("我服了，又没发货"))


def test_a_wait_far_from_the_praise_does_not_mock_it(detector: EmotionDetector) -> None:
    # the wait is in neither the praise's clause nor the next one: it is a story told before the praise
    reading = detector.read("上次一个小时都不回，这次一分钟就回了，客服也太好了吧")
    assert "satisfaction" in panel(reading), reading


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("实物比图片小很多，物流很快", "medium"),  # the logistics praised, not the size
        ("东西很好，比图片上小很多", "medium"),  # praise before the comparison is no acceptance of it
        ("很满意，就是比图片上小很多", "medium"),  # 就是: a contrast
        ("还不错，只是比图片上薄很多", "medium"),
        ("挺喜欢的，不过比图片上小很多", "medium"),
        ("被子比图片上薄好多 感觉被骗了，客服态度挺好的", "high"),
        ("实物比图片小一点，物流很快", "medium"),  # a slight difference, but the praise is for the logistics
    ],
)
def test_praise_of_something_else_leaves_the_let_down(detector: EmotionDetector, text: str, expected: str) -> None:
    reading = detector.read(text)
    assert level(reading, "disappointment") == expected, reading


@pytest.mark.parametrize(
    "text",
    [
        "比宣传的噪音小多了，很满意",
        "实物比图片上小巧",
        "水壶比图片上轻便多了，好用",
        "比图片上薄一点，很喜欢",  # a slight difference the customer says they like
        "比图片上小一点，但是很好用",
    ],
)
def test_a_favourable_or_accepted_difference_stays_no_let_down(detector: EmotionDetector, text: str) -> None:
    assert "disappointment" not in panel(detector.read(text)), detector.read(text)
