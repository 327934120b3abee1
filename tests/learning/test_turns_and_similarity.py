"""Authored rules for stock turns, and the character F1 that Smart Reply is scored with."""

from __future__ import annotations

import pytest

from assistant.learning.quick_replies import OPENING, SUBSTANTIVE, slot_of
from assistant.learning.similarity import best_f1, char_f1, reply_chars
from assistant.learning.turns import TurnKind, is_agent_opener, is_follow_up, says_thanks, turn_kind


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("好的", TurnKind.ACKNOWLEDGEMENT),
        ("嗯嗯 好吧~", TurnKind.ACKNOWLEDGEMENT),
        ("OK", TurnKind.ACKNOWLEDGEMENT),
        ("是的呀", TurnKind.ACKNOWLEDGEMENT),
        ("哈哈哈", TurnKind.ACKNOWLEDGEMENT),  # laughter asks nothing (a gap list showed 哈哈 as a question)
        ("好的 嘿嘿", TurnKind.ACKNOWLEDGEMENT),
        ("好的，谢谢亲", TurnKind.THANKS),
        ("辛苦了", TurnKind.THANKS),
        ("没有了 谢谢", TurnKind.CLOSING),
        ("暂时没了，拜拜", TurnKind.CLOSING),
        # thanks to the team and a goodbye were gaps on the admin page (a user test, 4 December 2026)
        ("谢谢你们", TurnKind.THANKS),
        ("太好了，谢谢", TurnKind.THANKS),
        ("太好了，谢谢你们，下次还来", TurnKind.CLOSING),
        ("好的，有事再找你", TurnKind.CLOSING),
        ("太好了吧这也", None),
        ("在吗？", TurnKind.GREETING),
        ("转人工", TurnKind.GREETING),
        ("配送咨询", TurnKind.GREETING),
        ("[订单x]", TurnKind.ORDER_CARD),
        ("😭😭😭", None),  # emoji or marks alone are no order card (a user test)
        ("？？？", None),
        ("订单号：1234567 下单时间：2024-05-01", TurnKind.ORDER_CARD),
        # an order number given in words (a user test was asked for it again)
        ("我的订单号是 2345678901234", TurnKind.ORDER_CARD),
        ("这是我的订单号：123456789", TurnKind.ORDER_CARD),
        ("订单号是[订单x]", TurnKind.ORDER_CARD),
        ("快递单号 75312345678 发你了", TurnKind.ORDER_CARD),
        ("我的单号是 SF1234567890", TurnKind.ORDER_CARD),
        ("我的订单号是多少", None),  # no number: a question
        ("快递单号？", None),  # asks for one (a second reading)
        ("物流单号", None),
        ("订单号 2345678901234，什么时候发货", None),
        ("12号能到吗", None),
        ("好的那我明天再来问发票的事", None),
        ("不是", None),
        ("还没收到货", None),
        ("谢谢你们发错货了吗", None),
        ("可以开发票吗", None),
        # a courtesy closing a request or a complaint leaves it substantive (a user test, 6 December 2026)
        ("我拍的三件演出服，三天了仍然不发货，也无人接客服。我已经提出退单申请，请帮助解决退款问题。谢谢!", None),
        ("我想退货，谢谢", None),
    ],
)
def test_turn_kinds(text: str, kind: TurnKind | None) -> None:
    assert turn_kind(text) == kind


@pytest.mark.parametrize(
    ("text", "thanks"),
    [
        ("谢谢", True),
        ("多谢亲", True),
        ("辛苦了", True),
        ("请帮助解决退款问题。谢谢!", True),  # in passing, after a request
        ("Thanks!", True),
        ("请帮助解决退款问题。", False),
        ("好的", False),
        ("再见", False),
    ],
)
def test_says_thanks_anywhere_in_the_turn(text: str, thanks: bool) -> None:
    assert says_thanks(text) is thanks


def test_slots_put_a_chat_opening_apart() -> None:
    assert slot_of("我的快递到哪了", first_turn=True) == OPENING
    assert slot_of("我的快递到哪了", first_turn=False) == SUBSTANTIVE
    assert slot_of("好的", first_turn=True) == "acknowledgement"


def test_char_f1_ignores_spacing_and_marks_and_counts_placeholders_once() -> None:
    assert char_f1("亲，在的呢!", "亲 在的呢") == 1.0
    assert reply_chars("单号[订单x]") == "单号\ue000"
    assert char_f1("好的", "不客气") == 0.0
    assert char_f1("", "好的") == 0.0
    # 请问还有其他可以帮到您的吗 vs the same with 还: 13 of 13 and 14 characters shared
    assert char_f1("请问还有其他可以帮到您的吗?", "请问还有其他还可以帮到您的吗?") == pytest.approx(2 * 13 / 27)
    assert best_f1("好的呢", ["不是", "好的"]) == pytest.approx(0.8)


@pytest.mark.parametrize("text", ["那西藏呢", "XL的呢", "如果买两件呢", "那么江苏呢？", "还有枕头"])
def test_a_short_elliptical_turn_is_a_follow_up(text: str) -> None:
    assert is_follow_up(text)


@pytest.mark.parametrize("text", ["好的呢", "谢谢呢", "新疆能发货吗", "那这款被子冬天会不会太热呢适合南方吗", "x", ""])
def test_a_stock_turn_a_whole_question_or_junk_is_not_a_follow_up(text: str) -> None:
    assert not is_follow_up(text)


@pytest.mark.parametrize(
    ("reply", "opens"),
    [
        ("您好，请问有什么可以帮您?", True),
        ("有什么问题我可以帮您处理或解决呢?", True),
        ("请问您是咨询之前的问题还是有其他的问题需要处理呢?", True),
        ("亲爱的，小妹在的哦，很高兴为您服务哟", True),
        ("还请您稍等，正在为您查询~", True),
        ("您好，请问有什么可以帮助您的吗", True),  # JDDC's openers that used to be counted as answers
        ("麻烦您提供一下您的订单号", True),
        ("您好 京东服务专员[数字x]号，很高兴为您服务!", True),
        ("您方便简单描述下您的问题吗?", True),
        ("正在为您查询，还请您稍等两到三分钟哦~", True),
        ("您好，请问是这个商品吗", True),
        ("下午好，请问有什么可以帮您", True),
        # answers made of words agents' openers also use (a bare 号, 两, 京东, 看) answer something
        ("亲，京东物流哦", False),
        ("亲，是三号", False),
        ("亲，两三分钟哦", False),
        ("是这个商品哦", False),
        ("亲，订单信息确认了哦", False),
        ("您看下这款呢[链接x]", False),
        ("谢谢亲", False),
        ("亲，方便的", False),
        ("亲，我们有实体店的，在杭州西湖区", False),
        ("有的亲", False),
        ("可以的亲", False),
        ("亲，已经发货了哦", False),
        ("好的亲", False),
        ("", False),
    ],
)
def test_an_agent_opener_answers_nothing(reply: str, opens: bool) -> None:
    assert is_agent_opener(reply) is opens
