"""The rows of the reply lists (`analytics.reply_rows`, `reply_use`) with learned quick replies:
taken from the window's records, one row per text, never advised to retire, never counted in
`never_shown`."""

from __future__ import annotations

import datetime as dt

from assistant import learning
from assistant.learning.analytics import reply_outcomes, reply_use
from assistant.learning.weekly import weekly_report
from assistant.storage.records import AnswerRecord, MessageRecord, ShopHistory, SuggestionRecord

ENTRIES = {
    "faq-eta": "亲，付款后48小时内从杭州仓发出，一般3天左右到哦",
    "faq-color": "亲，这款有奶白色和雾蓝色两种颜色哦",
}
HOLD = "有什么问题我可以帮您处理或解决呢?"
SINCE, UNTIL = dt.date(2026, 12, 1), dt.date(2026, 12, 7)


def at(n: int) -> str:
    return f"2026-12-07T01:{n // 60:02d}:{n % 60:02d}.000+00:00"


def quick_turn(h: ShopHistory, conversation: str, quick_id: str, reply: str, text: str = HOLD) -> None:
    """A customer turn shown one quick reply (its text in the record, as the service stores it)."""
    n = len(h.messages)
    h.messages.append(MessageRecord("api", "demo", conversation, "m1", "customer", "好的", at(n), at(n)))
    h.answers.append(AnswerRecord("api", "demo", conversation, "m1", False, 0.1, at=at(n)))
    h.suggestions.append(
        SuggestionRecord(
            "api", "demo", conversation, "m1", 1, quick_id, 0.2, "past_reply", "v1", at(n),
            text=text, matched="acknowledgement", tags=("quick_reply", "acknowledgement"),
        )
    )  # fmt: skip
    h.messages.append(
        MessageRecord("api", "demo", conversation, "m2", "agent", reply, at(n + 1), at(n + 1), "agent", "a1", "小王")
    )


def test_one_text_learned_in_two_slots_is_one_row_with_the_counts_summed() -> None:
    """A user test: 有什么问题我可以帮您处理或解决呢? listed twice under 最常用的回复, as quick-782c0c2c35
    (发送 1 · 展示 1) and quick-b2a3963fd9 (发送 1 · 展示 5)."""
    h = ShopHistory()
    quick_turn(h, "c1", "quick-782c0c2c35", HOLD)
    for n in range(5):
        quick_turn(h, f"d{n}", "quick-b2a3963fd9", HOLD if n == 0 else "稍等，我帮您查一下")
    outcomes = reply_outcomes(h, ENTRIES)
    use = reply_use(h, ENTRIES, outcomes)
    assert [(r.entry_id, r.text, r.used, r.shown, r.replied) for r in use.most_used] == [
        ("quick-782c0c2c35", HOLD, 2, 6, 6)
    ]
    rows = learning.analytics.reply_rows(h, ENTRIES)  # looked up here: the other tests run without it
    assert rows.row_of["quick-b2a3963fd9"] == rows.row_of["quick-782c0c2c35"] == "quick-782c0c2c35"
    assert rows.entries == frozenset(ENTRIES)


def test_a_quick_reply_with_an_entry_s_text_counts_on_the_entry() -> None:
    h = ShopHistory()
    quick_turn(h, "c1", "quick-0000000001", ENTRIES["faq-eta"], text=ENTRIES["faq-eta"])
    use = reply_use(h, ENTRIES, reply_outcomes(h, ENTRIES))
    assert [(r.entry_id, r.used, r.shown) for r in use.most_used] == [("faq-eta", 1, 1)]


def test_a_quick_reply_passed_over_is_not_advised_to_retire() -> None:
    """It has no knowledge entry and the page no way to retire it (a user test saw quick-… under
    展示了却没人用（建议下架或改写）): the learning drops it, or rejecting its candidate reply does."""
    h = ShopHistory()
    for n in range(8):
        quick_turn(h, f"c{n}", "quick-b2a3963fd9", "稍等，我帮您查一下")
    for texts in (ENTRIES, {**ENTRIES, "quick-b2a3963fd9": HOLD}):  # from the records; named as learned too
        use = reply_use(h, texts, reply_outcomes(h, texts))
        assert use.known_replies == 8 and use.never_used == [], texts


def test_never_shown_counts_the_knowledge_entries_only_whatever_was_learned() -> None:
    """A tea shop with 3 entries said never_shown 7, and demo's count moved with no traffic: the
    learned quick replies were counted. Quick replies named in the texts change nothing now."""
    h = ShopHistory()
    quick_turn(h, "c1", "quick-b2a3963fd9", HOLD)
    learned = {f"quick-{n:010d}": f"学到的回复{n}" for n in range(4)}
    alone = reply_use(h, ENTRIES, reply_outcomes(h, ENTRIES))
    with_learned = reply_use(h, {**ENTRIES, **learned}, reply_outcomes(h, {**ENTRIES, **learned}))
    assert alone.never_shown == with_learned.never_shown == 2  # faq-eta and faq-color


def test_the_weekly_report_lists_a_quick_reply_from_the_records_alone() -> None:
    """The report reads the shop's knowledge from the store, not what the service learned: the quick
    replies its records showed are counted all the same (a user test: 最常用的回复（1） in the
    report, 5 on the page)."""
    h = ShopHistory()
    quick_turn(h, "c1", "quick-b2a3963fd9", HOLD)
    report = weekly_report("demo", h, ENTRIES, [], SINCE, UNTIL)
    assert [(r.entry_id, r.text, r.used) for r in report.most_used] == [("quick-b2a3963fd9", HOLD, 1)]
