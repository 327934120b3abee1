"""Quick replies are learned from a shop's own chats, per slot, diverse, without placeholders."""

from __future__ import annotations

from assistant.learning.quick_replies import OPENING, QuickReplyRules, learn_quick_replies
from assistant.learning.similarity import reply_chars

PAIRS = [
    *[("好的", "请问还有其他可以帮到您的吗?", False)] * 6,
    *[("嗯嗯", "请问还有其他还可以帮到您的吗", False)] * 3,  # the same reply, worded a little differently
    *[("好的", "亲，不客气哦，祝您生活愉快", False)] * 4,
    *[("好", "您的单号是[订单x]", False)] * 9,  # holds a placeholder: not a stock reply
    ("好的", "这款被子是新疆长绒棉的，可以机洗，建议不要暴晒，晾干后拍一拍就蓬松了，冬天盖很暖和的哦亲", False),
    *[("谢谢", "不客气的亲", False)] * 2,
    ("谢谢", "您太客气了", False),  # sent once: not yet a habit
    *[("你好我想问下发票", "您好，请问有什么可以帮您?", True)] * 20,  # a habit over twenty chats
]


def test_the_most_sent_short_replies_per_slot_cover_different_replies() -> None:
    quick = learn_quick_replies(PAIRS)
    ack = quick.by_slot["acknowledgement"]
    assert [q.text for q in ack] == ["请问还有其他可以帮到您的吗?", "亲，不客气哦，祝您生活愉快"]
    assert ack[0].covers == 9 and ack[0].of == 23  # both wordings, out of every reply to an acknowledgement
    assert [q.text for q in quick.by_slot["thanks"]] == ["不客气的亲"]
    assert [q.text for q in quick.by_slot[OPENING]] == ["您好，请问有什么可以帮您?"]
    assert quick.for_turn("嗯", first_turn=False) == ack
    assert quick.for_turn("发票怎么开", first_turn=False) == ()


def test_the_opening_slot_learns_only_a_habit_seen_over_many_chats() -> None:
    """Any first message falls in the opening slot, a question too: an answer an agent sent to two
    first questions must not lead every new chat (it did, from a handful of recorded replies)."""
    few = [("香港能发吗", "亲，香港可以发顺丰到付的哦", True)] * 2
    few += [(f"问题{n}", f"回复{n}", True) for n in range(11)]
    assert OPENING not in learn_quick_replies(few).by_slot
    many = [*few, *[("想咨询一下我的订单", "您好，请问有什么可以帮您?", True)] * 7]
    assert learn_quick_replies(many).by_slot[OPENING][0].text == "您好，请问有什么可以帮您?"


def test_rules_bound_length_and_count() -> None:
    quick = learn_quick_replies(PAIRS, QuickReplyRules(max_chars=8, min_count=5))
    assert [q.text for q in quick.by_slot.get("acknowledgement", ())] == []
    assert len(learn_quick_replies(PAIRS, QuickReplyRules(per_slot=1))) == 3


def test_a_withheld_reply_counts_in_its_slot_but_is_never_offered() -> None:
    withheld = {reply_chars("请问还有其他可以帮到您的吗?")}
    ack = learn_quick_replies(PAIRS, withheld=withheld).by_slot["acknowledgement"]
    # the other wording (a reply of its own) may stand in; the withheld one is never offered
    assert [q.text for q in ack] == ["亲，不客气哦，祝您生活愉快", "请问还有其他还可以帮到您的吗"]
    assert ack[0].of == 23  # the withheld replies still count in the slot's total


def test_the_opening_slot_offers_only_replies_that_answer_nothing() -> None:
    """An answer agents sent to many first questions (实体店) is still an answer: it led every new
    chat, whatever it asked, once sent twice as a first reply (an admin's replay)."""
    pairs = [("你们有实体店吗", "亲，我们有实体店的，在杭州西湖区", True)] * 30
    pairs += [("有线下店吗", "有的亲", True)] * 10
    pairs += [(f"问题{n}", "您好，请问有什么可以帮您?", True) for n in range(12)]
    pairs += [(f"问题{n}", "还请您稍等，正在为您查询~", True) for n in range(5)]
    assert [q.text for q in learn_quick_replies(pairs).by_slot[OPENING]] == [
        "您好，请问有什么可以帮您?",
        "还请您稍等，正在为您查询~",
    ]


def test_a_reply_repeated_in_one_chat_is_no_habit_of_the_shop() -> None:
    """A user test: one customer's complaints about a price, all answered 商品优惠活动。请您以商品页面为准,
    made it a quick reply offered beside every question (数字人民币能付款不 led with it)."""
    price = "商品优惠活动。请您以商品页面为准。商品页面会显示的。"
    one_chat = [(f"怎么一下子就涨价了{n}", price, False, "c-1") for n in range(5)]
    others = [(f"问题{n}", f"回复{n}", False, f"c-{n + 2}") for n in range(20)]
    assert learn_quick_replies([*one_chat, *others]).by_slot["substantive"] == ()
    two_chats = [*one_chat, ("为什么涨价", price, False, "c-99")]
    assert learn_quick_replies([*two_chats, *others]).by_slot["substantive"] == ()  # beside any question: 3 chats
    three = [*two_chats, ("价格变了", price, False, "c-98")]
    assert [q.text for q in learn_quick_replies([*three, *others]).by_slot["substantive"]] == [price]
    # a stock turn's reply needs two chats
    thanks = [("谢谢", "不客气的亲", False, "c-1")] * 3
    assert learn_quick_replies(thanks).by_slot["thanks"] == ()
    assert learn_quick_replies([*thanks, ("谢谢", "不客气的亲", False, "c-2")]).by_slot["thanks"] != ()
