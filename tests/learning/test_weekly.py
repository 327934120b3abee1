"""The weekly 话术 refresh: gaps, most used, never used and often edited replies, with counts."""

from __future__ import annotations

import datetime as dt

from assistant.learning.analytics import MIN_REPLIED
from assistant.learning.gaps import Gap, UnansweredMessage
from assistant.learning.shop_gaps import gap_id
from assistant.learning.weekly import WeeklyRules, weekly_report
from assistant.learning.weekly_render import render_html, render_markdown
from assistant.storage.records import (
    AnswerRecord,
    FeedbackAction,
    FeedbackRecord,
    MessageRecord,
    ShopHistory,
    SuggestionRecord,
)

ENTRIES = {
    "faq-eta": "亲，付款后48小时内从杭州仓发出，一般3天左右到哦",
    "faq-color": "亲，这款有奶白色和雾蓝色两种颜色哦",
    "faq-size": "亲，1.8米的床建议选200x230的被套哦",
    "faq-old": "亲，双十一活动已结束",
}
DAY = "2026-11-20"


def at(second: int) -> str:
    return f"{DAY}T10:{second // 60:02d}:{second % 60:02d}.000+00:00"


def turn(history: ShopHistory, conversation: str, customer: str, shown: list[str], reply: str, ok: bool = True) -> None:
    """One customer message, the suggestions shown for it, the agent's reply."""
    n = len(history.messages)
    cid, aid = f"m{n}", f"m{n + 1}"
    history.messages.append(MessageRecord("api", "demo", conversation, cid, "customer", customer, at(n), at(n)))
    history.answers.append(AnswerRecord("api", "demo", conversation, cid, ok, 0.8 if ok else 0.1, at=at(n)))
    history.suggestions.extend(
        SuggestionRecord("api", "demo", conversation, cid, rank, e, 0.5, "faq", "v1", at(n))
        for rank, e in enumerate(shown, start=1)
    )
    history.messages.append(
        MessageRecord("api", "demo", conversation, aid, "agent", reply, at(n + 1), at(n + 1), "agent", "a1", "小王")
    )


def week() -> ShopHistory:
    h = ShopHistory()
    for c in ("c1", "c2", "c3"):  # size shown first and passed over, the second used as is
        turn(h, c, "几天能到", ["faq-size", "faq-eta"], ENTRIES["faq-eta"])
    turn(h, "c4", "有什么颜色", ["faq-size", "faq-color"], "亲，这款有奶白色、雾蓝色和浅灰色三种哦")
    turn(h, "c5", "颜色有几种", ["faq-color"], "亲，这款有奶白色和雾蓝色，还有新出的浅灰色")
    turn(h, "c6", "你们老板是谁", ["faq-size"], "不方便透露哦", ok=False)
    return h


GAP = Gap(2, ("你们老板是谁", "老板叫什么"), (("不方便透露哦", 2),), 1_795_000_000.0)
OLD_GAP = Gap(3, ("能开专票吗",), (), 1_795_000_100.0)


def test_the_weeks_refresh_counts_what_agents_did_with_each_reply() -> None:
    since = dt.date(2026, 11, 14)
    until = dt.date(2026, 11, 20)
    report = weekly_report(
        "demo", week(), ENTRIES, [OLD_GAP, GAP], since, until, known_gaps=frozenset({gap_id(OLD_GAP)})
    )
    assert (report.since, report.until) == ("2026-11-14", "2026-11-20")
    t = report.totals
    assert (t.customer_messages, t.answerable, t.agent_replies) == (6, 5, 6)
    assert (t.used, t.edited, t.not_used) == (3, 2, 1)
    assert [(r.entry_id, r.used, r.edited, r.shown) for r in report.most_used] == [
        ("faq-eta", 3, 0, 3),
        ("faq-color", 0, 2, 2),
    ]
    # shown 5 times, the agent's reply known each time and never it: to retire; faq-old was never
    # even shown, which is no evidence (only counted)
    assert [(r.entry_id, r.shown, r.replied) for r in report.never_used] == [("faq-size", 5, 5)]
    assert report.never_shown == 1 and report.min_replied == MIN_REPLIED == 5
    (edited,) = report.often_edited
    assert edited.entry_id == "faq-color" and edited.edited == 2 and edited.used == 0
    assert edited.mean_similarity is not None and 0.5 <= edited.mean_similarity < 0.95
    assert edited.latest_edit == "亲，这款有奶白色和雾蓝色，还有新出的浅灰色"
    # the gap listed before comes after the new one
    assert [(g.count, g.new) for g in report.new_gaps] == [(2, True), (3, False)]
    assert report.new_gaps[0].suggested_reply == "不方便透露哦"


def panel(history: ShopHistory, conversation: str, action: FeedbackAction, entry: str) -> None:
    """An agent pressed `action` on `entry` in the panel for the conversation's first message."""
    message = next(m for m in history.messages if m.conversation_id == conversation)
    history.feedback.append(
        FeedbackRecord(
            f"f{len(history.feedback)}", "demo", conversation, message.message_id, action, "v1",
            agent="小王", entry_id=entry, rank=1, at=message.sent_at,
        )
    )  # fmt: skip


def test_a_reply_picked_in_the_panel_is_used_even_when_no_sent_text_matched_it() -> None:
    """faq-size: shown 5 times, no agent reply matched to it, but 使用 pressed 4 times in the panel
    (the agent rewrote it in the chat box): it is used, not a candidate to retire."""
    h = week()
    for conversation, action in (("c1", "use"), ("c2", "use"), ("c4", "edit"), ("c6", "send")):
        panel(h, conversation, action, "faq-size")
    panel(h, "c3", "dismiss", "faq-size")  # a dismissal is no use
    panel(h, "c1", "use", "faq-eta")
    report = weekly_report("demo", h, ENTRIES, [], dt.date(2026, 11, 14), dt.date(2026, 11, 20))
    assert [(r.entry_id, r.used, r.edited, r.picked, r.shown) for r in report.most_used] == [
        ("faq-eta", 3, 0, 1, 3),
        ("faq-color", 0, 2, 0, 2),
        ("faq-size", 0, 0, 4, 5),  # picked only: after the sent ones
    ]
    assert report.never_used == []  # faq-old was never shown: no evidence to retire it
    markdown = render_markdown(report)
    assert "## 最常用的回复（3）" in markdown and "| 原样 | 修改后 | 面板选用 | 展示 |" in markdown
    assert "| faq-size | 亲，1.8米的床建议选200x230的被套哦 | 0 | 0 | 4 | 5 |" in markdown
    never = markdown.split("## 从未使用")[1].split("## 常被修改")[0]
    assert "faq-size" not in never and "本周没有。" in never and "另有 1 条回复本周一次也没有展示" in never


def test_rules_bound_the_lists() -> None:
    rules = WeeklyRules(top=1, min_shown=6, min_edits=3)
    report = weekly_report("demo", week(), ENTRIES, [], dt.date(2026, 11, 14), dt.date(2026, 11, 20), rules=rules)
    assert [r.entry_id for r in report.most_used] == ["faq-eta"]
    assert report.never_used == []  # faq-size was shown only 5 times
    assert report.often_edited == []


def test_an_empty_week_renders_and_customer_text_is_escaped() -> None:
    entries = {**ENTRIES, "faq-x": "<script>alert(1)</script> | *粗体*"}
    empty = weekly_report("demo", ShopHistory(), entries, [], dt.date(2026, 11, 14), dt.date(2026, 11, 20))
    assert empty.totals.customer_messages == 0 and empty.most_used == []
    markdown = render_markdown(empty)
    assert "本周没有。" in markdown and "另有 5 条回复本周一次也没有展示" in markdown
    assert "还没有客服回复的记录，暂不建议下架。" in markdown.split("## 从未使用")[1]
    marked = ShopHistory()
    turn(marked, "x1", "有活动吗", ["faq-x"], entries["faq-x"])  # sent as is: listed as used
    used = weekly_report("demo", marked, entries, [], dt.date(2026, 11, 14), dt.date(2026, 11, 20))
    assert r"\<script\>alert\(1\)\</script\> \| \*粗体\*" in render_markdown(used)
    page = render_html(used)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; | *粗体*" in page
    full = render_markdown(weekly_report("demo", week(), ENTRIES, [GAP], dt.date(2026, 11, 14), dt.date(2026, 11, 20)))
    # a gap's last time as a reader writes it (a user test read 2026-12-06T14:11:03\+00:00), in
    # Beijing time like the admin page (11:06 UTC is 19:06 there; a user test read UTC beside 北京时间)
    assert "| 2026-11-18 19:06 |" in full and "\\+00" not in full and "UTC" not in full, full
    assert "最近一次（北京时间）" in full
    assert "## 最常用的回复（2）" in full and "| faq-eta | " in full
    assert "原样使用 3，修改后使用 2，未使用 1（采纳：83%）" in full
    assert "## 新的知识缺口（1）" in full and "你们老板是谁 / 老板叫什么" in full


def test_an_entry_shown_only_as_a_long_shot_was_not_passed_over() -> None:
    """A greeting shown at 0.00 to junk (asdfghjkl, 😀😀😀) topped the list to retire (a user test):
    only showings that reach the threshold count as an entry agents passed over."""
    h = week()
    for n in range(6):
        h.suggestions.append(SuggestionRecord("api", "demo", "c9", f"j{n}", 1, "faq-old", 0.0, "faq", "v1", at(50)))
    report = weekly_report("demo", h, ENTRIES, [], dt.date(2026, 11, 14), dt.date(2026, 11, 20))
    assert [(r.entry_id, r.shown) for r in report.never_used] == [("faq-size", 5)]


def test_a_quick_reply_shown_and_never_sent_counts_every_showing_but_is_not_advised_to_retire() -> None:
    """A quick reply's score is its share of the slot's replies (often under the threshold), not a
    match: every showing counts. It is no entry of the knowledge, so the admin cannot retire it (a
    user test saw quick-… under 建议下架 with no way to act on it): never in `never_used`, nor in
    `never_shown`."""
    h = week()
    quick = "quick-ack-1"
    for n in range(5):  # shown to 5 customer messages; the agent wrote something else each time
        turn(h, f"q{n}", "好的", [], "稍等，我帮您查一下")
        customer = h.messages[-2].message_id
        h.suggestions.append(
            SuggestionRecord(
                "api", "demo", f"q{n}", customer, 1, quick, 0.12, "quick_reply", "v1", at(50), tags=("quick_reply",)
            )
        )
    report = weekly_report("demo", h, {**ENTRIES, quick: "好的亲"}, [], dt.date(2026, 11, 14), dt.date(2026, 11, 20))
    assert quick not in [r.entry_id for r in report.never_used]
    assert [r.entry_id for r in report.never_used] == ["faq-size"]  # the entry with the same evidence is
    assert report.never_shown == 1  # faq-old: the entries only
    panel(h, "q0", "use", quick)
    picked = weekly_report("demo", h, {**ENTRIES, quick: "好的亲"}, [], dt.date(2026, 11, 14), dt.date(2026, 11, 20))
    assert (quick, 5, 5, 1) in [(r.entry_id, r.shown, r.replied, r.picked) for r in picked.most_used]


def shown_only(history: ShopHistory, entry: str, times: int, first: int = 0) -> None:
    """`entry` shown first for `times` customer messages no agent reply was recorded for (a shop that
    calls /v1/suggest and sends no webhook of the replies)."""
    for n in range(first, first + times):
        cid = f"s{n}"
        history.messages.append(MessageRecord("api", "demo", cid, "m1", "customer", "发货了吗", at(n), at(n)))
        history.answers.append(AnswerRecord("api", "demo", cid, "m1", True, 0.8, at=at(n)))
        history.suggestions.append(SuggestionRecord("api", "demo", cid, "m1", 1, entry, 0.9, "faq", "v1", at(n)))


def test_a_reply_shown_behind_the_answer_the_agents_took_is_not_proposed_for_retiring() -> None:
    """A user test: 快递到哪了, shown third for 快递几天能到 while agents sent the first answer, was
    advised to retire (shown 10 times, 6 with a reply known). Only a reply shown first and passed
    over is evidence."""
    h = ShopHistory()
    for n in range(2 * MIN_REPLIED):
        turn(h, f"s{n}", "几天能到", ["faq-eta", "faq-old"], ENTRIES["faq-eta"])
    report = weekly_report("demo", h, ENTRIES, [], dt.date(2026, 11, 14), dt.date(2026, 11, 20))
    assert [r.entry_id for r in report.never_used] == []
    for n in range(MIN_REPLIED):
        turn(h, f"t{n}", "几天能到", ["faq-old", "faq-eta"], ENTRIES["faq-eta"])  # first, and passed over
    report = weekly_report("demo", h, ENTRIES, [], dt.date(2026, 11, 14), dt.date(2026, 11, 20))
    assert [(r.entry_id, r.shown, r.replied) for r in report.never_used] == [("faq-old", 15, 5)]


def test_a_reply_only_shown_with_no_agent_reply_recorded_is_not_proposed_for_retiring() -> None:
    """A user test: minutes after the start, 0 agent replies recorded, the weekly report and the
    admin page advised retiring the right top answer (faq-ship-where-is "展示 11 次，从未发送"). Shown
    with no agent reply known is no evidence: the list says so in one line instead."""
    h = ShopHistory()
    shown_only(h, "faq-eta", 11)
    report = weekly_report("demo", h, ENTRIES, [], dt.date(2026, 11, 14), dt.date(2026, 11, 20))
    assert [r.entry_id for r in report.never_used] == [] and report.totals.agent_replies == 0
    for text in (render_markdown(report), render_html(report)):
        never = text.split("从未使用", 1)[1].split("常被修改", 1)[0]
        assert "还没有客服回复的记录，暂不建议下架。" in never and "faq-eta" not in never and "faq-old" not in never
    # agents' replies known for only some of its showings: still too little evidence
    turns = week()
    shown_only(turns, "faq-eta", 11, first=100)
    for n in range(MIN_REPLIED - 1):
        turn(turns, f"k{n}", "发货了吗", ["faq-old"], "今天就发")
    report = weekly_report("demo", turns, ENTRIES, [], dt.date(2026, 11, 14), dt.date(2026, 11, 20))
    assert [(r.entry_id, r.replied) for r in report.never_used] == [("faq-size", 5)]  # faq-old: replied 4 times
    turn(turns, "k9", "发货了吗", ["faq-old"], "今天就发")
    report = weekly_report("demo", turns, ENTRIES, [], dt.date(2026, 11, 14), dt.date(2026, 11, 20))
    assert [(r.entry_id, r.shown, r.replied) for r in report.never_used] == [("faq-old", 5, 5), ("faq-size", 5, 5)]
    assert "| faq-old | 亲，双十一活动已结束 | 5 | 5 |" in render_markdown(report)


def test_each_example_of_a_gap_is_cut_so_a_long_one_hides_no_other() -> None:
    """A user test: a 999-character example filled the screen; cut, the gap's other wordings still show."""
    long = Gap(2, ("能开发票吗" + "我" * 999, "发票怎么开"), (), 1_700_000_000.0)
    report = weekly_report("demo", ShopHistory(), ENTRIES, [long], dt.date(2026, 11, 14), dt.date(2026, 11, 20))
    for text in (render_markdown(report), render_html(report)):
        assert "能开发票吗" + "我" * 34 + "…" in text and "我" * 36 not in text and "发票怎么开" in text


def test_the_questions_asked_once_are_a_section_apart_bounded_and_escaped() -> None:
    once = [UnansweredMessage("<script>x</script>有*实体店*吗", 1_795_000_200.0, None)]
    once += [UnansweredMessage(f"问题{n}", 1_795_000_100.0 - n, "回复") for n in range(3)]
    rules = WeeklyRules(top=2)
    report = weekly_report(
        "demo", week(), ENTRIES, [GAP], dt.date(2026, 11, 14), dt.date(2026, 11, 20), rules=rules, asked_once=once
    )
    assert [o.text for o in report.asked_once] == [once[0].text, "问题0"]  # the latest first, at most `top`
    assert [g.id for g in report.new_gaps] == [gap_id(GAP)]  # not mixed into the gaps
    markdown = render_markdown(report)
    section = markdown.split("## 只问过一次的问题（2）")[1].split("## 最常用的回复")[0]
    assert "\\<script\\>x\\</script\\>有\\*实体店\\*吗 | （客服没有回复） |" in section, section
    assert "| 问题0 | 回复 |" in section
    page = render_html(report)
    assert "<td>&lt;script&gt;x&lt;/script&gt;有*实体店*吗</td>" in page and "<script>" not in page
    empty = weekly_report("demo", ShopHistory(), ENTRIES, [], dt.date(2026, 11, 14), dt.date(2026, 11, 20))
    assert "## 只问过一次的问题（0）" in render_markdown(empty)
