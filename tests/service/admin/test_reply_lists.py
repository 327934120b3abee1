"""The reply lists of the admin statistics with learned quick replies, beside the weekly report: the
same rows from the same records (a user test: the report said 最常用的回复（1）, the page 5), one
row per quick reply text, none advised to retire, and `never_shown` counting entries only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from assistant.cli.report import _read
from assistant.knowledge.calendar import last_days
from assistant.learning.quick_replies import QuickReplies, QuickReply
from assistant.learning.reranking import ShopLearning, quick_suggestion
from assistant.learning.weekly import weekly_report
from assistant.retrieval.calibration import DEFAULT_THRESHOLD
from assistant.service import keys

from .conftest import Admin, AdminFactory
from .test_analytics import agent_says, say

HOLD = "有什么问题我可以帮您处理或解决呢?"  # learned in two slots: two ids, one text (the user test's)


def learned(*slots: str, text: str = HOLD) -> tuple[QuickReply, ...]:
    return tuple(QuickReply(text, slot, 4, 5) for slot in slots)


async def with_quick_replies(admin: Admin) -> dict[str, str]:
    """Demo served with HOLD learned for acknowledgements and for thanks, and a closing never shown."""
    await say(admin, "warm", "m1", "快递几天能到")  # loads the shop
    quick = QuickReplies(
        {
            "acknowledgement": learned("acknowledgement"),
            "thanks": learned("thanks"),
            "closing": learned("closing", text="亲，祝您生活愉快，再见～"),
        }
    )
    admin.client.app[keys.INDEX].set_learning("demo", ShopLearning(quick=quick))
    return {q.slot: quick_suggestion(q).entry_id for replies in quick.by_slot.values() for q in replies}


async def stats_replies(admin: Admin) -> dict[str, Any]:
    response = await admin.client.get("/v1/admin/shops/demo/stats?days=7", headers=admin.auth())
    assert response.status == 200, await response.text()
    replies: dict[str, Any] = (await response.json())["stats"]["replies"]
    return replies


async def test_one_quick_reply_text_is_one_row_and_the_weekly_report_lists_the_same(make_admin: AdminFactory) -> None:
    admin = await make_admin()
    ids = await with_quick_replies(admin)
    assert ids["acknowledgement"] != ids["thanks"]  # one text, two slots, two ids
    never_shown_before = (await stats_replies(admin))["never_shown"]
    for n, (customer, slot) in enumerate((("好的", "acknowledgement"), ("谢谢", "thanks"), ("谢谢啦", "thanks"))):
        shown = await say(admin, f"q{n}", "m1", customer)
        assert ids[slot] in [s["entry_id"] for s in shown["suggestions"]], (customer, shown["suggestions"])
        await agent_says(admin, f"q{n}", "m2", HOLD, "小王")
    replies = await stats_replies(admin)
    rows = [(r["text"], r["used"], r["shown"]) for r in replies["most_used"] if r["text"] == HOLD]
    assert rows == [(HOLD, 3, 3)]  # one row, counts summed (was two: 发送 1 · 展示 1 and 发送 2 · 展示 2)
    # the weekly report over the same records and the shop's knowledge in the store: the same lists
    since, until = last_days(7)
    stored = await _read(admin.client.app[keys.STORE], "demo", since, until, 7)
    # learned quick replies are no entries: never shown counts the knowledge's entries only (the
    # closing quick reply, never shown, is not one of them), and no quick reply is advised to retire
    shown = {s.entry_id for s in stored.week.suggestions if s.score >= DEFAULT_THRESHOLD}
    assert replies["never_shown"] == len(set(stored.entries) - shown) <= never_shown_before
    assert not any(r["entry_id"].startswith("quick-") for r in replies["never_used"])
    report = weekly_report("demo", stored.week, stored.entries, [], since, until, fresh=stored.fresh)

    def listed(lines: list[Any]) -> list[tuple[str, str, int, int, int, int]]:
        return [(r.entry_id, r.text, r.used, r.edited, r.picked, r.shown) for r in lines]

    def served(lines: list[dict[str, Any]]) -> list[tuple[str, str, int, int, int, int]]:
        return [(r["entry_id"], r["text"], r["used"], r["edited"], r["picked"], r["shown"]) for r in lines]

    assert listed(report.most_used) == served(replies["most_used"])
    assert listed(report.never_used) == served(replies["never_used"])
    assert listed(report.often_edited) == served(replies["often_edited"])
    assert report.never_shown == replies["never_shown"]
    assert HOLD in [r.text for r in report.most_used]
    assert dt.date.fromisoformat(report.until) == until
